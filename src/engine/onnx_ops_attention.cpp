// ONNX ops for attention and gated blocks as PyTorch exports them: products and
// quotients of two computed tensors (with broadcasting), MatMul of two computed tensors,
// Softmax inside the network, LayerNormalization, Split, elementwise math functions, and
// Transpose / Reshape / Gemm that move or merge the batch axis (sequence-first
// nn.MultiheadAttention: (L, N, E), (L, N * heads, d)). The batch placement of every
// value is tracked in OnnxImporter::layouts; each op here either carries it or refuses
// the construct by name.
#include "engine/onnx_ops_attention.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "engine/index_maps.hpp"
#include "engine/layers/attention_layers.hpp"
#include "engine/onnx_importer.hpp"
#include "engine/registry.hpp"
#include "seqlift/error.hpp"

namespace seqlift {

void set_layout(Imp& imp, const std::string& out, BatchLayout l) {
  if (!l.kept()) l.hi = l.lo = 1;
  imp.layouts[out] = l;
}

int64_t onnx_rank(Imp& imp, int i) {
  return static_cast<int64_t>(imp.shape_of(i).size()) + (imp.layout(i).kept() ? 0 : 1);
}

// Per-sample values of constant `c` broadcast against dynamic input `di`: the constant
// may not vary along the batch axis.
std::vector<double> constant_for(Imp& imp, int di, const Const& c) {
  const BatchLayout l = imp.layout(di);
  const Shape full = imp.onnx_dims(di, 1);  // batch axis of size hi * lo (or 1)
  if (c.dims.size() > full.size())
    imp.fail("the constant operand of shape " + shape_string(c.dims) +
             " has a higher rank than the computed one (" + shape_string(full) + ")");
  const int64_t at = l.axis - static_cast<int64_t>(full.size() - c.dims.size());
  if (at >= 0 && c.dims[at] != 1)
    imp.fail("the constant operand of shape " + shape_string(c.dims) +
             " varies along the batch axis");
  return broadcast(c, full, imp.path + ": node '" + imp.cur_name + "'");
}

namespace {

int64_t product(const std::vector<int64_t>& d, std::size_t from, std::size_t to) {
  int64_t p = 1;
  for (std::size_t i = from; i < to && i < d.size(); ++i) p *= d[i];
  return p;
}

std::string dims_string(const std::vector<int64_t>& d) {
  return shape_string(Shape(d.begin(), d.end()));
}

void emit_reciprocal(Imp& imp, int v, const Shape& s, const std::string& name) {
  imp.emit(make_math("Reciprocal", s), {v}, name, "Reciprocal");
}

}  // namespace

// Add / Sub / Mul / Div. A computed tensor with a constant: an elementwise affine map
// (constant / computed: Reciprocal then a scale). Two computed tensors: a sum, or the
// Shapley product (a / b = a * Reciprocal(b)), with numpy broadcasting between them.
void op_binary_any(Imp& imp, const NodeP& n) {
  std::string op = n.op_type();
  const bool c0 = imp.is_const(n.input(0)), c1 = imp.is_const(n.input(1));
  if (!c0 && !c1) {
    const BatchLayout la = imp.layout(0), lb = imp.layout(1);
    const int64_t ra = onnx_rank(imp, 0), rb = onnx_rank(imp, 1), r = std::max(ra, rb);
    const int64_t pa = la.axis + r - ra, pb = lb.axis + r - rb;
    if (pa != pb || la.hi != lb.hi || la.lo != lb.lo)
      imp.fail("the two computed operands hold the batch axis at different places (axis " +
               std::to_string(pa) + " vs " + std::to_string(pb) + " after broadcasting)");
    const Shape sa = imp.shape_of(0), sb = imp.shape_of(1);
    int a = imp.value(0), b = imp.value(1);
    if (op == "Div") {
      emit_reciprocal(imp, b, sb, n.output(0) + ":reciprocal");
      b = imp.dyn[n.output(0) + ":reciprocal"];
      op = "Mul";
    }
    if (op == "Mul" || sa != sb)
      imp.emit(make_broadcast_binary(op, sa, sb), {a, b}, n.output(0));
    else
      imp.emit(make_sum("Sum", sa, {1.0f, op == "Sub" ? -1.0f : 1.0f}), {a, b}, n.output(0));
    set_layout(imp, n.output(0), {pa, la.hi, la.lo});
    return;
  }
  const int di = c0 ? 1 : 0;
  int v = imp.value(di);
  const Shape s = imp.shape_of(di);
  const auto c = constant_for(imp, di, imp.constant(1 - di));
  std::vector<float> scale, shift;
  if (op == "Add")
    shift.assign(c.begin(), c.end());
  else if (op == "Sub" && di == 0)
    for (double x : c) shift.push_back(float(-x));
  else if (op == "Sub") {
    shift.assign(c.begin(), c.end());
    scale.assign(c.size(), -1.0f);
  } else if (op == "Mul")
    scale.assign(c.begin(), c.end());
  else if (di == 0)
    for (double x : c) scale.push_back(float(1.0 / x));
  else {  // constant / computed = constant * Reciprocal(computed)
    emit_reciprocal(imp, v, s, n.output(0) + ":reciprocal");
    v = imp.dyn[n.output(0) + ":reciprocal"];
    scale.assign(c.begin(), c.end());
  }
  const BatchLayout l = imp.layout(di);
  imp.emit(make_affine("Affine", s, scale, shift), {v}, n.output(0));
  set_layout(imp, n.output(0), l);
}

void op_transpose_any(Imp& imp, const NodeP& n) {
  const Shape s = imp.shape_of(0);
  const BatchLayout l = imp.layout(0);
  const int64_t r = onnx_rank(imp, 0);
  std::vector<int64_t> perm = attr_ints(n, "perm");
  if (perm.empty())
    for (int64_t a = r - 1; a >= 0; --a) perm.push_back(a);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < static_cast<int64_t>(sorted.size()); ++i)
    if (sorted[i] != i || static_cast<int64_t>(perm.size()) != r)
      imp.fail("perm " + dims_string(perm) + " is not a permutation of " + std::to_string(r) +
               " axes");
  BatchLayout out_l = l;
  std::vector<int64_t> sp;
  for (int64_t i = 0; i < r; ++i) {
    if (perm[i] == l.axis) out_l.axis = i;
    if (perm[i] == l.axis && !l.kept()) continue;
    sp.push_back(!l.kept() && perm[i] > l.axis ? perm[i] - 1 : perm[i]);
  }
  bool identity = true;
  for (std::size_t i = 0; i < sp.size(); ++i) identity = identity && sp[i] == int64_t(i);
  const int v = imp.value(0);
  if (identity) {
    imp.alias(n.output(0), v);  // only the batch axis moved: the same per-sample data
  } else {
    Shape out;
    auto map = transpose_map(s, sp, out);
    imp.emit(make_index_map("Transpose", {s}, out, std::move(map)), {v}, n.output(0));
  }
  set_layout(imp, n.output(0), out_l);
}

