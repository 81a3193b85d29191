#include "engine/onnx_importer.hpp"
#include "seqlift/error.hpp"
#include "seqlift/model.hpp"

namespace seqlift {

std::unique_ptr<Model> load_model(const std::string& path, int input_length) {
  auto ends_with = [&](const char* ext) {
    const std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends_with(".h5") || ends_with(".hdf5") || ends_with(".json"))
    throw ModelError(path + ": Keras models are not supported yet; export the model to ONNX");
  return load_onnx(path, input_length);
}

}  // namespace seqlift
