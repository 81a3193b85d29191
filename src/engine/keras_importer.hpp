// Internal: the Keras importer's state, shared by keras_import.cpp (files, graph walk,
// weight lookup) and keras_layers.cpp (one handler per supported Keras layer class).
//
// Layout: Keras activations are channels-last, (L, C) per sample. The engine keeps
// them channels-first: a Keras (L, C) tensor is the engine value [C, L]; a Keras (n)
// tensor is [n]. Handlers translate axes and weights accordingly (Conv1D kernel
// (k, in, out) -> [out, in, k]; Flatten/Reshape reorder to Keras' (L, C) order).
#pragma once
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "engine/layers/layers.hpp"
#include "engine/model_builder.hpp"
#include "io/hdf5_file.hpp"
#include "seqlift/error.hpp"

namespace seqlift {

using Json = nlohmann::json;

struct KerasImporter {
  std::string path;          ///< the architecture's file (for messages)
  const Hdf5File& weights;   ///< where the weights are
  std::string weights_root;  ///< "/model_weights" (model.save) or "/" (save_weights)
  ModelBuilder& model;
  std::vector<Node> nodes;
  LambdaDeclarations lambdas;  ///< user-declared Lambda layers (name, expression)
  std::set<std::string> used_lambdas;

  // The layer being imported (for messages, node names and weight lookup).
  std::string cur_name;        ///< Keras layer name
  std::string cur_class;       ///< Keras class_name
  std::string name_prefix;     ///< "outer_model/" inside nested models
  std::string weight_group;    ///< HDF5 group holding the current layer's weights
  std::string default_suffix;  ///< emit()'s suffix when none is given (activation())

  KerasImporter(std::string p, const Hdf5File& w, ModelBuilder& m)
      : path(std::move(p)), weights(w), model(m) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw ModelError(path + ": layer '" + name_prefix + cur_name + "' (" + cur_class +
                     "): " + what);
  }
  const Shape& shape_of(int value) const { return model.values()[value].shape; }
  /// Adds a node computing `layer` from `inputs`; returns its value id. `suffix`
  /// distinguishes the extra nodes of one Keras layer (e.g. "/relu").
  int emit(std::unique_ptr<Layer> layer, std::vector<int> inputs, const std::string& suffix = "");

  // ---- config access (missing or mistyped keys name the layer) ----
  const Json& key(const Json& cfg, const char* k) const;
  int64_t int_param(const Json& cfg, const char* k, int64_t dflt) const;  ///< also [n]
  double float_param(const Json& cfg, const char* k, double dflt) const;
  std::string string_param(const Json& cfg, const char* k, const std::string& dflt) const;
  bool bool_param(const Json& cfg, const char* k, bool dflt) const;

  /// The current layer's weight whose variable name ends in `suffix` ("kernel", "bias",
  /// "gamma", ...); dims checked against `expect` (empty: any). Missing and required
  /// -> ModelError; missing and optional -> empty array.
  Hdf5Array weight(const std::string& suffix, const std::vector<int64_t>& expect,
                   bool required = true) const;

  /// The HDF5 group of a top-level layer's weights.
  std::string layer_group(const std::string& layer) const {
    return weights_root + (weights_root == "/" ? "" : "/") + layer;
  }
  /// Applies a Keras activation by name ("relu", "linear", ...) to `value`.
  int activation(const std::string& name, int value, const std::string& suffix);
  /// The value reordered as Keras stores it, flattened: [C, L] -> [L * C]; [n] unchanged.
  std::vector<IndexSource> keras_order(const Shape& engine_shape) const;

  // ---- graph walk (keras_import.cpp) ----
  /// Imports a model config (Functional/Model/Sequential) applied to `inputs`;
  /// returns its output values in order.
  std::vector<int> import_model(const Json& layer_entry_or_model, const std::vector<int>& inputs);
  std::vector<int> import_functional(const Json& config, const std::vector<int>& inputs);
  std::vector<int> import_sequential(const Json& layers, const std::vector<int>& inputs);
  /// One layer call: `inputs` are engine values; returns its outputs.
  std::vector<int> import_layer(const Json& entry, const std::vector<int>& inputs);
  /// The model's input value for a Keras batch shape [null, L, 4].
  int make_input(const Json& batch_shape, const std::string& name);
  /// A model input besides the sequence: (batch, n) or (batch, length, channels).
  int make_extra_input(const Json& batch_shape, const std::string& name);
};

/// How a call of a supported Keras layer class becomes engine nodes; returns its output.
using KerasParser = int (*)(KerasImporter& imp, const Json& config, const std::vector<int>& inputs);
/// The parser of the kinds.def row listing `class_name` (or the Activation layer);
/// nullptr when the class is not supported.
KerasParser find_keras_parser(const std::string& class_name);
// keras_attention_layers.cpp: LayerNormalization, MultiHeadAttention, Multiply.
int keras_layer_norm(KerasImporter& imp, const Json& cfg, const std::vector<int>& in);
int keras_multi_head_attention(KerasImporter& imp, const Json& cfg, const std::vector<int>& in);
int keras_multiply(KerasImporter& imp, const Json& cfg, const std::vector<int>& in);
// keras_custom.cpp (Conv's row): keras_genomics RevCompConv1D; Lambdas that only index
// their input (the value, or -1 when the lambda is something else).
int import_revcomp_conv1d(KerasImporter& imp, const Json& cfg, const std::vector<int>& in);
int import_indexing_lambda(KerasImporter& imp, const Json& cfg, const std::vector<int>& in);
/// Standard or URL-safe base64 (Lambda bytecode in Keras configs); other characters are
/// skipped.
std::string base64_decode(const std::string& in);
/// "InputLayer, ..., Add, AveragePooling1D, ..." (from the registry) for error messages.
std::string supported_keras_layers();

// keras_legacy.cpp: Theano-era Sequential models (Keras 0.3, Keras 1.x 'th').
bool is_legacy_keras(const Json& root);
std::unique_ptr<ModelBuilder> load_keras_legacy(const std::string& path, const Hdf5File& weights,
                                                const Json& root, int input_length);

/// Loads a Keras model: a full `model.save()` HDF5 file, or an architecture JSON
/// (`model.to_json()`) with a `save_weights()` HDF5 file.
std::unique_ptr<ModelBuilder> load_keras(const std::string& path, const std::string& weights_path,
                                         int input_length, const LambdaDeclarations& lambdas = {});

}  // namespace seqlift
