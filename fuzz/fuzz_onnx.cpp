// libFuzzer target: ONNX loader (protobuf parsing, constant folding, fusion, layer
// construction) and one forward pass when the model is small.
#include "fuzz_common.hpp"
#include "seqlift/log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seqlift::set_log_level(seqlift::LogLevel::kError);
  const std::string path = seqlift::fuzz::input_file(data, size, ".onnx");
  seqlift::fuzz::load_and_run(path);
  return 0;
}
