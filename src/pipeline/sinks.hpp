// Outputs of `seqlift score`, each streamed region by region in input order.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "seqlift/deeplift.hpp"
#include "seqlift/sequences.hpp"

namespace seqlift {

class Genome;

/// One scored region, everything in + strand orientation.
struct ScoredRegion {
  const Region& region;
  const Explanation& e;           ///< hypothetical / projected [T, 4, L]
  const std::vector<float>& ohe;  ///< [4, L]
  bool finite = true;             ///< false: NaN/Inf somewhere (tracks leave the region out)
};

class ScoreSink {
 public:
  virtual ~ScoreSink() = default;
  virtual void add(const ScoredRegion& r) = 0;
  /// Completes the output (renames it into place). Not called after a failure, so the
  /// destructor removes partial files.
  virtual void finish() = 0;
  /// The files this sink writes (final names), for the run's summary.
  virtual std::vector<std::string> paths() const = 0;
};

struct SinkShape {
  int64_t regions = 0, length = 0, targets = 0, refs = 0;
  std::size_t max_name = 1, max_chrom = 1;
  std::vector<int64_t> target_ids;        ///< flattened output index, -1 for profile targets
  std::vector<std::string> target_names;  ///< labels (TargetSpec::label)
  std::string provenance;                 ///< one-line JSON: how the outputs were made
};

/// npz: ohe, hyp, proj, delta, pred, names, targets, target_names, coords_*, provenance.
std::unique_ptr<ScoreSink> make_npz_sink(const std::string& path, const SinkShape& shape);
/// bigWig and/or bedGraph of sum_c proj[track_target][c][j] in genome coordinates
/// (paths already per target; the bedGraph starts with a '#' provenance line).
std::unique_ptr<ScoreSink> make_track_sink(const std::string& bigwig, const std::string& bedgraph,
                                           const Genome& genome, int64_t track_target,
                                           const std::string& provenance);
/// chrombpnet's contribution h5 for target `target` (path already per target):
/// raw/seq int8 [N, 4, L] one-hot, shap/seq float32 [N, 4, L] hypothetical
/// contributions, projected_shap/seq float32 [N, 4, L] = shap * raw, coords_chrom /
/// coords_start / coords_end / names [N], provenance attributes on the root.
std::unique_ptr<ScoreSink> make_h5_sink(const std::string& path, const SinkShape& shape,
                                        int64_t target);
/// PREFIX.ohe.npz, PREFIX.hyp.npz (PREFIX.LABEL.hyp.npz per target when several) with
/// arr_0 [N, 4, L], and PREFIX.regions.bed.
std::unique_ptr<ScoreSink> make_modisco_sink(const std::string& prefix, const SinkShape& shape);
/// TSV: '#' provenance line, then name, chrom, start, end, strand, gc, pred_LABEL...,
/// max_delta_error.
std::unique_ptr<ScoreSink> make_regions_tsv_sink(const std::string& path, const SinkShape& shape);

}  // namespace seqlift
