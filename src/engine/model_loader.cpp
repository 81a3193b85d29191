#include <sys/stat.h>

#include "engine/keras_importer.hpp"
#include "engine/onnx_importer.hpp"
#include "engine/optimize.hpp"
#include "seqlift/error.hpp"
#include "seqlift/model.hpp"

namespace seqlift {
namespace {

bool ends_with(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}

bool is_file(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The weights beside an architecture file: X.json -> X.h5, or the DeepLIFT/Keras 1
// naming ..._modelJson.json -> ..._modelWeights.h5.
std::string find_weights_for(const std::string& json_path) {
  const std::string stem = json_path.substr(0, json_path.size() - 5);
  std::vector<std::string> candidates = {stem + ".h5", stem + ".hdf5", stem + "_weights.h5"};
  const auto pos = stem.rfind("Json");
  if (pos != std::string::npos)
    candidates.push_back(stem.substr(0, pos) + "Weights" + stem.substr(pos + 4) + ".h5");
  for (const auto& c : candidates)
    if (is_file(c)) return c;
  return "";
}

}  // namespace

ModelFormat model_format(const std::string& path) {
  if (ends_with(path, ".h5") || ends_with(path, ".hdf5")) return ModelFormat::kKerasHdf5;
  if (ends_with(path, ".json")) return ModelFormat::kKerasJson;
  if (ends_with(path, ".keras"))
    throw ModelError(path +
                     ": Keras 3 '.keras' archives are not supported; save with "
                     "model.save('model.h5') or export to ONNX");
  return ModelFormat::kOnnx;
}

namespace {
std::unique_ptr<Model> import_model(const std::string& path, int input_length,
                                    const std::string& weights) {
  switch (model_format(path)) {
    case ModelFormat::kKerasJson: {
      std::string w = weights.empty() ? find_weights_for(path) : weights;
      if (w.empty())
        throw UsageError(path + ": a Keras architecture needs its weights; give --weights W.h5");
      return load_keras(path, w, input_length);
    }
    case ModelFormat::kKerasHdf5:
      return load_keras(path, weights, input_length);
    case ModelFormat::kOnnx:
      if (!weights.empty())
        throw UsageError("--weights is only for Keras models (" + path + " is ONNX)");
      return load_onnx(path, input_length);
  }
  return nullptr;
}
}  // namespace

std::unique_ptr<Model> load_model(const std::string& path, int input_length,
                                  const std::string& weights) {
  auto model = import_model(path, input_length, weights);
  optimize_model(*model);
  return model;
}

}  // namespace seqlift
