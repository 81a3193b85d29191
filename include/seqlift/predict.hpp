// Batched model predictions over a stream of regions.
#pragma once
#include <string>
#include <vector>

#include "seqlift/model.hpp"
#include "seqlift/sequences.hpp"

namespace seqlift {

/// One-hot encodes `regions` into x[N, 4, L], checking every length against the model;
/// `source` names the input in errors.
std::vector<float> encode_batch(const std::vector<Region>& regions, int length,
                                const std::string& source);

/// Predictions [N, model.output_size()] for a batch, split across `threads` threads.
std::vector<float> predict_batch(const Model& model, const float* x, int64_t n, int threads);

/// Column names of the flattened model outputs: y0, y1, ...
std::vector<std::string> output_columns(const Model& model);

}  // namespace seqlift
