// ONNX attribute parsers: one per kinds.def row with ONNX ops, turning a node into a
// layer (or an alias). The row lists the ops; kParsers below is generated from it.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>

#include "engine/index_maps.hpp"
#include "engine/onnx_importer.hpp"
#include "engine/registry.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

using Imp = OnnxImporter;
using NodeP = onnx::NodeProto;

// Every kActivation kind: the op's registered kind, with its alpha attribute when the
// op has one (LeakyRelu, Elu; the kind's default otherwise). Fused composites (Silu,
// Mish) name their parts in doc_string.
void op_activation(Imp& imp, const NodeP& n) {
  const int v = imp.value(0);
  const std::string op = n.doc_string().empty() ? n.op_type() : n.doc_string();
  std::optional<float> alpha;
  if (find_attr(n, "alpha")) alpha = attr_float(n, "alpha", 0);
  imp.emit(make_activation(find_kind_for_onnx_op(n.op_type())->kind, imp.shape_of(0), alpha), {v},
           n.output(0), op);
}
void op_gelu(Imp& i, const NodeP& n) {
  if (attr_string(n, "approximate", "none") != "none")
    i.fail("only the exact (erf) GELU is supported");
  op_activation(i, n);
}

// Identity, Dropout (inference) and Cast to float: an alias, no node.
void op_identity(Imp& i, const NodeP& n) {
  if (n.op_type() == "Cast" && attr_int(n, "to", 1) != onnx::TensorProto_DataType_FLOAT)
    i.fail("casts a computed tensor to a non-float type");
  i.alias(n.output(0), i.value(0));
}

// Resolves a padding attribute set (auto_pad / pads) for a 1-D window op.
void resolve_pads(Imp& imp, const NodeP& n, int64_t length, int64_t span, int64_t stride,
                  int64_t& left, int64_t& right) {
  const std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
  left = right = 0;
  if (auto_pad == "NOTSET") {
    auto pads = attr_ints(n, "pads");
    if (pads.size() == 2) {
      left = pads[0];
      right = pads[1];
    } else if (!pads.empty())
      imp.fail("pads must have 2 values for a 1-D op");
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    const int64_t out = (length + stride - 1) / stride;
    const int64_t total = std::max<int64_t>(0, (out - 1) * stride + span - length);
    left = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    right = total - left;
  } else if (auto_pad != "VALID") {
    imp.fail("unknown auto_pad '" + auto_pad + "'");
  }
}

int64_t single(Imp& imp, const std::vector<int64_t>& v, const char* what, int64_t dflt) {
  if (v.empty()) return dflt;
  if (v.size() != 1) imp.fail(std::string(what) + " must have one value (1-D op)");
  return v[0];
}

const Shape& require_cl(Imp& imp) {
  const Shape& s = imp.shape_of(0);
  if (s.size() != 2) imp.fail("expects an [N, C, L] input, got [N] + " + shape_string(s));
  return s;
}

void op_conv(Imp& imp, const NodeP& n) {
  const Shape& s = require_cl(imp);
  const Const& w = imp.constant(1);
  if (w.dims.size() != 3)
    imp.fail("only 1-D convolution is supported (weight shape " + shape_string(w.dims) + ")");
  ConvParams p;
  p.in_channels = s[0];
  p.length_in = s[1];
  p.out_channels = w.dims[0];
  p.kernel = w.dims[2];
  p.groups = attr_int(n, "group", 1);
  p.stride = single(imp, attr_ints(n, "strides"), "strides", 1);
  p.dilation = single(imp, attr_ints(n, "dilations"), "dilations", 1);
  if (w.dims[1] * p.groups != p.in_channels)
    imp.fail("weight expects " + std::to_string(w.dims[1] * p.groups) +
             " input channels, input has " + std::to_string(p.in_channels));
  resolve_pads(imp, n, p.length_in, p.dilation * (p.kernel - 1) + 1, p.stride, p.pad_left,
               p.pad_right);
  p.weight = w.floats();
  if (imp.has_input(2)) p.bias = imp.constant(2).floats();
  const int in = imp.value(0);
  imp.emit(make_conv(p), {in}, n.output(0));
  imp.conv_of_value[imp.dyn[n.output(0)]] = {imp.nodes.size() - 1, p};
}

