// ONNX attention masks as PyTorch exports them: constant masks (Where/Expand/Equal/
// ConstantOfShape/Range chains) fold to constants; Where with a constant condition is
// linear; a condition computed from the input is a data-dependent mask, refused by name.
#include <algorithm>
#include <cmath>
#include <map>

#include "engine/index_maps.hpp"
#include "engine/layers/attention_layers.hpp"
#include "engine/onnx_importer.hpp"
#include "engine/onnx_ops_attention.hpp"
#include "engine/registry.hpp"
#include "seqlift/error.hpp"

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
      return double(op == "Equal"     ? a[0] == a[1]
                    : op == "Less"    ? a[0] < a[1]
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
    imp.fail(
        "Where with a computed condition (a data-dependent mask) is not supported; "
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
  static const char* const kMaskOps[] = {
      "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor"};
  for (const char* op : kMaskOps)
    if (n.op_type() == op)
      imp.fail(n.op_type() +
               " of a computed tensor builds a data-dependent mask, which has no DeepLIFT "
               "rule; attention masks must be constants");
}

}  // namespace seqlift
