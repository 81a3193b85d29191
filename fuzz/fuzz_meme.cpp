// libFuzzer target: MEME motif database parser.
#include "fuzz_common.hpp"
#include "seqlift/error.hpp"
#include "seqlift/log.hpp"
#include "seqlift/motifs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seqlift::set_log_level(seqlift::LogLevel::kError);
  const std::string path = seqlift::fuzz::input_file(data, size, ".meme");
  try {
    seqlift::read_meme(path);
  } catch (const seqlift::Error&) {
  }
  return 0;
}
