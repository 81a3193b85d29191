// In-silico saturation mutagenesis (ISM): the model's outputs for every single-base
// substitution of a sequence, in batched forward passes.
//
// Shapes: x [4, L] one-hot (channel order A, C, G, T); outputs [M, output_size()] in
// the order of the mutation list; effects [T, 4, L].
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "seqlift/deeplift.hpp"
#include "seqlift/model.hpp"
#include "seqlift/references.hpp"
#include "seqlift/sequences.hpp"

namespace seqlift {

/// A substitution: base `base` (0..3 = A, C, G, T) at 0-based position `pos`.
struct Mutation {
  int64_t pos = 0;
  int base = 0;
};

/// Every substitution of positions [lo, hi) of `seq`: the 3 other bases of an ACGT
/// position, all 4 at an N, in position order then ACGT order.
std::vector<Mutation> saturation_mutations(const std::string& seq, int64_t lo, int64_t hi);

/// Runs single-base mutants of one sequence through a model.
///
/// With `cone`, the model's local trunk (the nodes from the input on whose outputs at
/// a position depend on a bounded window of their inputs: Conv, position-independent
/// elementwise activations and sums, crops) is recomputed only inside the receptive
/// cone of the mutated bases, on top of the unmutated sequence's activations; the
/// nodes after the trunk (pooling, dense heads, ...) run on whole tensors. Mutants are
/// batched `block` at a time (neighbouring positions share most of their cone). The
/// outputs equal a full forward pass of each mutant up to float rounding.
/// Construct once; run() is const and thread-safe.
class MutantRunner {
 public:
  MutantRunner(const Model& model, bool cone = true, int64_t block = 48);
  ~MutantRunner();
  /// outputs [M, model.output_size()], mutations sorted by position. Parallel over
  /// blocks with `threads` threads.
  std::vector<float> run(const float* x, const std::vector<Mutation>& mutations,
                         int threads) const;
  /// Nodes recomputed by cone (0: the trunk is empty and every mutant runs in full).
  int64_t cone_nodes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct IsmOptions {
  std::string model, weights;
  SequenceSourceOptions input;
  /// "0", "0,2", "all" (flattened output indices) or "profile:OUTPUT" (a profile head's
  /// sum_i w_i (l_i - mean l), w = softmax(l - mean l) of the unmutated sequence, as
  /// `score --target profile:` explains it).
  std::string targets = "0";
  bool activated = false;  ///< effects on a final Sigmoid/Softmax output, not its logits
  int64_t window = 0;      ///< mutate only the central W positions (0 = all)
  bool cone = true;
  int64_t block = 48;
  int threads = 1;
  // DeepLIFT comparison (per-region Pearson correlation of projected scores).
  bool deeplift = true;
  ReferenceOptions references;
  Rule rule = Rule::kRescale;
  // Outputs.
  std::string npz;          ///< ism [N, T, 4, L], ohe, pred [N, T], corr [N], names, coords_*
  std::string bigwig;       ///< per-base max |effect| of the first target (genome input)
  std::string regions_out;  ///< TSV: name, chrom, start, end, pred, corr
};

struct IsmSummary {
  int64_t regions = 0, mutants = 0;
  double seconds_ism = 0, seconds_deeplift = 0;
  double mean_corr = 0, min_corr = 0;  ///< over regions (NaN when no DeepLIFT)
  int64_t cone_nodes = 0;
};

/// effects [4, L] (one target: target(mutant) - target(x), 0 at the observed base).
/// Pearson correlation over the positions [lo, hi) whose base is ACGT of DeepLIFT's
/// per-base projected scores and ISM's mean-centred effect of the observed base
/// (-(1/4) sum_c effect[c][l]); NaN when either is constant.
double ism_deeplift_correlation(const float* effects, const float* projected,
                                const std::string& seq, int64_t lo, int64_t hi);

/// Runs the whole job; outputs are written under temporary names and renamed.
IsmSummary run_ism(const IsmOptions& options);

}  // namespace seqlift