// Reshape: the target shape is folded for batch 1 and batch 7, so the axis that holds
// the batch (and its factor, as in N * heads or L * N) is known. The reshape is a
// per-sample reshape when everything major to the batch index stays major to it.
void op_reshape_any(Imp& imp, const NodeP& n) {
  const Shape s = imp.shape_of(0);
  const BatchLayout l = imp.layout(0);
  const Const& tc = imp.constant(1);
  std::vector<int64_t> t1 = tc.ints(), t7 = t1;
  if (!tc.vb.empty())
    for (std::size_t i = 0; i < tc.vb.size(); ++i) t7[i] = static_cast<int64_t>(tc.vb[i]);
  if (attr_int(n, "allowzero", 0) != 0 && std::find(t1.begin(), t1.end(), int64_t(0)) != t1.end())
    imp.fail("allowzero with a 0 in the target shape is not supported");
  const Shape in1 = imp.onnx_dims(0, 1), in7 = imp.onnx_dims(0, kAltBatch);
  for (std::size_t i = 0; i < t1.size(); ++i)
    if (t1[i] == 0) {
      if (i >= in1.size()) imp.fail("0 in the target shape has no input axis to copy");
      t1[i] = in1[i];
      t7[i] = in7[i];
    }
  const std::string target = dims_string(t1);
  std::vector<int64_t> varying;
  for (std::size_t i = 0; i < t1.size(); ++i)
    if (t1[i] != t7[i]) varying.push_back(static_cast<int64_t>(i));
  int64_t q = -1;
  if (varying.size() > 1)
    imp.fail("the target shape " + target + " has several axes that depend on the batch size");
  if (varying.size() == 1) {
    q = varying[0];
    if (t1[q] <= 0 || t7[q] != t1[q] * kAltBatch)
      imp.fail("axis " + std::to_string(q) +
               " of the target shape is not a multiple of the batch size");
  } else if (l.is_default() && !t1.empty() && (t1[0] == 1 || t1[0] == -1)) {
    q = 0;  // a batch-first target written for batch 1 ([1, -1], [-1, C, L])
    if (t1[0] == -1) t1[0] = 1;
  } else {
    for (std::size_t i = 0; i < t1.size(); ++i)
      if (t1[i] == -1) q = static_cast<int64_t>(i);
    if (q < 0)
      imp.fail("cannot tell which axis of the target shape " + target +
               " holds the batch (no axis depends on the batch size)");
  }
  // Per-sample target: axis q has the batch factored out (its size c = hi * lo).
  std::vector<int64_t> out = t1;
  const int64_t per = numel(s);
  int64_t infer = -1, known = 1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer >= 0) imp.fail("more than one -1 in the target shape " + target);
      infer = static_cast<int64_t>(i);
    } else if (out[i] < 0) {
      imp.fail("negative size in the target shape " + target);
    } else {
      known *= out[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || per % known) imp.fail("cannot infer -1 in " + target);
    out[infer] = per / known;
  }
  if (product(out, 0, out.size()) != per)
    imp.fail("cannot reshape " + shape_string(in1) + " (batch 1) to " + target);
  const int64_t c = out[q];
  // Everything major to the batch index before must stay major to it after.
  const int64_t major_in = product(in1, 0, l.axis) * l.hi;
  const int64_t before = product(out, 0, q);
  if (before == 0 || major_in % before != 0 || c % (major_in / before) != 0)
    imp.fail("the target shape " + target + " mixes the batch axis with other axes (input " +
             shape_string(in1) + " at batch 1, batch at axis " + std::to_string(l.axis) +
             "); only moves and merges that keep each sample's data together are supported");
  const int64_t hi = major_in / before, lo = c / hi;
  Shape sample;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (int64_t(i) != q || c > 1) sample.push_back(out[i]);
  const int v = imp.value(0);
  if (sample == s)
    imp.alias(n.output(0), v);
  else
    imp.emit(make_reshape("Reshape", s, sample), {v}, n.output(0));
  set_layout(imp, n.output(0), {q, hi, lo});
}

