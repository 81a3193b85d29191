// libFuzzer target: ONNX loader (protobuf parsing, constant folding, fusion, layer
// construction) and one forward pass when the model is small.
#include <vector>

#include "fuzz_common.hpp"
#include "seqlift/error.hpp"
#include "seqlift/inspect.hpp"
#include "seqlift/log.hpp"
#include "seqlift/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seqlift::set_log_level(seqlift::LogLevel::kError);
  const std::string path = seqlift::fuzz::input_file(data, size, ".onnx");
  try {
    auto model = seqlift::load_model(path, 64);
    const auto summary = seqlift::summarize(*model);
    if (model->input_length() <= 4096 && summary.flops < (int64_t(1) << 26)) {
      std::vector<float> x(4 * model->input_length(), 0.25f);
      model->predict(x.data(), 1);
    }
  } catch (const seqlift::Error&) {
  }
  return 0;
}
