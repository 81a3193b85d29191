// Batched model predictions over a stream of regions (`seqlift predict`).
#pragma once
#include <cstdint>
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
/// `extra`: [N, model.extra_size()] extra inputs per sample, or null for zeros.
std::vector<float> predict_batch(const Model& model, const float* x, int64_t n, int threads,
                                 const float* extra = nullptr);

/// Column names of the flattened model outputs. Models whose outputs are all [N, T]
/// keep y0, y1, ... (flat index); otherwise NAME.i.j... per element, the output's own
/// C-order multi-index (e.g. profile.1.17 for strand 1, position 17 of [N, 2, L]).
std::vector<std::string> output_columns(const Model& model);

/// Keeps only the outputs named in `names` ("profile,counts", in that order) and prunes
/// the rest of the graph; UsageError naming the model's outputs for an unknown name.
void select_outputs(Model& model, const std::string& names);

struct PredictOptions {
  std::string model;
  std::string weights;                    ///< Keras weights for a JSON architecture (optional)
  std::string outputs;                    ///< comma-separated output names to keep (empty = all)
  std::vector<std::string> extra_inputs;  ///< --extra-input NAME=VALUE specs
  std::vector<std::string> lambdas;       ///< --lambda declarations for Keras Lambda layers
  SequenceSourceOptions input;
  std::string output = "-";  ///< TSV path ('-' = stdout)
  int threads = 0;           ///< 0 = all usable cores (capped at them, with a warning)
  int64_t length = 0;        ///< input length of a symbolic-length model (0 = --width)
  bool logits = false;       ///< outputs before a final Sigmoid/Softmax
};

struct PredictSummary {
  int64_t sequences = 0;
  int threads = 0;  ///< threads actually used
};

/// `seqlift predict`: streams the input through the model in batches of 256 and writes
/// a TSV (name, then one column per flattened output as output_columns names them, %.9g)
/// atomically. Throws UsageError / InputError / ModelError / IoError.
PredictSummary run_predict(const PredictOptions& options);

}  // namespace seqlift