void op_batchnorm(Imp& imp, const NodeP& n) {
  const int v = imp.value(0);
  const Shape& s = imp.shape_of(0);
  const auto gamma = imp.constant(1).v, beta = imp.constant(2).v, mean = imp.constant(3).v,
             var = imp.constant(4).v;
  const double eps = attr_float(n, "epsilon", 1e-5f);
  const int64_t c = s.at(0);
  if (static_cast<int64_t>(gamma.size()) != c)
    imp.fail("parameters do not match " + std::to_string(c) + " channels");
  std::vector<double> scale(c), shift(c);
  for (int64_t i = 0; i < c; ++i) {
    scale[i] = gamma[i] / std::sqrt(var[i] + eps);
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  auto conv = imp.conv_of_value.find(v);
  if (conv != imp.conv_of_value.end() && imp.consumers[n.input(0)] == 1) {
    ConvParams p = conv->second.second;  // fold into the conv that feeds only us
    const int64_t per_out = static_cast<int64_t>(p.weight.size()) / p.out_channels;
    if (p.bias.empty()) p.bias.assign(p.out_channels, 0.0f);
    for (int64_t o = 0; o < p.out_channels; ++o) {
      for (int64_t j = 0; j < per_out; ++j)
        p.weight[o * per_out + j] = float(p.weight[o * per_out + j] * scale[o]);
      p.bias[o] = float(p.bias[o] * scale[o] + shift[o]);
    }
    Node& node = imp.nodes[conv->second.first];
    node.layer = make_conv(p);
    node.op += "+BatchNormalization";
    imp.alias(n.output(0), v);
    return;
  }
  const int64_t per_channel = numel(s) / c;
  std::vector<float> sc(numel(s)), sh(numel(s));
  for (int64_t i = 0; i < numel(s); ++i) {
    sc[i] = float(scale[i / per_channel]);
    sh[i] = float(shift[i / per_channel]);
  }
  imp.emit(make_affine("BatchNorm", s, sc, sh, 4 * c), {v}, n.output(0));  // as stored
}

// Gemm / MatMul with a constant operand (also on a moved batch axis), and MatMul of two
// computed tensors (attention: a Shapley product, kind MatMul).
void op_dense(Imp& imp, const NodeP& n) {
  if (n.op_type() == "Gemm")
    op_gemm_any(imp, n);
  else
    op_matmul_any(imp, n);
}

PoolParams pool_params(Imp& imp, const NodeP& n, bool global) {
  const Shape& s = require_cl(imp);
  PoolParams p;
  p.channels = s[0];
  p.length_in = s[1];
  if (global) {
    p.kernel = s[1];
    return p;
  }
  p.kernel = single(imp, attr_ints(n, "kernel_shape"), "kernel_shape", 0);
  if (p.kernel <= 0) imp.fail("kernel_shape is required");
  p.stride = single(imp, attr_ints(n, "strides"), "strides", 1);
  p.dilation = single(imp, attr_ints(n, "dilations"), "dilations", 1);
  p.ceil_mode = attr_int(n, "ceil_mode", 0) != 0;
  p.count_include_pad = attr_int(n, "count_include_pad", 0) != 0;
  resolve_pads(imp, n, p.length_in, p.dilation * (p.kernel - 1) + 1, p.stride, p.pad_left,
               p.pad_right);
  return p;
}

void op_maxpool(Imp& imp, const NodeP& n) {
  if (n.op_type() == "ReduceMax") return import_reduce_max(imp, n);  // onnx_fold.cpp
  if (n.output_size() > 1 && !n.output(1).empty()) imp.fail("the Indices output is not supported");
  const int v = imp.value(0);
  imp.emit(make_maxpool("MaxPool", pool_params(imp, n, n.op_type() == "GlobalMaxPool")), {v},
           n.output(0));
}
void op_avgpool(Imp& imp, const NodeP& n) {
  const int v = imp.value(0);
  imp.emit(make_avgpool("AveragePool", pool_params(imp, n, n.op_type() == "GlobalAveragePool")),
           {v}, n.output(0));
}

std::vector<int64_t> reduce_axes(Imp& imp, const NodeP& n) {
  std::vector<int64_t> axes = imp.has_input(1) ? imp.constant(1).ints() : attr_ints(n, "axes");
  for (auto& a : axes) a = imp.sample_axis(a, imp.shape_of(0).size());
  return axes;
}
void op_reduce(Imp& imp, const NodeP& n) {
  const int v = imp.value(0);
  const bool keep = attr_int(n, "keepdims", 1) != 0;
  auto axes = reduce_axes(imp, n);
  if (n.op_type() == "ReduceLogSumExp")
    imp.emit(make_logsumexp(n.op_type(), imp.shape_of(0), axes, keep), {v}, n.output(0));
  else
    imp.emit(make_reduce(n.op_type(), imp.shape_of(0), axes, keep, n.op_type() == "ReduceMean"),
             {v}, n.output(0));
}

void op_softmax(Imp& imp, const NodeP& n) {
  const int v = imp.value(0);
  const Shape& s = imp.shape_of(0);
  const int64_t axis = imp.sample_axis(attr_int(n, "axis", imp.opset >= 13 ? -1 : 1), s.size());
  if (imp.opset < 13 && axis != static_cast<int64_t>(s.size()) - 1)
    imp.fail("opset < 13 Softmax on a non-final axis is not supported");
  imp.emit(make_softmax(n.op_type(), s, axis, n.op_type() == "LogSoftmax"), {v}, n.output(0));
}

void emit_reshape(Imp& imp, const NodeP& n, const Shape& out) {
  const int v = imp.value(0);
  imp.emit(make_reshape(n.op_type() == "Flatten" ? "Flatten" : "Reshape", imp.shape_of(0), out),
           {v}, n.output(0));
}

void op_flatten(Imp& imp, const NodeP& n) {
  if (attr_int(n, "axis", 1) != 1)
    imp.fail("only axis 1 is supported (other axes fold the batch axis)");
  emit_reshape(imp, n, {numel(imp.shape_of(0))});
}

void op_squeeze_unsqueeze(Imp& imp, const NodeP& n);

// Reshape (also moving or merging the batch axis: onnx_ops_attention.cpp); Squeeze and
// Unsqueeze keep it first.
void op_reshape(Imp& imp, const NodeP& n) {
  if (n.op_type() != "Reshape") return op_squeeze_unsqueeze(imp, n);
  op_reshape_any(imp, n);
}

void op_squeeze_unsqueeze(Imp& imp, const NodeP& n) {
  const Shape& s = imp.shape_of(0);
  std::vector<int64_t> axes = imp.has_input(1) ? imp.constant(1).ints() : attr_ints(n, "axes");
  Shape out = s;
  if (n.op_type() == "Unsqueeze") {
    const int64_t full_out = static_cast<int64_t>(s.size() + axes.size()) + 1;
    for (auto& a : axes) {
      if (a < 0) a += full_out;
      if (a <= 0 || a >= full_out)
        imp.fail("axis " + std::to_string(a) + " is the batch axis or out of range");
    }
    std::sort(axes.begin(), axes.end());
    for (auto a : axes) out.insert(out.begin() + (a - 1), 1);
  } else {
    std::vector<bool> drop(s.size(), axes.empty());
    if (axes.empty())
      for (std::size_t i = 0; i < s.size(); ++i) drop[i] = s[i] == 1;
    for (auto a : axes) drop[imp.sample_axis(a, s.size())] = true;
    out.clear();
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (drop[i] && s[i] != 1) imp.fail("cannot squeeze axis of size " + std::to_string(s[i]));
      if (!drop[i]) out.push_back(s[i]);
    }
  }
  emit_reshape(imp, n, out);
}

