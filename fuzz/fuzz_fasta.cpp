// libFuzzer target: FASTA reader (plain, gzip and bgzip streams through BGZF).
#include "fuzz_common.hpp"
#include "seqlift/error.hpp"
#include "seqlift/fasta.hpp"
#include "seqlift/log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seqlift::set_log_level(seqlift::LogLevel::kError);
  const std::string path = seqlift::fuzz::input_file(data, size, ".fa");
  try {
    seqlift::FastaReader reader(path);
    seqlift::FastaRecord rec;
    while (reader.next(rec)) {
    }
  } catch (const seqlift::Error&) {
  }
  return 0;
}
