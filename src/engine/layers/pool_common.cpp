#include "engine/layers/layers.hpp"

namespace seqlift {

int64_t PoolParams::length_out() const {
  const int64_t span = dilation * (kernel - 1) + 1;
  const int64_t padded = length_in + pad_left + pad_right;
  if (padded < span) return 0;
  int64_t out =
      ceil_mode ? (padded - span + stride - 1) / stride + 1 : (padded - span) / stride + 1;
  // The last window must start inside the input or its left padding (PyTorch / ONNX rule).
  if (ceil_mode && (out - 1) * stride >= length_in + pad_left) --out;
  return out;
}

}  // namespace seqlift
