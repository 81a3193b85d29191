// `seqlift score`: DeepLIFT-SHAP contributions for every region of an input, written as
// arrays. Regions are processed in chunks, in parallel over regions within a chunk.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "seqlift/deeplift.hpp"
#include "seqlift/references.hpp"
#include "seqlift/sequences.hpp"

namespace seqlift {

struct ScoreOptions {
  std::string model;
  std::string weights;  ///< Keras weights for a JSON architecture (optional)
  SequenceSourceOptions input;
  ReferenceOptions references;
  std::string targets = "0";  ///< "0", "0,2", "all" or "profile:OUTPUT"
  Rule rule = Rule::kRescale;
  bool explain_activated = false;
  int threads = 1;
  int64_t chunk = 64;            ///< regions per chunk
  bool revcomp_average = false;  ///< average with the reverse-complement strand's contributions
  bool progress = false;         ///< force progress lines even when stderr is not a terminal
  // Outputs (at least one); each is written under a temporary name and renamed at the end.
  std::string npz;          ///< arrays: ohe, hyp, proj, delta, pred, names, targets, coords_*
  std::string bigwig;       ///< per-base projected contributions (first target), genome input only
  std::string bedgraph;     ///< the same values as text
  std::string modisco;      ///< PREFIX.ohe.npz, PREFIX.hyp.npz, PREFIX.regions.bed
  std::string regions_out;  ///< per-region TSV
};

struct ScoreSummary {
  int64_t regions = 0, references = 0, targets = 0;
  double worst_delta_error = 0;  ///< max over pairs of |sum(C) - delta|
  double seconds = 0;
  int64_t regions_over_tolerance = 0;
  int64_t regions_not_finite =
      0;  ///< NaN/Inf in outputs or contributions (reported, kept out of tracks)
  std::string reference_description;
};

/// Parses "0", "0,2" or "all" against a model with `outputs` flattened outputs
/// ("profile:..." is handled by run_score).
std::vector<int64_t> parse_targets(const std::string& spec, int64_t outputs);

/// Runs the whole job. Throws UsageError / InputError; writes outputs atomically.
ScoreSummary run_score(const ScoreOptions& options);

}  // namespace seqlift
