// libFuzzer target: the Keras importer's architecture walk (JSON config, nested models,
// inbound nodes, layer handlers, weight lookup and shape checks) on mutated
// architecture JSON, against the DeepLIFT paper model's save_weights file.
#include "fuzz_common.hpp"
#include "seqlift/log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seqlift::set_log_level(seqlift::LogLevel::kError);
  const std::string path = seqlift::fuzz::input_file(data, size, ".json");
  seqlift::fuzz::load_and_run(path, SEQLIFT_FUZZ_KERAS_WEIGHTS);
  return 0;
}