bool fold_slice_into_conv(Imp& imp, const NodeP& n, const Shape& s,
                          const std::vector<int64_t>& axes, const std::vector<int64_t>& starts,
                          const std::vector<int64_t>& ends, const std::vector<int64_t>& steps);

void op_slice(Imp& imp, const NodeP& n) {
  const Shape& s = imp.shape_of(0);
  std::vector<int64_t> starts, ends, axes, steps;
  if (imp.opset < 10) {
    starts = attr_ints(n, "starts");
    ends = attr_ints(n, "ends");
    axes = attr_ints(n, "axes");
  } else {
    starts = imp.constant(1).ints();
    ends = imp.constant(2).ints();
    if (imp.has_input(3)) axes = imp.constant(3).ints();
    if (imp.has_input(4)) steps = imp.constant(4).ints();
  }
  if (axes.empty())
    for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
  for (auto& a : axes) a = imp.sample_axis(a, s.size());
  if (fold_slice_into_conv(imp, n, s, axes, starts, ends, steps)) return;
  Shape out;
  auto map = slice_map(s, axes, starts, ends, steps, out);
  const int v = imp.value(0);
  imp.emit(make_index_map("Slice", {s}, out, std::move(map)), {v}, n.output(0));
}

// A Conv whose only consumer slices a window of its length axis computes just that
// window (bpnet's profile head reads one position of 2114): the window becomes the
// conv's padding.
bool fold_slice_into_conv(Imp& imp, const NodeP& n, const Shape& s,
                          const std::vector<int64_t>& axes, const std::vector<int64_t>& starts,
                          const std::vector<int64_t>& ends, const std::vector<int64_t>& steps) {
  const int v = imp.value(0);
  auto conv = imp.conv_of_value.find(v);
  if (conv == imp.conv_of_value.end() || imp.consumers[n.input(0)] != 1 || s.size() != 2)
    return false;
  if (axes.size() != 1 || axes[0] != 1 || (!steps.empty() && steps[0] != 1)) return false;
  Shape out;
  slice_map(s, axes, starts, ends, steps, out);  // resolves clamping and negative indices
  int64_t first = starts[0] < 0 ? starts[0] + s[1] : starts[0];
  first = std::clamp<int64_t>(first, 0, s[1]);
  const int64_t count = out[1];
  if (count <= 0) return false;
  const ConvParams p = conv->second.second.window(first, count);
  Node& node = imp.nodes[conv->second.first];
  node.layer = make_conv(p);
  node.op += "+Slice";
  conv->second.second = p;
  imp.model.values_mutable(v).shape = node.layer->output_shape();
  imp.alias(n.output(0), v);
  return true;
}

