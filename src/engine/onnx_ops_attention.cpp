// ONNX ops for attention and gated blocks as PyTorch exports them: products and
// quotients of two computed tensors (with broadcasting), MatMul of two computed tensors,
// Softmax inside the network, LayerNormalization, Split, elementwise math functions, and
// Transpose / Reshape / Gemm that move or merge the batch axis (sequence-first
// nn.MultiheadAttention: (L, N, E), (L, N * heads, d)). The batch placement of every
// value is tracked in OnnxImporter::layouts; each op here either carries it or refuses
// the construct by name.
#include <algorithm>
#include <cmath>
#include <map>

#include "engine/index_maps.hpp"
#include "engine/layers/attention_layers.hpp"
#include "engine/onnx_importer.hpp"
#include "engine/registry.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

using Imp = OnnxImporter;
using NodeP = onnx::NodeProto;

void set_layout(Imp& imp, const std::string& out, BatchLayout l) {
  if (!l.kept()) l.hi = l.lo = 1;
  imp.layouts[out] = l;
}

int64_t onnx_rank(Imp& imp, int i) {
  return static_cast<int64_t>(imp.shape_of(i).size()) + (imp.layout(i).kept() ? 0 : 1);
}

int64_t product(const std::vector<int64_t>& d, std::size_t from, std::size_t to) {
  int64_t p = 1;
  for (std::size_t i = from; i < to && i < d.size(); ++i) p *= d[i];
  return p;
}

std::string dims_string(const std::vector<int64_t>& d) {
  return shape_string(Shape(d.begin(), d.end()));
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
  if (attr_int(n, "allowzero", 0) != 0 &&
      std::find(t1.begin(), t1.end(), int64_t(0)) != t1.end())
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
      imp.fail("axis " + std::to_string(q) + " of the target shape is not a multiple of the batch size");
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
    if (s[axis] % parts) imp.fail("axis of size " + std::to_string(s[axis]) +
                                  " does not split into " + std::to_string(parts) + " equal parts");
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
    for (double x : broadcast(imp.constant(i), block, "LayerNormalization")) out.push_back(float(x));
    return out;
  };
  const int v = imp.value(0);
  imp.emit(make_layernorm(s, axis, attr_float(n, "epsilon", 1e-5f), per_block(1), per_block(2)),
           {v}, n.output(0));
}

