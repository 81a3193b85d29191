// Targets by name: what `score --target` accepts, resolved against a loaded model.
//
// A spec is a comma list of items, kept in the order given:
//   N            flattened output index (as before; "all" = every index)
//   NAME         a model output by name (a Keras output layer, an ONNX graph output):
//                its one element, or every element NAME:0, NAME:1, ... when it has several
//   NAME:i       element i of output NAME (flattened)
//   NAME.i.j     element (i, j) of output NAME by its multi-index, as `predict` names its
//                columns (e.g. profile.1.17 of a [2, L] head)
//   profile:OUT  BPNet/chrombpnet profile target over output OUT (name or index)
//   counts       alias: the output named "counts", else the one scalar output whose name
//                contains "count" (chrombpnet's logcount_predictions), else the only
//                scalar output
//   profile      alias: a profile target over the output named "profile", else the one
//                multi-element output whose name contains "profile" (chrombpnet's
//                logits_profile_predictions), else the only multi-element output
// Each resolved target has a label (the item as typed; "all" gives "0", "1", ...) used
// in file names, npz target_names and TSV headers.
//
// Kept separate from the engine's own output lookup (issue #17) so the two can merge.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "seqlift/deeplift.hpp"
#include "seqlift/model.hpp"

namespace seqlift {

struct TargetSpec {
  std::string label;
  int64_t index = -1;          ///< flattened output index; -1 for a profile target
  std::string profile_output;  ///< output name of a profile target, else empty
};

/// Resolves `spec` against `model`; throws UsageError naming the item and listing the
/// model's outputs when an item matches nothing or is ambiguous.
std::vector<TargetSpec> resolve_targets(const std::string& spec, const Model& model);

/// Explainer options for the resolved targets, in order: consecutive index targets
/// share one (one forward pass), each profile target has its own; the groups' targets
/// concatenated are `targets` in order.
std::vector<ExplainOptions> target_groups(const std::vector<TargetSpec>& targets,
                                          const ExplainOptions& base);

/// `path` for one of several targets: "out.bw" -> "out.LABEL.bw" (LABEL with characters
/// other than [A-Za-z0-9._-] replaced by '_'); unchanged when there is one target.
std::string per_target_path(const std::string& path, const std::string& label, std::size_t count);

/// Position of a target in a score --npz holding `count` targets: `spec` is a position
/// ("0", "1") or a label from its target_names (`names`, empty for older files). Throws
/// UsageError naming `path` and the labels.
int64_t npz_target_position(const std::string& spec, const std::vector<std::string>& names,
                            int64_t count, const std::string& path);

}  // namespace seqlift
