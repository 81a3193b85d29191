// Constant folding of the shape arithmetic PyTorch's exporter writes around dynamic
// shapes, e.g. TF-style asymmetric 'same' padding computed from x.shape:
// Shape -> Gather -> Sub/Div -> Cast -> ConstantOfShape -> Concat -> Reshape ->
// Slice(step -1) -> Transpose -> Reshape -> Cast -> Pad. The sequence length is fixed
// at load, so every such value is a constant. Inputs that depend on the batch size are
// folded twice (see fold_constant).
#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/index_maps.hpp"
#include "engine/layers/reduce_map.hpp"
#include "engine/onnx_importer.hpp"
#include "seqlift/error.hpp"

namespace seqlift {

namespace {

Const apply_map(const Const& c, const Shape& out_dims, const std::vector<IndexSource>& map) {
  Const r;
  r.dims = out_dims;
  r.is_int = c.is_int;
  r.v.resize(map.size());
  for (std::size_t i = 0; i < map.size(); ++i) r.v[i] = map[i].input < 0 ? 0.0 : c.v[map[i].index];
  return r;
}

}  // namespace

// Evaluates nodes whose inputs are all constants (shape arithmetic). True if folded.
// Inputs that depend on the batch size are folded a second time with their batch-7
// values, so the result carries both evaluations.
bool OnnxImporter::fold_constant(const onnx::NodeProto& n) {
  if (!fold_constant_once(n)) return false;
  std::set<std::string> alt;
  for (const auto& in : n.input())
    if (!in.empty() && consts.count(in) && !consts[in].vb.empty()) alt.insert(in);
  if (alt.empty() || n.op_type() == "Shape") return true;
  Const main = consts[n.output(0)];
  for (const auto& in : alt) std::swap(consts[in].v, consts[in].vb);
  try {
    fold_constant_once(n);
  } catch (...) {
    for (const auto& in : alt) std::swap(consts[in].v, consts[in].vb);
    throw;
  }
  for (const auto& in : alt) std::swap(consts[in].v, consts[in].vb);
  const Const& second = consts[n.output(0)];
  if (second.v.size() == main.v.size() && second.v != main.v) main.vb = second.v;
  consts[n.output(0)] = main;
  return true;
}

bool OnnxImporter::fold_constant_once(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  if (op == "Constant") {
    Const c;
    if (const auto* a = find_attr(n, "value"))
      c = read_tensor(a->t(), path);
    else if (const auto* a = find_attr(n, "value_float"))
      c = Const{{}, false, {a->f()}, {}};
    else if (const auto* a = find_attr(n, "value_int"))
      c = Const{{}, true, {double(a->i())}, {}};
    else if (const auto* a = find_attr(n, "value_ints")) {
      c = Const{{a->ints_size()}, true, {}, {}};
      for (auto v : a->ints()) c.v.push_back(double(v));
    } else if (const auto* a = find_attr(n, "value_floats")) {
      c = Const{{a->floats_size()}, false, {}, {}};
      for (auto v : a->floats()) c.v.push_back(v);
    } else
      fail("Constant without a supported value attribute");
    consts[n.output(0)] = c;
    return true;
  }
  if (op == "Shape") {
    // Batch placeholder 1, and kAltBatch for the second evaluation.
    const bool of_const = is_const(n.input(0));
    const Shape s1 = of_const ? constant(0).dims : onnx_dims(0, 1),
                s2 = of_const ? constant(0).dims : onnx_dims(0, kAltBatch);
    Const c{{int64_t(s1.size())}, true, std::vector<double>(s1.begin(), s1.end()), {}};
    c.vb.assign(s2.begin(), s2.end());
    int64_t start = attr_int(n, "start", 0), end = attr_int(n, "end", int64_t(c.v.size()));
    const int64_t r = static_cast<int64_t>(c.v.size());
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = std::clamp<int64_t>(start, 0, r);
    end = std::clamp<int64_t>(end, start, r);
    c.v = std::vector<double>(c.v.begin() + start, c.v.begin() + end);
    c.vb = std::vector<double>(c.vb.begin() + start, c.vb.begin() + end);
    if (c.vb == c.v) c.vb.clear();
    c.dims = {end - start};
    consts[n.output(0)] = c;
    return true;
  }
  for (const auto& in : n.input())
    if (!is_const(in)) return false;
  if (n.input_size() == 0) return false;
  const Const& a = constant(0);
  Const r;
  if (op == "Identity" || op == "Cast") {
    r = a;
    if (op == "Cast") {
      const int64_t to = attr_int(n, "to", 1);
      r.is_int = to == onnx::TensorProto_DataType_INT64 || to == onnx::TensorProto_DataType_INT32 ||
                 to == onnx::TensorProto_DataType_BOOL;
      if (r.is_int)
        for (auto& v : r.v) v = std::trunc(v);
    }
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    const Const& b = constant(1);
    r.dims = broadcast_dims(a.dims, b.dims);
    r.is_int = a.is_int && b.is_int;
    auto av = broadcast(a, r.dims, op), bv = broadcast(b, r.dims, op);
    r.v.resize(av.size());
    for (std::size_t i = 0; i < av.size(); ++i) {
      double x = av[i], y = bv[i];
      r.v[i] = op == "Add"   ? x + y
               : op == "Sub" ? x - y
               : op == "Mul" ? x * y
                             : (r.is_int ? std::trunc(x / y) : x / y);
    }
  } else if (op == "Unsqueeze" || op == "Squeeze") {
    std::vector<int64_t> axes = n.input_size() > 1 ? constant(1).ints() : attr_ints(n, "axes");
    r = a;
    if (op == "Unsqueeze") {
      const int64_t out_rank = static_cast<int64_t>(a.dims.size() + axes.size());
      for (auto& ax : axes)
        if (ax < 0) ax += out_rank;
      std::sort(axes.begin(), axes.end());
      for (auto ax : axes) r.dims.insert(r.dims.begin() + ax, 1);
    } else {
      Shape d;
      for (std::size_t i = 0; i < a.dims.size(); ++i) {
        bool sq = axes.empty() ? a.dims[i] == 1 : false;
        for (auto ax : axes) sq = sq || (ax < 0 ? ax + int64_t(a.dims.size()) : ax) == int64_t(i);
        if (!sq) d.push_back(a.dims[i]);
      }
      r.dims = d;
    }
  } else if (op == "Concat") {
    std::vector<Shape> shapes;
    int64_t axis = attr_int(n, "axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(a.dims.size());
    Const all;
    for (int i = 0; i < n.input_size(); ++i) {
      const Const& c = constant(i);
      shapes.push_back(c.dims.empty() ? Shape{1} : c.dims);
      all.v.insert(all.v.end(), c.v.begin(), c.v.end());
    }
    Shape out;
    auto map = concat_map(shapes, axis, out);
    std::vector<int64_t> base(shapes.size(), 0);
    for (std::size_t i = 1; i < shapes.size(); ++i) base[i] = base[i - 1] + numel(shapes[i - 1]);
    r.dims = out;
    r.is_int = a.is_int;
    for (auto& m : map) r.v.push_back(all.v[base[m.input] + m.index]);
  } else if (op == "Gather") {
    const Const& idx = constant(1);
    int64_t axis = attr_int(n, "axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(a.dims.size());
    Shape out;
    auto map = gather_map(a.dims, axis, idx.ints(), idx.dims, out);
    r = apply_map(a, out, map);
  } else if (op == "Slice") {
    std::vector<int64_t> starts = constant(1).ints(), ends = constant(2).ints(), axes, steps;
    if (has_input(3))
      axes = constant(3).ints();
    else
      for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(i);
    if (has_input(4)) steps = constant(4).ints();
    for (auto& ax : axes)
      if (ax < 0) ax += static_cast<int64_t>(a.dims.size());
    Shape out;
    auto map = slice_map(a.dims, axes, starts, ends, steps, out);
    r = apply_map(a, out, map);
  } else if (op == "Reshape") {
    std::vector<int64_t> target = constant(1).ints();
    int64_t known = 1, infer = -1;
    for (std::size_t i = 0; i < target.size(); ++i) {
      if (target[i] == 0) target[i] = a.dims.at(i);
      if (target[i] == -1)
        infer = i;
      else
        known *= target[i];
    }
    if (infer >= 0) target[infer] = numel(a.dims) / std::max<int64_t>(known, 1);
    r = a;
    r.dims = target;
  } else if (!fold_mask_op(*this, n, r) && !fold_constant_more(n, r)) {
    fail("op on constants is not supported for constant folding");
  }
  consts[n.output(0)] = r;
  return true;
}

// Ops fold_constant_once does not handle itself.
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