int batch_layout_policy(const NodeP& n) {
  static const char* const kSets[] = {"Transpose", "Reshape", "Add",  "Sub",
                                      "Mul",       "Div",     "MatMul", "Gemm", "Where", "Einsum"};
  static const char* const kKeeps[] = {"Softmax", "LogSoftmax", "Slice",      "Split",
                                       "LayerNormalization", "Identity", "Cast", "Dropout",
                                       "Sqrt",    "Reciprocal", "Pow",        "Erf"};
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

namespace seqlift {

bool fold_mask_op(Imp& imp, const NodeP& n, Const& r) {
  const std::string& op = n.op_type();
  auto elementwise = [&](int inputs, auto f) {
    std::vector<const Const*> in;
    Shape dims;
    for (int i = 0; i < inputs; ++i) {
      in.push_back(&imp.constant(i));
      dims = i == 0 ? in[0]->dims : broadcast_dims(dims, in[i]->dims);
    }
    std::vector<std::vector<double>> b;
    for (const Const* c : in) b.push_back(broadcast(*c, dims, op));
    r.dims = dims;
    r.v.resize(numel(dims));
    for (std::size_t j = 0; j < r.v.size(); ++j) {
      double args[3] = {0, 0, 0};
      for (int i = 0; i < inputs; ++i) args[i] = b[i][j];
      r.v[j] = f(args);
    }
  };
  if (op == "Equal" || op == "Less" || op == "Greater" || op == "And" || op == "Or") {
    r.is_int = true;
    elementwise(2, [&](const double* a) {
      return double(op == "Equal"  ? a[0] == a[1]
                    : op == "Less" ? a[0] < a[1]
                    : op == "Greater" ? a[0] > a[1]
                    : op == "And"     ? (a[0] != 0 && a[1] != 0)
                                      : (a[0] != 0 || a[1] != 0));
    });
  } else if (op == "Not" || op == "Neg") {
    r.is_int = imp.constant(0).is_int;
    elementwise(1, [&](const double* a) { return op == "Not" ? double(a[0] == 0) : -a[0]; });
  } else if (op == "Where") {
    r.is_int = imp.constant(1).is_int && imp.constant(2).is_int;
    elementwise(3, [](const double* a) { return a[0] != 0 ? a[1] : a[2]; });
  } else if (op == "Expand") {
    const Const& a = imp.constant(0);
    std::vector<int64_t> shape = imp.constant(1).ints();
    r.is_int = a.is_int;
    r.dims = broadcast_dims(a.dims, Shape(shape.begin(), shape.end()));
    r.v = broadcast(a, r.dims, op);
  } else if (op == "Transpose") {
    const Const& a = imp.constant(0);
    std::vector<int64_t> perm = attr_ints(n, "perm");
    if (perm.empty())
      for (int64_t i = static_cast<int64_t>(a.dims.size()) - 1; i >= 0; --i) perm.push_back(i);
    Shape out;
    const auto map = transpose_map(a.dims, perm, out);
    r.is_int = a.is_int;
    r.dims = out;
    for (const auto& m : map) r.v.push_back(a.v[m.index]);
  } else if (op == "ConstantOfShape") {
    std::vector<int64_t> shape = imp.constant(0).ints();
    r.dims = Shape(shape.begin(), shape.end());
    double value = 0;
    if (const auto* a = find_attr(n, "value")) {
      Const v = read_tensor(a->t(), imp.path);
      value = v.v.empty() ? 0.0 : v.v[0];
      r.is_int = v.is_int;
    }
    if (numel(r.dims) > (int64_t(1) << 26)) imp.fail("ConstantOfShape is too large");
    r.v.assign(numel(r.dims), value);
  } else if (op == "Range") {
    const double start = imp.constant(0).v.at(0), limit = imp.constant(1).v.at(0),
                 delta = imp.constant(2).v.at(0);
    if (delta == 0) imp.fail("Range with delta 0");
    r.is_int = imp.constant(0).is_int;
    const double count = std::max(0.0, std::ceil((limit - start) / delta));
    if (count > double(int64_t(1) << 26)) imp.fail("Range is too large");
    for (int64_t i = 0; i < int64_t(count); ++i) r.v.push_back(start + i * delta);
    r.dims = {int64_t(r.v.size())};
  } else {
    return false;
  }
  return true;
}

// Where with a constant condition selects elementwise between a computed tensor and a
// constant (or two computed tensors): linear. A computed condition is a data-dependent
// mask and is refused.
void op_where(Imp& imp, const NodeP& n) {
  if (!imp.is_const(n.input(0)))
    imp.fail("Where with a computed condition (a data-dependent mask) is not supported; "
             "masks must be constants");
  const bool c1 = imp.is_const(n.input(1)), c2 = imp.is_const(n.input(2));
  const int di = c1 ? 2 : 1;
  const Shape s = imp.shape_of(di);
  const auto cond = constant_for(imp, di, imp.constant(0));
  const int v = imp.value(di);
  if (!c1 && !c2) {
    if (imp.shape_of(1) != s || imp.layout(1).axis != imp.layout(2).axis)
      imp.fail("Where of two computed tensors of different shapes is not supported");
    std::vector<IndexSource> src(numel(s));
    for (int64_t i = 0; i < numel(s); ++i) src[i] = {cond[i] != 0 ? 0 : 1, i};
    const int a = imp.value(1), b = imp.value(2);
    imp.emit(make_index_map("Where", {s, s}, s, std::move(src)), {a, b}, n.output(0));
  } else {
    const auto other = constant_for(imp, di, imp.constant(di == 1 ? 2 : 1));
    std::vector<float> scale(numel(s)), shift(numel(s));
    for (int64_t i = 0; i < numel(s); ++i) {
      const bool take = (cond[i] != 0) == (di == 1);  // element comes from the computed tensor
      scale[i] = take ? 1.0f : 0.0f;
      shift[i] = take ? 0.0f : float(other[i]);
    }
    imp.emit(make_affine("Affine", s, scale, shift), {v}, n.output(0));
  }
  set_layout(imp, n.output(0), imp.layout(di));
}

// Expand of a computed tensor along per-sample axes (broadcast copy, linear).
void op_expand(Imp& imp, const NodeP& n) {
  const Shape s = imp.shape_of(0);
  std::vector<int64_t> target = imp.constant(1).ints();
  Shape full = s;
  full.insert(full.begin(), 1);
  Shape out_full = broadcast_dims(full, Shape(target.begin(), target.end()));
  if (out_full.size() != full.size() || out_full[0] != 1)
    imp.fail("Expand that changes the rank or the batch axis is not supported");
  Shape out(out_full.begin() + 1, out_full.end());
  Const idx{s, true, {}, {}};
  for (int64_t i = 0; i < numel(s); ++i) idx.v.push_back(double(i));
  const auto from = broadcast(idx, out, "Expand");
  std::vector<IndexSource> src(from.size());
  for (std::size_t i = 0; i < from.size(); ++i) src[i] = {0, int64_t(from[i])};
  const int v = imp.value(0);
  imp.emit(make_index_map("Expand", {s}, out, std::move(src)), {v}, n.output(0));
}

void refuse_data_dependent_mask(Imp& imp, const NodeP& n) {
  static const char* const kMaskOps[] = {"Equal", "Less", "Greater", "LessOrEqual",
                                         "GreaterOrEqual", "Not", "And", "Or", "Xor"};
  for (const char* op : kMaskOps)
    if (n.op_type() == op)
      imp.fail(n.op_type() +
               " of a computed tensor builds a data-dependent mask, which has no DeepLIFT "
               "rule; attention masks must be constants");
}

}  // namespace seqlift

namespace seqlift {

// Einsum of two computed tensors ("bqhd,bkhd->bhqk"): the batch label must index both
// operands and the output. Lowered to per-sample transposes and reshapes around one
// batched MatMul (labels in both operands and the output: batch; in both only:
// contracted; in one and the output: free), so the Shapley rule of MatMul applies.
void op_einsum(Imp& imp, const NodeP& n) {
  const std::string eq = attr_string(n, "equation", "");
  std::string spec;
  for (char ch : eq)
    if (ch != ' ') spec += ch;
  const auto comma = spec.find(','), arrow = spec.find("->");
  if (n.input_size() != 2 || comma == std::string::npos || arrow == std::string::npos ||
      arrow < comma || spec.find("...") != std::string::npos)
    imp.fail("equation '" + eq + "' needs two operands in the explicit form 'ab,bc->ac' "
             "without '...'");
  const std::string sa = spec.substr(0, comma), sb = spec.substr(comma + 1, arrow - comma - 1),
                    so = spec.substr(arrow + 2);
  if (imp.is_const(n.input(0)))
    imp.fail("Einsum with a constant first operand is not supported ('" + eq + "')");
  if (imp.is_const(n.input(1))) {
    // A dense projection (Keras EinsumDense, "abc,cde->abde"): the constant's labels are
    // the computed operand's trailing labels, then the new ones, which end the output.
    const Const& w = imp.constant(1);
    std::size_t nc = 0;
    while (nc < sb.size() && sa.find(sb[nc]) != std::string::npos) ++nc;
    const bool trailing = nc > 0 && nc <= sa.size() && sa.compare(sa.size() - nc, nc, sb, 0, nc) == 0;
    const std::string keep = trailing ? sa.substr(0, sa.size() - nc) : "",
                      fr = sb.substr(nc);
    if (!trailing || so != keep + fr || w.dims.size() != sb.size())
      imp.fail("Einsum '" + eq + "' with a constant operand is supported only as a projection "
               "of trailing axes ('abc,cde->abde')");
    const BatchLayout l = imp.layout(0);
    if (l.axis >= static_cast<int64_t>(keep.size()))
      imp.fail("the batch axis is contracted in '" + eq + "'");
    const Shape s = imp.shape_of(0);
    int64_t in = 1, out = 1;
    for (std::size_t i = 0; i < nc; ++i) in *= w.dims[i];
    for (std::size_t i = nc; i < w.dims.size(); ++i) out *= w.dims[i];
    Shape flat(s.begin(), s.end() - nc), result = flat;
    flat.push_back(in);
    for (std::size_t i = nc; i < w.dims.size(); ++i) result.push_back(w.dims[i]);
    int v = imp.value(0);
    if (flat != s) {
      imp.emit(make_reshape("Reshape", s, flat), {v}, n.output(0) + ":flat", "Einsum");
      v = imp.dyn[n.output(0) + ":flat"];
    }
    DenseParams p;
    p.input = flat;
    p.in_features = in;
    p.out_features = out;
    p.weight.resize(in * out);
    for (int64_t o = 0; o < out; ++o)
      for (int64_t f = 0; f < in; ++f) p.weight[o * in + f] = float(w.v[f * out + o]);
    const Shape dense_out = [&] { Shape d = flat; d.back() = out; return d; }();
    if (dense_out == result) {
      imp.emit(make_dense(p), {v}, n.output(0));
    } else {
      imp.emit(make_dense(p), {v}, n.output(0) + ":dense");
      imp.emit(make_reshape("Reshape", dense_out, result), {imp.dyn[n.output(0) + ":dense"]},
               n.output(0));
    }
    set_layout(imp, n.output(0), l);
    return;
  }
  for (const std::string* s : {&sa, &sb, &so})
    for (char ch : *s)
      if (std::count(s->begin(), s->end(), ch) != 1)
        imp.fail("repeated label '" + std::string(1, ch) + "' in '" + eq + "'");
  const BatchLayout la = imp.layout(0), lb = imp.layout(1);
  if (la.kept() || lb.kept() || int64_t(sa.size()) != onnx_rank(imp, 0) ||
      int64_t(sb.size()) != onnx_rank(imp, 1))
    imp.fail("operand ranks do not match the equation '" + eq + "'");
  const char batch = sa[la.axis];
  if (sb[lb.axis] != batch || so.find(batch) == std::string::npos)
    imp.fail("the batch axis must carry the same label in both operands and the output");
  auto drop = [&](const std::string& s) {
    std::string out;
    for (char ch : s)
      if (ch != batch) out += ch;
    return out;
  };
  const std::string a = drop(sa), b = drop(sb), o = drop(so);
  std::string bat, con, fl, fr;
  for (char ch : a) {
    const bool in_b = b.find(ch) != std::string::npos, in_o = o.find(ch) != std::string::npos;
    if (in_b && in_o) bat += ch;
    else if (in_b) con += ch;
    else if (in_o) fl += ch;
    else imp.fail("label '" + std::string(1, ch) + "' summed within one operand is not supported");
  }
  for (char ch : b)
    if (a.find(ch) == std::string::npos) {
      if (o.find(ch) == std::string::npos)
        imp.fail("label '" + std::string(1, ch) + "' summed within one operand is not supported");
      fr += ch;
    }
  const Shape shape_a = imp.shape_of(0), shape_b = imp.shape_of(1);
  std::map<char, int64_t> size;
  for (std::size_t i = 0; i < a.size(); ++i) size[a[i]] = shape_a[i];
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (size.count(b[i]) && size[b[i]] != shape_b[i])
      imp.fail("label '" + std::string(1, b[i]) + "' has sizes " + std::to_string(size[b[i]]) +
               " and " + std::to_string(shape_b[i]));
    size[b[i]] = shape_b[i];
  }
  auto prod = [&](const std::string& labels) {
    int64_t p = 1;
    for (char ch : labels) p *= size[ch];
    return p;
  };
  // Per-sample: permute an operand to `order`, then view it as [groups, rows, cols].
  int step = 0;
  auto arrange = [&](int v, const std::string& from, const std::string& order,
                     const Shape& view) {
    Shape s = imp.model.values()[v].shape;
    std::vector<int64_t> perm;
    for (char ch : order) perm.push_back(static_cast<int64_t>(from.find(ch)));
    bool identity = true;
    for (std::size_t i = 0; i < perm.size(); ++i) identity = identity && perm[i] == int64_t(i);
    const std::string base = n.output(0) + ":einsum" + std::to_string(step++);
    if (!identity) {
      Shape out;
      auto map = transpose_map(s, perm, out);
      imp.emit(make_index_map("Transpose", {s}, out, std::move(map)), {v}, base + "t",
               "Einsum");
      v = imp.dyn[base + "t"];
      s = out;
    }
    if (s != view) {
      imp.emit(make_reshape("Reshape", s, view), {v}, base + "r", "Einsum");
      v = imp.dyn[base + "r"];
    }
    return v;
  };
  const int va = arrange(imp.value(0), a, bat + fl + con, {prod(bat), prod(fl), prod(con)});
  const int vb = arrange(imp.value(1), b, bat + con + fr, {prod(bat), prod(con), prod(fr)});
  const std::string mm = n.output(0) + ":einsum_matmul";
  imp.emit(make_matmul(imp.model.values()[va].shape, imp.model.values()[vb].shape), {va, vb}, mm,
           "Einsum");
  // [groups, rows, cols] -> the output's label order.
  const std::string got = bat + fl + fr;
  Shape full;
  for (char ch : got) full.push_back(size[ch]);
  int v = imp.dyn[mm];
  Shape s = imp.model.values()[v].shape;
  if (s != full) {
    imp.emit(make_reshape("Reshape", s, full), {v}, mm + "r", "Einsum");
    v = imp.dyn[mm + "r"];
    s = full;
  }
  std::vector<int64_t> perm;
  for (char ch : o) perm.push_back(static_cast<int64_t>(got.find(ch)));
  bool identity = true;
  for (std::size_t i = 0; i < perm.size(); ++i) identity = identity && perm[i] == int64_t(i);
  if (identity) {
    imp.alias(n.output(0), v);
  } else {
    Shape out;
    auto map = transpose_map(s, perm, out);
    imp.emit(make_index_map("Transpose", {s}, out, std::move(map)), {v}, n.output(0));
  }
  set_layout(imp, n.output(0), {static_cast<int64_t>(so.find(batch)), 1, 1});
}

}  // namespace seqlift
