#include <sys/stat.h>

#include <cstdio>

#include "engine/keras_importer.hpp"
#include "engine/onnx_importer.hpp"
#include "engine/optimize.hpp"
#include "seqlift/error.hpp"
#include "seqlift/model.hpp"
#include "util/cleanup.hpp"

namespace seqlift {
namespace {

bool ends_with(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}

bool is_file(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The weights beside an architecture file: X.json -> X.h5, the DeepLIFT/Keras 1
// naming ..._modelJson.json -> ..._modelWeights.h5, DragoNN's X.arch.json ->
// X.weights.h5/.hd5, and a Kipoi model folder's model.json -> pretrained.hdf5.
std::string find_weights_for(const std::string& json_path) {
  const std::string stem = json_path.substr(0, json_path.size() - 5);
  std::vector<std::string> candidates = {stem + ".h5", stem + ".hdf5", stem + ".hd5",
                                         stem + "_weights.h5"};
  const auto pos = stem.rfind("Json");
  if (pos != std::string::npos)
    candidates.push_back(stem.substr(0, pos) + "Weights" + stem.substr(pos + 4) + ".h5");
  if (ends_with(stem, ".arch")) {
    const std::string base = stem.substr(0, stem.size() - 5);
    std::vector<std::string> bases = {base};
    if (ends_with(base, "_arch")) bases.push_back(base.substr(0, base.size() - 5) + "_model");
    for (const auto& b : bases)
      for (const char* ext : {".weights.h5", ".weights.hd5", ".weights.hdf5"})
        candidates.push_back(b + ext);
  }
  const auto slash = json_path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : json_path.substr(0, slash + 1);
  if (json_path.substr(dir.size()) == "model.json")
    for (const char* f : {"pretrained.hdf5", "pretrained.h5", "weights.h5", "model.h5"})
      candidates.push_back(dir + f);
  for (const auto& c : candidates)
    if (is_file(c)) return c;
  return "";
}

// A PyTorch file given as a model: torch.save() writes a zip archive holding
// ARCHIVE/data.pkl (PyTorch >= 1.6) or a bare pickle (protocol 2, b"\x80\x02"); both
// would otherwise reach the ONNX parser and fail as "corrupt protobuf". Says how to
// export instead. (Issue #20; kept separate so the loaders' own checks can merge.)
void reject_pytorch_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return;  // the importer reports unreadable files
  std::string head(4096, '\0');
  head.resize(std::fread(&head[0], 1, head.size(), f));
  std::fclose(f);
  const bool zip = head.rfind("PK\x03\x04", 0) == 0;
  const bool torch_zip = zip && (head.find("data.pkl") != std::string::npos ||
                                 head.find("/version") != std::string::npos);
  const bool pickle = head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x80 &&
                      head[1] >= 2 && head[1] <= 5;
  if (!torch_zip && !pickle) return;
  throw ModelError(
      path + ": this is a PyTorch " +
      (torch_zip ? "checkpoint (torch.save zip archive)" : "pickle") +
      ", not ONNX. Export the model to ONNX first, with the input as one-hot [N, 4, L] and a "
      "dynamic batch axis:\n"
      "    torch.onnx.export(model.eval(), torch.zeros(1, 4, L), 'model.onnx',\n"
      "                      input_names=['x'], dynamic_axes={'x': {0: 'batch'}}, "
      "opset_version=13)\n"
      "  or run scripts/export_pytorch.py (it also checks the export's predictions).");
}

}  // namespace

namespace {
// First bytes of a file ("" when unreadable).
std::string file_head(const std::string& path, std::size_t n) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return "";
  std::string s(n, '\0');
  s.resize(std::fread(s.data(), 1, n, f));
  std::fclose(f);
  return s;
}
}  // namespace

ModelFormat model_format(const std::string& path) {
  if (ends_with(path, ".h5") || ends_with(path, ".hdf5") || ends_with(path, ".hd5"))
    return ModelFormat::kKerasHdf5;
  if (ends_with(path, ".json")) return ModelFormat::kKerasJson;
  if (ends_with(path, ".keras"))
    throw ModelError(path +
                     ": Keras 3 '.keras' archives are not supported; save with "
                     "model.save('model.h5') or export to ONNX");
  // Other names: by content. The HDF5 signature -> Keras (e.g. DragoNN's .hd5);
  // anything else is ONNX (PyTorch files are recognised by reject_pytorch_file).
  const std::string head = file_head(path, 8);
  if (head.compare(0, 8, "\x89HDF\r\n\x1a\n") == 0) return ModelFormat::kKerasHdf5;
  return ModelFormat::kOnnx;
}

namespace {
std::unique_ptr<ModelBuilder> import_model(const std::string& path, int input_length,
                                           const std::string& weights,
                                           const LambdaDeclarations& lambdas) {
  switch (model_format(path)) {
    case ModelFormat::kKerasJson: {
      std::string w = weights.empty() ? find_weights_for(path) : weights;
      if (w.empty())
        throw UsageError(path + ": a Keras architecture needs its weights; give --weights W.h5");
      return load_keras(path, w, input_length, lambdas);
    }
    case ModelFormat::kKerasHdf5:
      return load_keras(path, weights, input_length, lambdas);
    case ModelFormat::kOnnx:
      reject_pytorch_file(path);
      if (!weights.empty())
        throw UsageError("--weights is only for Keras models (" + path + " is ONNX)");
      return load_onnx(path, input_length);
  }
  return nullptr;
}
}  // namespace

LambdaDeclarations parse_lambda_declarations(const std::vector<std::string>& specs) {
  LambdaDeclarations out;
  for (const auto& s : specs) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
      throw UsageError("--lambda '" + s + "' is not NAME='x[...]'");
    out.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  return out;
}

std::unique_ptr<Model> load_model(const std::string& path, int input_length,
                                  const std::string& weights) {
  return load_model(path, input_length, weights, {});
}

std::unique_ptr<Model> load_model(const std::string& path, int input_length,
                                  const std::string& weights, const LambdaDeclarations& lambdas) {
  if (!lambdas.empty() && model_format(path) == ModelFormat::kOnnx)
    throw UsageError("--lambda is only for Keras models (" + path + " is ONNX)");
  note_input(path);
  note_input(weights.empty() && model_format(path) == ModelFormat::kKerasJson
                 ? find_weights_for(path)
                 : weights);
  auto model = import_model(path, input_length, weights, lambdas);
  optimize_model(*model);
  return model;
}

}  // namespace seqlift
