// A loaded network: a DAG of layers in topological order over named values.
// Input: one-hot DNA [B, 4, L] (a channels-last model gets a transpose node at load).
// Extra inputs (control tracks, covariates) are further values with no producer; the
// caller supplies them per sample (zeros when not given). DeepLIFT holds them equal in
// X and its references, so they get no contribution.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "seqlift/layer.hpp"

namespace seqlift {

class BufferPool;  // engine internal (src/util/buffer_pool.hpp)

struct Node {
  std::string name;  ///< ONNX node name (or output name when unnamed)
  std::string op;    ///< ONNX op type(s) it came from, e.g. "Conv" or "Div+Erf+...=Gelu"
  std::unique_ptr<Layer> layer;
  std::vector<int> inputs;  ///< value ids
  int output = -1;          ///< value id
};

struct ValueInfo {
  std::string name;
  Shape shape;
  int producer = -1;  ///< node index, -1 for the model input
};

/// A loaded network (made by load_model; the building API is internal:
/// src/engine/model_builder.hpp).
class Model {
 public:
  virtual ~Model() = default;
  int input_length() const { return input_length_; }
  int input_value() const { return input_value_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<ValueInfo>& values() const { return values_; }
  const std::vector<int>& outputs() const { return outputs_; }
  /// Value ids of the inputs other than the one-hot sequence, in the model's order.
  const std::vector<int>& extra_inputs() const { return extra_inputs_; }
  /// Scalars per sample of all extra inputs concatenated in order.
  int64_t extra_size() const;
  /// Total number of output scalars per sample (outputs concatenated in order).
  int64_t output_size() const;
  const std::string& source() const { return source_; }
  /// Who reads each value: per value id, the indices of the nodes taking it as an input,
  /// ascending (a node reading it twice is listed twice). Model outputs are not nodes.
  std::vector<std::vector<int>> readers() const;

  /// Runs the network on `batch` one-hot inputs x[B, 4, L]; returns the outputs
  /// concatenated per sample [B, output_size()]. `extra` is [B, extra_size()] (the
  /// extra inputs per sample, concatenated) or null for zeros. Thread-safe.
  std::vector<float> predict(const float* x, int64_t batch, const float* extra = nullptr) const;

  /// Runs the network keeping every value's activations: acts[v] is [B, numel(v)].
  void forward_all(const float* x, int64_t batch, std::vector<std::vector<float>>& acts,
                   const float* extra = nullptr) const;
  /// The same, but a value with keep[v] == 0 is handed back to `pool` after its last
  /// consumer has run (acts[v] is then empty). Reuses the buffers already in `acts`.
  /// With `run_node`, only nodes i with (*run_node)[i] != 0 run (it must be closed
  /// under inputs); the outputs of the others stay empty.
  void forward_all(const float* x, int64_t batch, std::vector<std::vector<float>>& acts,
                   const std::vector<char>& keep, BufferPool& pool,
                   const std::vector<char>* run_node = nullptr, const float* extra = nullptr) const;

  /// Replaces each output produced by a final Sigmoid/Softmax with that layer's input
  /// (the logits), then prunes. Returns how many outputs changed.
  int use_pre_activation_outputs();
  /// Keeps only `outputs` (value ids, in this order) as the model's outputs and prunes the
  /// nodes that no longer feed one.
  void keep_outputs(std::vector<int> outputs);

 protected:
  /// Removes nodes whose outputs feed no model output.
  void prune_unused();
  std::vector<Node> nodes_;
  std::vector<ValueInfo> values_;
  std::vector<int> outputs_;
  std::vector<int> extra_inputs_;
  int input_value_ = -1;
  int input_length_ = 0;
  std::string source_;
};

enum class ModelFormat { kOnnx, kKerasHdf5, kKerasJson };
/// The format a model path names, by extension (.onnx/other -> ONNX; .h5/.hdf5 -> Keras
/// HDF5; .json -> Keras architecture + separate weights).
ModelFormat model_format(const std::string& path);

/// Loads a model file: ONNX; a Keras `model.save()` HDF5 file; or a Keras architecture
/// JSON (`model.to_json()`) with `weights`, a `save_weights()` HDF5 file (found beside
/// the JSON when empty: X.h5 or ..._modelWeights.h5 for ..._modelJson.json). Throws
/// ModelError naming the file and node/layer on anything unsupported or malformed.
/// `input_length` fixes a symbolic length axis (0: the model must declare a length).
/// Not thread-safe (the HDF5 library is serial); load before starting threads.
std::unique_ptr<Model> load_model(const std::string& path, int input_length = 0,
                                  const std::string& weights = "");

/// Keras Lambda layers declared by the user, by layer name: "x[:, 2:-2]",
/// "x[:, ::-1]", "x[:, :, ::-1]" (Python indexing of the layer's input; only slices).
/// Used for lambdas whose stored bytecode seqlift does not decode.
using LambdaDeclarations = std::vector<std::pair<std::string, std::string>>;
/// "NAME=EXPR" strings (--lambda) -> declarations; UsageError when malformed.
LambdaDeclarations parse_lambda_declarations(const std::vector<std::string>& specs);
std::unique_ptr<Model> load_model(const std::string& path, int input_length,
                                  const std::string& weights, const LambdaDeclarations& lambdas);

}  // namespace seqlift