void op_matmul_any(Imp& imp, const NodeP& n) {
  if (imp.is_const(n.input(0)))
    imp.fail("a constant first operand times a computed tensor is not supported");
  const BatchLayout la = imp.layout(0);
  const int64_t ra = onnx_rank(imp, 0);
  const Shape sa = imp.shape_of(0);
  if (imp.is_const(n.input(1))) {
    const Const& b = imp.constant(1);
    if (b.dims.size() != 2)
      imp.fail("the constant operand must be 2-D, got " + shape_string(b.dims));
    if (la.axis == ra - 1) imp.fail("the batch axis is the contracted (last) axis");
    DenseParams p;
    p.input = sa;
    p.in_features = b.dims[0];
    p.out_features = b.dims[1];
    if (sa.empty() || sa.back() != p.in_features) imp.fail("inner dimensions do not match");
    p.weight.resize(p.in_features * p.out_features);
    for (int64_t o = 0; o < p.out_features; ++o)
      for (int64_t f = 0; f < p.in_features; ++f)
        p.weight[o * p.in_features + f] = float(b.v[f * p.out_features + o]);
    const int in = imp.value(0);
    imp.emit(make_dense(p), {in}, n.output(0));
    set_layout(imp, n.output(0), la);
    return;
  }
  const BatchLayout lb = imp.layout(1);
  const int64_t rb = onnx_rank(imp, 1), r = std::max(ra, rb);
  if (ra < 2 || rb < 2) imp.fail("1-D operands of a MatMul of computed tensors are not supported");
  if (la.axis >= ra - 2 || lb.axis >= rb - 2)
    imp.fail("the batch axis is one of the matrix axes of a MatMul of computed tensors");
  const int64_t pa = la.axis + r - ra, pb = lb.axis + r - rb;
  if (pa != pb || la.hi != lb.hi || la.lo != lb.lo)
    imp.fail("the two operands hold the batch axis at different places");
  const int a = imp.value(0), b = imp.value(1);
  imp.emit(make_matmul(sa, imp.shape_of(1)), {a, b}, n.output(0));
  set_layout(imp, n.output(0), {pa, la.hi, la.lo});
}

