// Shared by the libFuzzer targets: the parsers read files, so each input is written to
// a per-process temporary file first. Only seqlift's own exceptions are expected; any
// other exception, crash, leak or hang is a finding.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "seqlift/error.hpp"
#include "seqlift/inspect.hpp"
#include "seqlift/model.hpp"

namespace seqlift::fuzz {

/// Loads a model and, when it is small, runs one forward pass; seqlift's own
/// exceptions are the expected outcome of malformed input.
inline void load_and_run(const std::string& path, const std::string& weights = "") {
  try {
    auto model = load_model(path, 64, weights);
    const auto summary = summarize(*model);
    if (model->input_length() <= 4096 && summary.flops < (int64_t(1) << 26)) {
      std::vector<float> x(4 * model->input_length(), 0.25f);
      model->predict(x.data(), 1);
    }
  } catch (const Error&) {
  }
}

inline std::string input_file(const uint8_t* data, size_t size, const char* ext) {
  const std::string path = "/tmp/seqlift_fuzz_" + std::to_string(getpid()) + ext;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  return path;
}

}  // namespace seqlift::fuzz
