// libFuzzer target: the Keras importer's architecture walk (JSON config, nested models,
// inbound nodes, layer handlers, weight lookup and shape checks) on mutated
// architecture JSON, against the DeepLIFT paper model's save_weights file.
#include <vector>

#include "fuzz_common.hpp"
#include "seqlift/error.hpp"
#include "seqlift/inspect.hpp"
#include "seqlift/log.hpp"
#include "seqlift/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seqlift::set_log_level(seqlift::LogLevel::kError);
  const std::string path = seqlift::fuzz::input_file(data, size, ".json");
  try {
    auto model = seqlift::load_model(path, 64, SEQLIFT_FUZZ_KERAS_WEIGHTS);
    const auto summary = seqlift::summarize(*model);
    if (model->input_length() <= 4096 && summary.flops < (int64_t(1) << 26)) {
      std::vector<float> x(4 * model->input_length(), 0.25f);
      model->predict(x.data(), 1);
    }
  } catch (const seqlift::Error&) {
  }
  return 0;
}