// Gemm on [M, K] with the batch in M (possibly merged: (L * N, E) in attention).
void op_gemm_any(Imp& imp, const NodeP& n) {
  if (attr_int(n, "transA", 0)) imp.fail("transA is not supported");
  const Shape s = imp.shape_of(0);
  const BatchLayout l = imp.layout(0);
  if (onnx_rank(imp, 0) != 2 || l.axis != 0)
    imp.fail("expects a 2-D input with the batch in its first axis, got per-sample " +
             shape_string(s));
  const Const& b = imp.constant(1);
  if (b.dims.size() != 2) imp.fail("B must be 2-D");
  const bool tb = attr_int(n, "transB", 0) != 0;
  const double alpha = attr_float(n, "alpha", 1.0f), beta = attr_float(n, "beta", 1.0f);
  DenseParams p;
  p.input = s;
  p.in_features = tb ? b.dims[1] : b.dims[0];
  p.out_features = tb ? b.dims[0] : b.dims[1];
  if (p.in_features != s.back())
    imp.fail("B has " + std::to_string(p.in_features) + " input features, input has " +
             std::to_string(s.back()));
  p.weight.resize(p.in_features * p.out_features);
  for (int64_t o = 0; o < p.out_features; ++o)
    for (int64_t f = 0; f < p.in_features; ++f)
      p.weight[o * p.in_features + f] =
          float(alpha * (tb ? b.v[o * p.in_features + f] : b.v[f * p.out_features + o]));
  if (imp.has_input(2)) {
    const Const& cc = imp.constant(2);
    if (cc.dims.size() == 2 && cc.dims[0] != 1)
      imp.fail("C must broadcast over the rows (shape " + shape_string(cc.dims) + ")");
    Const row = cc;
    if (row.dims.size() == 2) row.dims = {row.dims[1]};
    auto c = broadcast(row, {p.out_features}, "Gemm C");
    for (auto v : c) p.bias.push_back(float(beta * v));
  }
  const int in = imp.value(0);
  imp.emit(make_dense(p), {in}, n.output(0));
  set_layout(imp, n.output(0), l);
}

// Sqrt, Reciprocal, Erf, Pow with a constant scalar exponent.
void op_math(Imp& imp, const NodeP& n) {
  double exponent = 1.0;
  if (n.op_type() == "Pow") {
    if (!imp.is_const(n.input(1))) imp.fail("Pow with a computed exponent is not supported");
    const Const& e = imp.constant(1);
    if (e.v.size() != 1)
      imp.fail("Pow with a non-scalar exponent (shape " + shape_string(e.dims) + ")");
    exponent = e.v[0];
  }
  const int v = imp.value(0);
  imp.emit(make_math(n.op_type(), imp.shape_of(0), exponent), {v}, n.output(0));
}

