#include "engine/index_maps.hpp"

#include <algorithm>

#include "seqlift/error.hpp"

namespace seqlift {
namespace {

std::vector<int64_t> strides_of(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (int64_t a = static_cast<int64_t>(s.size()) - 2; a >= 0; --a) st[a] = st[a + 1] * s[a + 1];
  return st;
}

// Calls fn(multi_index) for every element of `shape` in C order.
template <typename F>
void for_each_index(const Shape& shape, F&& fn) {
  const int64_t n = numel(shape);
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    fn(idx);
    for (int64_t a = static_cast<int64_t>(shape.size()) - 1; a >= 0; --a) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
}

}  // namespace

std::vector<IndexSource> transpose_map(const Shape& in, const std::vector<int64_t>& perm,
                                       Shape& out) {
  if (perm.size() != in.size()) throw ModelError("Transpose: perm rank does not match input");
  out.assign(in.size(), 0);
  for (std::size_t a = 0; a < perm.size(); ++a) out[a] = in[perm[a]];
  const auto st = strides_of(in);
  check_tensor_size(out, "index map output");
  std::vector<IndexSource> map;
  map.reserve(numel(out));
  for_each_index(out, [&](const std::vector<int64_t>& idx) {
    int64_t src = 0;
    for (std::size_t a = 0; a < perm.size(); ++a) src += idx[a] * st[perm[a]];
    map.push_back({0, src});
  });
  return map;
}

std::vector<IndexSource> slice_map(const Shape& in, const std::vector<int64_t>& axes,
                                   const std::vector<int64_t>& starts,
                                   const std::vector<int64_t>& ends,
                                   const std::vector<int64_t>& steps, Shape& out) {
  std::vector<int64_t> first(in.size(), 0), step(in.size(), 1);
  out = in;
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const int64_t a = axes[i], dim = in[a], st = steps.empty() ? 1 : steps[i];
    if (st == 0) throw ModelError("Slice: step 0");
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      out[a] = e > s ? (e - s + st - 1) / st : 0;
    } else {
      s = std::clamp<int64_t>(s, -1, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      out[a] = s > e ? (s - e - st - 1) / (-st) : 0;
    }
    first[a] = s;
    step[a] = st;
  }
  const auto sti = strides_of(in);
  check_tensor_size(out, "index map output");
  std::vector<IndexSource> map;
  map.reserve(numel(out));
  for_each_index(out, [&](const std::vector<int64_t>& idx) {
    int64_t src = 0;
    for (std::size_t a = 0; a < in.size(); ++a) src += (first[a] + idx[a] * step[a]) * sti[a];
    map.push_back({0, src});
  });
  return map;
}

std::vector<IndexSource> gather_map(const Shape& in, int64_t axis,
                                    const std::vector<int64_t>& indices, const Shape& index_shape,
                                    Shape& out) {
  out.assign(in.begin(), in.begin() + axis);
  out.insert(out.end(), index_shape.begin(), index_shape.end());
  out.insert(out.end(), in.begin() + axis + 1, in.end());
  const auto sti = strides_of(in);
  const std::size_t k = index_shape.size();
  const auto stk = strides_of(index_shape);
  check_tensor_size(out, "index map output");
  std::vector<IndexSource> map;
  map.reserve(numel(out));
  for_each_index(out, [&](const std::vector<int64_t>& idx) {
    int64_t src = 0, flat = 0;
    for (int64_t a = 0; a < axis; ++a) src += idx[a] * sti[a];
    for (std::size_t j = 0; j < k; ++j) flat += idx[axis + j] * stk[j];
    int64_t g = indices[flat];
    if (g < 0) g += in[axis];
    if (g < 0 || g >= in[axis])
      throw ModelError("Gather: index " + std::to_string(indices[flat]) + " out of range");
    src += g * sti[axis];
    for (std::size_t a = axis + 1; a < in.size(); ++a) src += idx[a - 1 + k] * sti[a];
    map.push_back({0, src});
  });
  return map;
}

std::vector<IndexSource> concat_map(const std::vector<Shape>& in, int64_t axis, Shape& out) {
  out = in.at(0);
  out[axis] = 0;
  for (const auto& s : in) {
    if (s.size() != out.size()) throw ModelError("Concat: inputs of different rank");
    for (std::size_t a = 0; a < s.size(); ++a)
      if (static_cast<int64_t>(a) != axis && s[a] != out[a])
        throw ModelError("Concat: input shapes " + shape_string(in[0]) + " and " + shape_string(s) +
                         " differ");
    out[axis] += s[axis];
  }
  check_tensor_size(out, "index map output");
  std::vector<IndexSource> map;
  map.reserve(numel(out));
  for_each_index(out, [&](const std::vector<int64_t>& idx) {
    int64_t pos = idx[axis];
    int32_t which = 0;
    while (pos >= in[which][axis]) pos -= in[which++][axis];
    const auto st = strides_of(in[which]);
    int64_t src = 0;
    for (std::size_t a = 0; a < idx.size(); ++a)
      src += (static_cast<int64_t>(a) == axis ? pos : idx[a]) * st[a];
    map.push_back({which, src});
  });
  return map;
}

std::vector<IndexSource> pad_map(const Shape& in, const std::vector<int64_t>& begin,
                                 const std::vector<int64_t>& end, Shape& out) {
  out = in;
  for (std::size_t a = 0; a < in.size(); ++a) {
    out[a] = in[a] + begin[a] + end[a];
    if (out[a] < 0) throw ModelError("Pad: negative output size");
  }
  const auto st = strides_of(in);
  check_tensor_size(out, "index map output");
  std::vector<IndexSource> map;
  map.reserve(numel(out));
  for_each_index(out, [&](const std::vector<int64_t>& idx) {
    int64_t src = 0;
    for (std::size_t a = 0; a < idx.size(); ++a) {
      const int64_t i = idx[a] - begin[a];
      if (i < 0 || i >= in[a]) {
        src = -1;
        break;
      }
      src += i * st[a];
    }
    map.push_back(src < 0 ? IndexSource{-1, 0} : IndexSource{0, src});
  });
  return map;
}

}  // namespace seqlift
