// Constant folding of the shape arithmetic PyTorch's exporter writes around dynamic
// shapes, e.g. TF-style asymmetric 'same' padding computed from x.shape:
// Shape -> Gather -> Sub/Div -> Cast -> ConstantOfShape -> Concat -> Reshape ->
// Slice(step -1) -> Transpose -> Reshape -> Cast -> Pad. The sequence length is fixed
// at load, so every such value is a constant.
#include <cmath>

#include "engine/index_maps.hpp"
#include "engine/layers/reduce_map.hpp"
#include "engine/onnx_importer.hpp"

namespace seqlift {

bool OnnxImporter::fold_constant_more(const onnx::NodeProto& n, Const& r) {
  const std::string& op = n.op_type();
  const Const& a = constant(0);
  auto elementwise = [&](auto f) {
    r = a;
    for (auto& v : r.v) v = f(v);
  };
  auto binary = [&](auto f, bool to_int) {
    const Const& b = constant(1);
    r.dims = broadcast_dims(a.dims, b.dims);
    r.is_int = to_int || (a.is_int && b.is_int);
    auto av = broadcast(a, r.dims, op), bv = broadcast(b, r.dims, op);
    r.v.resize(av.size());
    for (std::size_t i = 0; i < av.size(); ++i) r.v[i] = f(av[i], bv[i]);
  };
  if (op == "ConstantOfShape") {
    r.dims = a.ints();
    r.is_int = false;
    double value = 0;
    if (const auto* at = find_attr(n, "value")) {
      const Const c = read_tensor(at->t(), path);
      if (c.v.size() != 1) fail("value must hold one element");
      value = c.v[0];
      r.is_int = c.is_int;
    }
    for (auto d : r.dims)
      if (d < 0) fail("negative dimension " + std::to_string(d));
    check_tensor_size(r.dims, path + ": node '" + cur_name + "'");
    r.v.assign(static_cast<std::size_t>(numel(r.dims)), value);
  } else if (op == "Transpose") {
    std::vector<int64_t> perm = attr_ints(n, "perm");
    if (perm.empty())
      for (int64_t i = static_cast<int64_t>(a.dims.size()) - 1; i >= 0; --i) perm.push_back(i);
    Shape out;
    auto map = transpose_map(a.dims, perm, out);
    r.dims = out;
    r.is_int = a.is_int;
    for (const auto& m : map) r.v.push_back(a.v[m.index]);
  } else if (op == "Neg") {
    elementwise([](double v) { return -v; });
  } else if (op == "Abs") {
    elementwise([](double v) { return std::fabs(v); });
  } else if (op == "Floor") {
    elementwise([](double v) { return std::floor(v); });
  } else if (op == "Ceil") {
    elementwise([](double v) { return std::ceil(v); });
  } else if (op == "Not") {
    elementwise([](double v) { return v == 0 ? 1.0 : 0.0; });
  } else if (op == "Min" || op == "Max") {
    r = a;
    for (int i = 1; i < n.input_size(); ++i) {
      const Const acc = r;
      const Const& b = constant(i);
      r.dims = broadcast_dims(acc.dims, b.dims);
      r.is_int = acc.is_int && b.is_int;
      auto av = broadcast(acc, r.dims, op), bv = broadcast(b, r.dims, op);
      r.v.resize(av.size());
      for (std::size_t j = 0; j < av.size(); ++j)
        r.v[j] = op == "Min" ? std::min(av[j], bv[j]) : std::max(av[j], bv[j]);
    }
  } else if (op == "Mod") {
    const bool fmod = attr_int(n, "fmod", 0) != 0;
    binary(
        [&](double x, double y) {
          if (y == 0) fail("Mod by zero");
          const double m = std::fmod(x, y);
          return fmod || m == 0 || (m < 0) == (y < 0) ? m : m + y;  // Python sign rule
        },
        false);
  } else if (op == "Pow") {
    binary([](double x, double y) { return std::pow(x, y); }, false);
  } else if (op == "Equal" || op == "Less" || op == "Greater" || op == "LessOrEqual" ||
             op == "GreaterOrEqual") {
    binary(
        [&](double x, double y) {
          const bool t = op == "Equal"         ? x == y
                         : op == "Less"        ? x < y
                         : op == "Greater"     ? x > y
                         : op == "LessOrEqual" ? x <= y
                                               : x >= y;
          return t ? 1.0 : 0.0;
        },
        true);
  } else if (op == "Where") {
    const Const& b = constant(1);
    const Const& c = constant(2);
    r.dims = broadcast_dims(broadcast_dims(a.dims, b.dims), c.dims);
    r.is_int = b.is_int && c.is_int;
    auto cv = broadcast(a, r.dims, op), bv = broadcast(b, r.dims, op),
         ev = broadcast(c, r.dims, op);
    r.v.resize(cv.size());
    for (std::size_t i = 0; i < cv.size(); ++i) r.v[i] = cv[i] != 0 ? bv[i] : ev[i];
  } else if (op == "Expand") {
    const Shape target = constant(1).ints();
    r.dims = broadcast_dims(a.dims, target);
    r.is_int = a.is_int;
    r.v = broadcast(a, r.dims, op);
  } else if (op == "Range") {
    const double start = a.v.at(0), limit = constant(1).v.at(0), delta = constant(2).v.at(0);
    if (delta == 0) fail("Range with delta 0");
    const double count = std::max(0.0, std::ceil((limit - start) / delta));
    if (count > double(int64_t(1) << 25)) fail("Range too long");
    r.is_int = a.is_int;
    for (int64_t i = 0; i < static_cast<int64_t>(count); ++i) r.v.push_back(start + i * delta);
    r.dims = {static_cast<int64_t>(r.v.size())};
  } else {
    return false;
  }
  return true;
}

}  // namespace seqlift

namespace seqlift {

// ReduceMax (torch.amax) with existing kinds: an index map gathering each output's group
// into a row of [M, R], a MaxPool over the row (its DeepLIFT rule is the cross-argmax
// credit), and a reshape to the output shape.
void import_reduce_max(OnnxImporter& imp, const onnx::NodeProto& n) {
  const int v = imp.value(0);
  const Shape s = imp.shape_of(0);
  std::vector<int64_t> axes = imp.has_input(1) ? imp.constant(1).ints() : attr_ints(n, "axes");
  for (auto& a : axes) a = imp.sample_axis(a, s.size());
  const bool keep = attr_int(n, "keepdims", 1) != 0;
  const ReduceMap rm = make_reduce_map(s, axes, keep);
  const int64_t m = numel(rm.output), r = rm.group_size;
  std::vector<IndexSource> map(static_cast<std::size_t>(m * r));
  std::vector<int64_t> filled(static_cast<std::size_t>(m), 0);
  for (std::size_t i = 0; i < rm.out_index.size(); ++i) {
    const int32_t o = rm.out_index[i];
    map[o * r + filled[o]++] = {0, static_cast<int64_t>(i)};
  }
  const std::string out = n.output(0);
  imp.emit(make_index_map("Transpose", {s}, {m, r}, std::move(map)), {v}, out + ":groups",
           "ReduceMax");
  PoolParams p;
  p.channels = m;
  p.length_in = p.kernel = p.stride = r;
  imp.emit(make_maxpool("MaxPool", p), {imp.dyn.at(out + ":groups")}, out + ":max", "ReduceMax");
  imp.emit(make_reshape("Reshape", {m, 1}, rm.output), {imp.dyn.at(out + ":max")}, out,
           "ReduceMax");
}

}  // namespace seqlift
