// Internal: the ONNX importer's state and helpers, shared by onnx_import.cpp (graph
// walk, constant folding, fusion) and onnx_ops.cpp (one handler per supported op).
#pragma once
#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <vector>

#include "engine/layers/layers.hpp"
#include "seqlift/error.hpp"
#include "seqlift/model.hpp"

namespace seqlift {

/// A constant known at load time, with its full ONNX shape.
struct Const {
  Shape dims;
  bool is_int = false;
  std::vector<double> v;
  std::vector<int64_t> ints() const {
    std::vector<int64_t> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<int64_t>(v[i]);
    return out;
  }
  std::vector<float> floats() const { return std::vector<float>(v.begin(), v.end()); }
};

/// Broadcasts `c` (numpy rules) to `target` dims; throws ModelError when it cannot.
std::vector<double> broadcast(const Const& c, const Shape& target, const std::string& where);
Shape broadcast_dims(const Shape& a, const Shape& b);
Const read_tensor(const onnx::TensorProto& t, const std::string& where);
const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const char* name);
int64_t attr_int(const onnx::NodeProto& n, const char* name, int64_t dflt);
float attr_float(const onnx::NodeProto& n, const char* name, float dflt);
std::string attr_string(const onnx::NodeProto& n, const char* name, const std::string& dflt);
std::vector<int64_t> attr_ints(const onnx::NodeProto& n, const char* name);

struct OnnxImporter {
  std::string path;
  onnx::ModelProto proto;
  Model& model;
  int64_t opset = 13;
  std::map<std::string, Const> consts;
  std::map<std::string, int> dyn;        // ONNX value name -> model value id
  std::map<std::string, int> consumers;  // ONNX value name -> number of consuming nodes
  std::vector<Node> nodes;
  std::map<int, std::pair<std::size_t, ConvParams>> conv_of_value;  // for BN folding

  // The node being imported (for error messages).
  const onnx::NodeProto* cur = nullptr;
  std::string cur_name;

  OnnxImporter(const std::string& p, Model& m) : path(p), model(m) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw ModelError(path + ": node '" + cur_name + "' (op " + (cur ? cur->op_type() : "?") +
                     "): " + what);
  }

  bool is_const(const std::string& name) const { return name.empty() || consts.count(name); }
  const Const& constant(int i) const {
    if (i >= cur->input_size() || cur->input(i).empty()) fail("missing input " + std::to_string(i));
    auto it = consts.find(cur->input(i));
    if (it == consts.end()) fail("input '" + cur->input(i) + "' must be a constant");
    return it->second;
  }
  bool has_input(int i) const { return i < cur->input_size() && !cur->input(i).empty(); }
  int value(int i) const {
    if (i >= cur->input_size()) fail("missing input " + std::to_string(i));
    auto it = dyn.find(cur->input(i));
    if (it == dyn.end()) fail("input '" + cur->input(i) + "' is not computed by the graph");
    return it->second;
  }
  const Shape& shape_of(int i) const { return model.values()[value(i)].shape; }

  // Normalises an ONNX axis of a dynamic value (full rank = sample rank + 1) to a
  // per-sample axis; the batch axis is an error.
  int64_t sample_axis(int64_t axis, std::size_t sample_rank) const {
    const int64_t full = static_cast<int64_t>(sample_rank) + 1;
    if (axis < 0) axis += full;
    if (axis <= 0 || axis >= full)
      fail("axis " + std::to_string(axis) + " is the batch axis or out of range for rank " +
           std::to_string(full));
    return axis - 1;
  }

  void emit(std::unique_ptr<Layer> layer, std::vector<int> inputs, const std::string& out_name,
            const std::string& op = "") {
    check_tensor_size(layer->output_shape(), path + ": node '" + cur_name + "'");
    Node node;
    node.name = cur_name;
    node.op = op.empty() ? cur->op_type() : op;
    node.inputs = std::move(inputs);
    node.output = model.add_value(out_name, layer->output_shape(), static_cast<int>(nodes.size()));
    node.layer = std::move(layer);
    dyn[out_name] = node.output;
    nodes.push_back(std::move(node));
  }
  void alias(const std::string& out_name, int value_id) { dyn[out_name] = value_id; }

  void load();
  void import_graph();
  void import_node(const onnx::NodeProto& n);
  bool fold_constant(const onnx::NodeProto& n);
  void fuse_patterns(std::vector<onnx::NodeProto>& nodes_in);
};

/// How a supported ONNX op becomes a layer (or an alias) in the model.
using OnnxParser = void (*)(OnnxImporter& imp, const onnx::NodeProto& n);
/// The parser of the kinds.def row listing `op`; nullptr when the op is not supported.
OnnxParser find_onnx_parser(const std::string& op);
/// "Add, AveragePool, ..." (from the registry) for error messages.
std::string supported_ops_list();

std::unique_ptr<Model> load_onnx(const std::string& path, int input_length);

}  // namespace seqlift
