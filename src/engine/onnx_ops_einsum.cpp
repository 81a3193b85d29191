// ONNX Einsum of two computed tensors, lowered to per-sample transposes and reshapes
// around one batched MatMul (Shapley product rule).
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
    imp.fail("equation '" + eq +
             "' needs two operands in the explicit form 'ab,bc->ac' "
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
    const bool trailing =
        nc > 0 && nc <= sa.size() && sa.compare(sa.size() - nc, nc, sb, 0, nc) == 0;
    const std::string keep = trailing ? sa.substr(0, sa.size() - nc) : "", fr = sb.substr(nc);
    if (!trailing || so != keep + fr || w.dims.size() != sb.size())
      imp.fail("Einsum '" + eq +
               "' with a constant operand is supported only as a projection "
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
    const Shape dense_out = [&] {
      Shape d = flat;
      d.back() = out;
      return d;
    }();
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
    if (in_b && in_o)
      bat += ch;
    else if (in_b)
      con += ch;
    else if (in_o)
      fl += ch;
    else
      imp.fail("label '" + std::string(1, ch) + "' summed within one operand is not supported");
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
  auto arrange = [&](int v, const std::string& from, const std::string& order, const Shape& view) {
    Shape s = imp.model.values()[v].shape;
    std::vector<int64_t> perm;
    for (char ch : order) perm.push_back(static_cast<int64_t>(from.find(ch)));
    bool identity = true;
    for (std::size_t i = 0; i < perm.size(); ++i) identity = identity && perm[i] == int64_t(i);
    const std::string base = n.output(0) + ":einsum" + std::to_string(step++);
    if (!identity) {
      Shape out;
      auto map = transpose_map(s, perm, out);
      imp.emit(make_index_map("Transpose", {s}, out, std::move(map)), {v}, base + "t", "Einsum");
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
