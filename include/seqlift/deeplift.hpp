// DeepLIFT / DeepLIFT-SHAP contributions of one-hot inputs against references.
//
// Shapes: X [4, L]; references R [K, 4, L] (any values, e.g. one-hot shuffles or a
// flat [0.3, 0.2, 0.2, 0.3] column); multipliers M [T, K, 4, L]; hypothetical and
// projected contributions [T, 4, L]. Targets index the model outputs flattened per
// sample (outputs concatenated in graph order).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "seqlift/model.hpp"
#include "seqlift/rule.hpp"

namespace seqlift {

struct ExplainOptions {
  Rule rule = Rule::kRescale;
  std::vector<int64_t> targets;  ///< indices into the flattened outputs; empty = all
  /// BPNet/chrombpnet profile target instead of `targets`: the model output of this name
  /// (or index, as text) is explained as sum_i w_i (l_i - mean l) with
  /// w = softmax(l - mean l) of the sequence's own logits held constant (stop-gradient),
  /// i.e. the linear combination sum_i (w_i - 1/n) l_i.
  std::string profile_output;
  bool explain_activated =
      false;  ///< explain a final Sigmoid/Softmax's output instead of its logits
  bool keep_multipliers = false;  ///< fill Explanation::multipliers
  /// Upper bound on activation memory per explain() call; references are processed in
  /// chunks that fit (results do not depend on it).
  int64_t memory_budget_bytes = int64_t(512) << 20;
};

struct Explanation {
  int64_t targets = 0, refs = 0, length = 0;
  std::vector<float> hypothetical;  ///< [T, 4, L] mean over references of M - sum_c R[c] M[c]
  std::vector<float> projected;     ///< [T, 4, L] hypothetical * X
  std::vector<float> multipliers;   ///< [T, K, 4, L] when keep_multipliers
  std::vector<double> delta;        ///< [T, K] f(X) - f(R_k) of the explained output
  std::vector<double> delta_error;  ///< [T, K] |sum((X - R_k) * M_k) - delta|
  std::vector<float> prediction;    ///< [T] model output for X (activated, as predict prints it)
  std::vector<float> explained;     ///< [T] the explained value for X (logit when stripped)
};

/// Computes explanations for one model. Construct once; explain() is const and
/// thread-safe (each call uses its own workspace).
class Explainer {
 public:
  Explainer(const Model& model, ExplainOptions options);
  ~Explainer();

  /// x: [4, L]; refs: [K, 4, L]; extra: the model's extra inputs for this sequence
  /// [model.extra_size()] (null: zeros), held equal in X and every reference.
  Explanation explain(const float* x, const float* refs, int64_t num_refs,
                      const float* extra = nullptr) const;

  const std::vector<int64_t>& targets() const { return targets_; }
  /// Names (e.g. "y0") of the explained targets and whether the final activation was stripped.
  bool explains_logits() const { return stripped_; }

 private:
  void explain_chunk(const float* x, const float* refs, int64_t k0, int64_t kc, Explanation& out,
                     std::vector<double>& hyp_sum, const float* extra) const;
  /// Backward for references g0..g0+gk-1 of the chunk (every target), accumulating
  /// their hypothetical contributions and summation-to-delta checks.
  void backward_group(const float* x, const float* refs, int64_t k0, int64_t kc, int64_t g0,
                      int64_t gk, const std::vector<std::vector<float>>& acts, BufferPool& pool,
                      const std::vector<double>& profile_weights, Explanation& out,
                      std::vector<double>& hyp_sum) const;

  const Model& model_;
  ExplainOptions options_;
  std::vector<int64_t> targets_;
  std::vector<std::pair<int, int64_t>> target_at_;  ///< per target: (explained value id, element)
  std::vector<std::pair<int, int64_t>>
      output_at_;                       ///< per target: (model output value id, element)
  int profile_value_ = -1;              ///< explained value of a profile target
  std::vector<char> reveal_cancel_at_;  ///< per node: a nonlinearity under RevealCancel
  std::vector<char> keep_;              ///< per value: activations a backward rule reads
  std::vector<char> run_node_;          ///< per node: computed (an ancestor of a target)
  std::vector<int> consumers_;          ///< per value: number of node inputs reading it
  bool reveal_cancel_ = false;          ///< some node uses RevealCancel
  /// [target][value]: window [lo, hi) of the value's last axis where that target's
  /// multipliers can be nonzero (a profile position target reads a cone of the input).
  std::vector<std::vector<std::pair<int64_t, int64_t>>> window_;
  void compute_windows();
  int64_t largest_value_ = 0;  ///< elements of the largest value per sequence
  bool stripped_ = false;
  int64_t act_floats_per_row_ = 0;
};

/// Error tolerance used for summation-to-delta warnings: 1e-3 * max(1, |delta|).
bool delta_within_tolerance(double error, double delta);

}  // namespace seqlift
