// Internal: graph rewrites run on every loaded model (ONNX or Keras), after import.
#pragma once
#include "engine/model_builder.hpp"

namespace seqlift {

/// 1. Chains of data-movement nodes (Gather, Slice, Flatten, Cropping, ...) whose
///    intermediate values have one consumer become one index map.
/// 2. A Conv whose only consumer is an index map reading a window of its length axis
///    computes just that window (a BPNet profile head read at one position runs one
///    output column instead of 2114; chrombpnet's cropped profile conv 1000 of 1074).
/// Outputs are unchanged; unused nodes are pruned.
void optimize_model(ModelBuilder& model);

}  // namespace seqlift
