// `seqlift score`: DeepLIFT-SHAP contributions for every region of an input, written as
// arrays. Regions are processed in chunks, in parallel over regions within a chunk.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "seqlift/deeplift.hpp"
#include "seqlift/model.hpp"
#include "seqlift/references.hpp"
#include "seqlift/sequences.hpp"

namespace seqlift {

struct ScoreOptions {
  std::string model;
  std::string weights;  ///< Keras weights for a JSON architecture (optional)
  SequenceSourceOptions input;
  /// Sequence length for a model whose input length is symbolic (0: --width, else the
  /// model's own). A fixed-length model must agree.
  int64_t length = 0;
  ReferenceOptions references;
  std::string targets = "0";  ///< comma list of names/indices (seqlift/targets.hpp)
  Rule rule = Rule::kRescale;
  bool explain_activated = false;
  std::vector<std::string> extra_inputs;  ///< "NAME=VALUE" (see extra_inputs.hpp)
  std::vector<std::string> lambdas;       ///< Keras Lambda declarations "NAME=x[...]"
  int threads = 1;
  int64_t chunk = 64;            ///< regions per chunk
  bool revcomp_average = false;  ///< average with the reverse-complement strand's contributions
  bool progress = false;         ///< force progress lines even when stderr is not a terminal
  /// Seconds between progress lines when stderr is not a terminal (terminal: 0.5 s redraws).
  double progress_interval = 30;
  std::string command_line;  ///< recorded in the outputs' provenance
  // Outputs (at least one); each is written under a temporary name and renamed at the end.
  // With several targets, per-target files get the target's label before the extension:
  // out.bw -> out.counts.bw, out.profile.bw (seqlift/targets.hpp per_target_path).
  std::string npz;          ///< arrays: ohe, hyp, proj, delta, pred, names, targets, target_names,
                            ///< coords_*, provenance
  std::string bigwig;       ///< per-base projected contributions per target, genome input only
  std::string bedgraph;     ///< the same values as text ("-": stdout, one target only)
  std::string h5;           ///< chrombpnet layout per target: raw/seq, shap/seq, projected_shap/seq
  std::string modisco;      ///< PREFIX.ohe.npz, PREFIX.hyp.npz, PREFIX.regions.bed
  std::string regions_out;  ///< per-region TSV ("-": stdout)
};

struct ScoreSummary {
  int64_t regions = 0, references = 0, targets = 0;
  double worst_delta_error = 0;  ///< max over pairs of |sum(C) - delta|
  double seconds = 0;
  int64_t regions_over_tolerance = 0;
  int64_t regions_not_finite =
      0;  ///< NaN/Inf in outputs or contributions (reported, kept out of tracks)
  std::string reference_description;
  std::vector<std::string> target_names;
  std::vector<std::string> files;  ///< every file written (final names; "stdout")
};

/// Provenance of a run as one-line JSON: seqlift version, command line, model path and
/// SHA-256 (and of its weights file), rule, targets, reference kind, n-refs, seed, width.
std::string score_provenance(const ScoreOptions& options, const std::vector<std::string>& targets,
                             const std::string& reference_description);

/// Parses "0", "0,2" or "all" against a model with `outputs` flattened outputs
/// ("profile:..." is handled by run_score).
std::vector<int64_t> parse_targets(const std::string& spec, int64_t outputs);

/// Loads `path` for scoring sequences of `length` (or `width` when length is 0) and checks
/// a fixed-length model agrees. Throws UsageError naming both lengths.
/// `lambdas`: --lambda declarations for Keras Lambda layers (see load_model).
std::unique_ptr<Model> load_scoring_model(const std::string& path, const std::string& weights,
                                          int64_t length, int64_t width,
                                          const LambdaDeclarations& lambdas = {});

/// Threads actually used: `requested` (0 = all cores) capped at the cores (a warning: more
/// threads than cores multiply memory, not speed) and at the number of work items.
int effective_threads(int requested, int64_t items);

/// Runs the whole job. Throws UsageError / InputError; writes outputs atomically.
ScoreSummary run_score(const ScoreOptions& options);

}  // namespace seqlift
