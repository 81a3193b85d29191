// Internal: the ONNX importer's state and helpers, shared by onnx_import.cpp (graph
// walk, constant folding, fusion) and onnx_ops.cpp (one handler per supported op).
#pragma once
#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <vector>

#include "engine/layers/layers.hpp"
#include "engine/model_builder.hpp"
#include "seqlift/error.hpp"

namespace seqlift {

/// Batch size the shape arithmetic is folded with a second time: a constant element
/// that differs between the two evaluations (batch 1 and this) depends on the batch.
constexpr int64_t kAltBatch = 7;

/// A constant known at load time, with its full ONNX shape. Shape arithmetic is folded
/// twice, for batch 1 (v) and batch kAltBatch (vb, empty when it does not depend on the
/// batch), so a Reshape target tells where the batch axis goes.
struct Const {
  Shape dims;
  bool is_int = false;
  std::vector<double> v;
  std::vector<double> vb;
  std::vector<int64_t> ints() const {
    std::vector<int64_t> out(v.size());
    // INT64_MAX ("to the end" in Slice) does not survive the trip through double.
    for (std::size_t i = 0; i < v.size(); ++i)
      out[i] = v[i] >= 9.2e18    ? INT64_MAX
               : v[i] <= -9.2e18 ? INT64_MIN
                                 : static_cast<int64_t>(v[i]);
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

/// Where the batch axis sits in an ONNX tensor: ONNX axis `axis` has size hi * N * lo
/// (batch index n major over lo, minor to hi). The per-sample shape is the ONNX shape
/// with that axis replaced by hi * lo, or removed when hi * lo == 1; per-sample data
/// keep the ONNX order with n pulled out (sequence-first attention: (L, N, E) is the
/// per-sample [L, E]; (L, N * heads, d) the per-sample [L, heads, d]).
struct BatchLayout {
  int64_t axis = 0, hi = 1, lo = 1;
  bool kept() const { return hi * lo > 1; }
  bool is_default() const { return axis == 0 && !kept(); }
};

struct OnnxImporter {
  std::string path;
  onnx::ModelProto proto;
  ModelBuilder& model;
  int64_t opset = 13;
  std::map<std::string, Const> consts;
  std::map<std::string, int> dyn;        // ONNX value name -> model value id
  std::map<std::string, int> consumers;  // ONNX value name -> number of consuming nodes
  std::vector<Node> nodes;
  std::map<int, std::pair<std::size_t, ConvParams>> conv_of_value;  // for BN folding
  std::map<std::string, BatchLayout> layouts;  // ONNX value name -> batch placement (default)

  // The node being imported (for error messages).
  const onnx::NodeProto* cur = nullptr;
  std::string cur_name;

  OnnxImporter(const std::string& p, ModelBuilder& m) : path(p), model(m) {}

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

  BatchLayout layout_of(const std::string& name) const {
    auto it = layouts.find(name);
    return it == layouts.end() ? BatchLayout{} : it->second;
  }
  BatchLayout layout(int i) const { return layout_of(cur->input(i)); }
  /// The ONNX shape of dynamic input i for batch size n.
  Shape onnx_dims(int i, int64_t n) const {
    const BatchLayout l = layout(i);
    Shape d = shape_of(i);
    if (l.kept())
      d[l.axis] = l.hi * n * l.lo;
    else
      d.insert(d.begin() + l.axis, n);
    return d;
  }

  // Normalises an ONNX axis of dynamic input 0 (full rank = sample rank + 1, or equal
  // when its batch axis is merged with another) to a per-sample axis; the batch axis is
  // an error.
  int64_t sample_axis(int64_t axis, std::size_t sample_rank) const {
    const BatchLayout l = cur && cur->input_size() > 0 ? layout(0) : BatchLayout{};
    const int64_t full = static_cast<int64_t>(sample_rank) + (l.kept() ? 0 : 1);
    if (axis < 0) axis += full;
    if (axis < 0 || axis >= full || axis == l.axis)
      fail("axis " + std::to_string(axis) + " is the batch axis or out of range for rank " +
           std::to_string(full));
    return !l.kept() && axis > l.axis ? axis - 1 : axis;
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
  bool fold_constant_once(const onnx::NodeProto& n);
  /// The shape-arithmetic ops PyTorch exports beyond the basic ones (ConstantOfShape,
  /// Transpose, Where, Range, ...; onnx_fold.cpp): r = the node on constant inputs;
  /// false when the op is not one of them.
  bool fold_constant_more(const onnx::NodeProto& n, Const& r);
  void fuse_patterns(std::vector<onnx::NodeProto>& nodes_in);
};

/// How a supported ONNX op becomes a layer (or an alias) in the model.
using OnnxParser = void (*)(OnnxImporter& imp, const onnx::NodeProto& n);
/// The parser of the kinds.def row listing `op`; nullptr when the op is not supported.
OnnxParser find_onnx_parser(const std::string& op);

// onnx_ops_attention.cpp: ops that handle a moved batch axis and two computed operands.
void op_transpose_any(OnnxImporter& imp, const onnx::NodeProto& n);
void op_reshape_any(OnnxImporter& imp, const onnx::NodeProto& n);
void op_binary_any(OnnxImporter& imp, const onnx::NodeProto& n);
void op_matmul_any(OnnxImporter& imp, const onnx::NodeProto& n);
void op_gemm_any(OnnxImporter& imp, const onnx::NodeProto& n);
void op_math(OnnxImporter& imp, const onnx::NodeProto& n);
void op_split(OnnxImporter& imp, const onnx::NodeProto& n);
void op_layernorm(OnnxImporter& imp, const onnx::NodeProto& n);
/// Folds the ops attention masks are built from (Equal, Less, Greater, Not, And, Or,
/// Where, Expand, ConstantOfShape, Range, Neg) on constants; false for other ops.
bool fold_mask_op(OnnxImporter& imp, const onnx::NodeProto& n, Const& out);
void op_where(OnnxImporter& imp, const onnx::NodeProto& n);
void op_einsum(OnnxImporter& imp, const onnx::NodeProto& n);
void op_expand(OnnxImporter& imp, const onnx::NodeProto& n);
/// Comparisons and logic on a computed tensor build a data-dependent mask: refused by name
/// (called before the registry lookup).
void refuse_data_dependent_mask(OnnxImporter& imp, const onnx::NodeProto& n);
/// How an op treats a moved batch axis: 0 refuses it, 1 keeps its input's placement
/// (elementwise, Slice, Softmax, ...), 2 sets the output placement itself, 3 drops axes (a
/// reduction without keepdims): reduced_layout() gives the placement.
int batch_layout_policy(const onnx::NodeProto& n);
BatchLayout reduced_layout(OnnxImporter& imp, const onnx::NodeProto& n, BatchLayout in);
/// onnx_fold.cpp: ReduceMax as a gather, a MaxPool and a reshape (MaxPool's row).
void import_reduce_max(OnnxImporter& imp, const onnx::NodeProto& n);
/// "Add, AveragePool, ..." (from the registry) for error messages.
std::string supported_ops_list();

std::unique_ptr<ModelBuilder> load_onnx(const std::string& path, int input_length);

}  // namespace seqlift
