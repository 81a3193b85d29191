// Shared by reduce.cpp and logsumexp.cpp: which output element each input element of a
// reduction over `axes` lands in.
#pragma once
#include <cstdint>
#include <vector>

#include "seqlift/layer.hpp"

namespace seqlift {

struct ReduceMap {
  Shape output;                    ///< with or without the reduced axes (keepdims)
  std::vector<int32_t> out_index;  ///< [numel(input)]
  int64_t group_size = 1;          ///< inputs per output element
};

/// axes are per-sample axes (0-based, already normalised). Empty axes: reduce all.
ReduceMap make_reduce_map(const Shape& input, const std::vector<int64_t>& axes, bool keepdims);

}  // namespace seqlift
