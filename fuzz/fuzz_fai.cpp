// libFuzzer target: a fuzzed .fai index beside a fixed genome. The index is validated
// before htslib loads it (htslib divides by its line-length fields and trusts its
// offsets), so any index either fails with seqlift's own error or fetches real bases.
#include <fstream>

#include "fuzz_common.hpp"
#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string genome_path = [] {
    const std::string p = "/tmp/seqlift_fuzz_fai_" + std::to_string(getpid()) + ".fa";
    std::ofstream(p) << ">chr1 desc\nACGTACGTAC\nGTACGTAC\n>chr2\r\nNNNNACGT\r\nAC\r\n";
    return p;
  }();
  std::FILE* f = std::fopen((genome_path + ".fai").c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    seqlift::Genome genome(genome_path);
    for (const auto& c : genome.chromosomes()) {
      const int64_t len = genome.length(c);
      if (len > 0 && len < (int64_t(1) << 20)) genome.fetch(c, -2, len + 2);
    }
  } catch (const seqlift::Error&) {
  }
  return 0;
}