// Split into slices along one axis (nn.GLU exports Split + Sigmoid + Mul).
void op_split(Imp& imp, const NodeP& n) {
  const Shape s = imp.shape_of(0);
  const int64_t axis = imp.sample_axis(attr_int(n, "axis", 0), s.size());
  std::vector<int64_t> sizes =
      imp.opset >= 13 ? (imp.has_input(1) ? imp.constant(1).ints() : std::vector<int64_t>{})
                      : attr_ints(n, "split");
  const int64_t parts = n.output_size();
  if (sizes.empty()) {
    if (s[axis] % parts)
      imp.fail("axis of size " + std::to_string(s[axis]) + " does not split into " +
               std::to_string(parts) + " equal parts");
    sizes.assign(parts, s[axis] / parts);
  }
  if (static_cast<int64_t>(sizes.size()) != parts)
    imp.fail("split has " + std::to_string(sizes.size()) + " sizes for " + std::to_string(parts) +
             " outputs");
  const int v = imp.value(0);
  int64_t start = 0;
  for (int64_t o = 0; o < parts; ++o) {
    Shape out;
    auto map = slice_map(s, {axis}, {start}, {start + sizes[o]}, {}, out);
    start += sizes[o];
    if (n.output(o).empty()) continue;
    imp.emit(make_index_map("Split", {s}, out, std::move(map)), {v}, n.output(o));
  }
  if (start != s[axis]) imp.fail("split sizes do not add up to the axis size");
}

// LayerNormalization (opset 17): normalises the axes from `axis` on.
void op_layernorm(Imp& imp, const NodeP& n) {
  for (int o = 1; o < n.output_size(); ++o)
    if (!n.output(o).empty()) imp.fail("the Mean / InvStdDev outputs are not supported");
  const Shape s = imp.shape_of(0);
  const int64_t axis = imp.sample_axis(attr_int(n, "axis", -1), s.size());
  const BatchLayout l = imp.layout(0);
  const int64_t onnx_axis = !l.kept() && axis >= l.axis ? axis + 1 : axis;
  if (l.axis > onnx_axis) imp.fail("normalises over the batch axis");
  const Shape block(s.begin() + axis, s.end());
  auto per_block = [&](int i) {
    std::vector<float> out;
    if (!imp.has_input(i)) return out;
    for (double x : broadcast(imp.constant(i), block, "LayerNormalization"))
      out.push_back(float(x));
    return out;
  };
  const int v = imp.value(0);
  imp.emit(make_layernorm(s, axis, attr_float(n, "epsilon", 1e-5f), per_block(1), per_block(2)),
           {v}, n.output(0));
}

int batch_layout_policy(const NodeP& n) {
  static const char* const kSets[] = {"Transpose", "Reshape", "Add",  "Sub",   "Mul",
                                      "Div",       "MatMul",  "Gemm", "Where", "Einsum"};
  static const char* const kKeeps[] = {
      "Softmax",  "LogSoftmax", "Slice",   "Split", "LayerNormalization",
      "Identity", "Cast",       "Dropout", "Sqrt",  "Reciprocal",
      "Pow",      "Erf"};
  const std::string& op = n.op_type();
  for (const char* s : kSets)
    if (op == s) return 2;
  for (const char* s : kKeeps)
    if (op == s) return 1;
  const KindSpec* kind = find_kind_for_onnx_op(op);
  if (kind && (kind->flags & kActivation)) return 1;
  if (op.rfind("Reduce", 0) == 0) return attr_int(n, "keepdims", 1) != 0 ? 1 : 3;
  return 0;
}

BatchLayout reduced_layout(Imp& imp, const NodeP& n, BatchLayout in) {
  std::vector<int64_t> axes = imp.has_input(1) ? imp.constant(1).ints() : attr_ints(n, "axes");
  const int64_t r = onnx_rank(imp, 0);
  for (auto a : axes)
    if ((a < 0 ? a + r : a) < in.axis) --in.axis;
  return in;
}

}  // namespace seqlift
