// libFuzzer target: BED / narrowPeak parser and window construction against a genome.
#include <fstream>

#include "fuzz_common.hpp"
#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/log.hpp"
#include "seqlift/regions.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seqlift::set_log_level(seqlift::LogLevel::kError);
  static const std::string genome_path = [] {
    const std::string p = "/tmp/seqlift_fuzz_genome_" + std::to_string(getpid()) + ".fa";
    std::ofstream(p) << ">chr1\nACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT\n>chr2\nNNNNACGT\n";
    return p;
  }();
  static seqlift::Genome genome(genome_path);
  const std::string path = seqlift::fuzz::input_file(data, size, ".bed");
  try {
    seqlift::BedReader reader(path);
    seqlift::BedRecord rec;
    for (int widths = 0; reader.next(rec); ++widths) {
      seqlift::WindowOptions o;
      o.width = widths % 3 == 0 ? 0 : 16;
      o.edge = widths % 2 ? seqlift::EdgeMode::kSkip : seqlift::EdgeMode::kPad;
      try {
        auto w = seqlift::make_window(rec, genome, o, path);
        if (w && w->end - w->start <= (int64_t(1) << 20)) seqlift::window_sequence(*w, genome);
      } catch (const seqlift::Error&) {
      }
    }
  } catch (const seqlift::Error&) {
  }
  return 0;
}