void op_gather(Imp& imp, const NodeP& n) {
  const Shape& s = imp.shape_of(0);
  const Const& idx = imp.constant(1);
  const int64_t axis = imp.sample_axis(attr_int(n, "axis", 0), s.size());
  Shape out;
  auto map = gather_map(s, axis, idx.ints(), idx.dims, out);
  const int v = imp.value(0);
  imp.emit(make_index_map("Gather", {s}, out, std::move(map)), {v}, n.output(0));
}

void op_concat(Imp& imp, const NodeP& n) {
  std::vector<int> ins;
  std::vector<Shape> shapes;
  for (int i = 0; i < n.input_size(); ++i) {
    if (imp.is_const(n.input(i)))
      imp.fail("concatenating a constant with computed tensors is not supported");
    ins.push_back(imp.value(i));
    shapes.push_back(imp.shape_of(i));
  }
  const int64_t axis = imp.sample_axis(attr_int(n, "axis", 0), shapes[0].size());
  Shape out;
  auto map = concat_map(shapes, axis, out);
  imp.emit(make_index_map("Concat", shapes, out, std::move(map)), ins, n.output(0));
}

void op_pad(Imp& imp, const NodeP& n) {
  if (attr_string(n, "mode", "constant") != "constant")
    imp.fail("only constant padding is supported");
  const Shape& s = imp.shape_of(0);
  std::vector<int64_t> pads = imp.opset >= 11 ? imp.constant(1).ints() : attr_ints(n, "pads");
  float fill = imp.opset >= 11 ? (imp.has_input(2) ? float(imp.constant(2).v.at(0)) : 0.0f)
                               : attr_float(n, "value", 0);
  const std::size_t full = s.size() + 1;
  if (imp.has_input(3)) imp.fail("the axes input is not supported");
  if (pads.size() != 2 * full)
    imp.fail("pads has " + std::to_string(pads.size()) + " values, expected " +
             std::to_string(2 * full));
  if (pads[0] != 0 || pads[full] != 0) imp.fail("padding the batch axis is not supported");
  std::vector<int64_t> begin(pads.begin() + 1, pads.begin() + full),
      end(pads.begin() + full + 1, pads.end());
  Shape out;
  auto map = pad_map(s, begin, end, out);
  const int v = imp.value(0);
  imp.emit(make_index_map("Pad", {s}, out, std::move(map), fill), {v}, n.output(0));
}

// kinds.def: a row's ONNX ops and its parser go together (checked at compile time).
constexpr bool is_null(std::nullptr_t) {
  return true;
}
constexpr bool is_null(OnnxParser) {
  return false;
}
#define SEQLIFT_KIND(kind, onnx, onnx_fn, keras, keras_fn, acts, chain, flags) \
  static_assert(std::string_view(onnx).empty() == is_null(onnx_fn),            \
                #kind ": kinds.def lists ONNX ops without a parser or a parser without ops");
#include "engine/kinds.def"
#undef SEQLIFT_KIND

#define SEQLIFT_KIND(kind, onnx, onnx_fn, keras, keras_fn, acts, chain, flags) OnnxParser(onnx_fn),
constexpr OnnxParser kParsers[] = {
#include "engine/kinds.def"
};
#undef SEQLIFT_KIND

}  // namespace

OnnxParser find_onnx_parser(const std::string& op) {
  const KindSpec* k = find_kind_for_onnx_op(op);
  return k ? kParsers[k->index] : nullptr;
}

std::string supported_ops_list() {
  return supported_onnx_ops() +
         " (plus Constant and shape arithmetic: Shape, Gather, Unsqueeze, Concat, Slice on "
         "constants)";
}

}  // namespace seqlift
