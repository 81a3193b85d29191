// Index maps for data-movement ops on C-order arrays of any rank. Used both for
// constant folding at load time (full ONNX shapes) and for IndexMap layers (per-sample
// shapes). Each returns, for every output element, its source; sets `out`.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/layers/layers.hpp"

namespace seqlift {

std::vector<IndexSource> transpose_map(const Shape& in, const std::vector<int64_t>& perm,
                                       Shape& out);
/// ONNX Slice semantics (clamping, negative indices and steps). axes already normalised.
std::vector<IndexSource> slice_map(const Shape& in, const std::vector<int64_t>& axes,
                                   const std::vector<int64_t>& starts,
                                   const std::vector<int64_t>& ends,
                                   const std::vector<int64_t>& steps, Shape& out);
/// ONNX Gather: out = in.shape[:axis] + index_shape + in.shape[axis+1:].
std::vector<IndexSource> gather_map(const Shape& in, int64_t axis,
                                    const std::vector<int64_t>& indices, const Shape& index_shape,
                                    Shape& out);
std::vector<IndexSource> concat_map(const std::vector<Shape>& in, int64_t axis, Shape& out);
/// Constant padding (negative amounts crop): out[a] = in[a] + begin[a] + end[a].
std::vector<IndexSource> pad_map(const Shape& in, const std::vector<int64_t>& begin,
                                 const std::vector<int64_t>& end, Shape& out);

}  // namespace seqlift
