// `seqlift merge`: one genome track from the npz outputs of sharded score runs.
#pragma once
#include <string>
#include <vector>

namespace seqlift {

struct MergeOptions {
  std::vector<std::string> inputs;  ///< score --npz outputs (with coords_*)
  std::string genome;               ///< chromosome sizes come from its index
  std::string bigwig, bedgraph;
  std::string target = "0";  ///< position in the npz's targets, or a name from target_names
};

/// Applies the same midpoint rule across all shards' windows as an unsharded run.
/// Returns the number of regions merged.
int64_t run_merge(const MergeOptions& options);

}  // namespace seqlift
