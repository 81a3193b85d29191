#include "seqlift/merge.hpp"

#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/npy.hpp"
#include "seqlift/targets.hpp"
#include "seqlift/track.hpp"

namespace seqlift {

int64_t run_merge(const MergeOptions& o) {
  if (o.inputs.empty()) throw UsageError("merge needs at least one score .npz");
  if (o.bigwig.empty() && o.bedgraph.empty())
    throw UsageError("merge needs --bigwig and/or --bedgraph");
  if (o.genome.empty()) throw UsageError("merge needs --genome (for chromosome sizes)");
  Genome genome(o.genome);
  std::vector<std::pair<std::string, int64_t>> sizes;
  for (const auto& c : genome.chromosomes()) sizes.emplace_back(c, genome.length(c));
  TrackAssembler track(sizes);
  int64_t total = 0;
  for (const auto& path : o.inputs) {
    NpzReader z(path);
    for (const char* m : {"proj", "coords_chrom", "coords_start", "coords_end"})
      if (!z.has(m))
        throw InputError(path + ": no '" + std::string(m) +
                         "' array (is it a seqlift score --npz?)");
    const auto& shape = z.shape("proj");  // [N, T, 4, L]
    if (shape.size() != 4 || shape[2] != 4) throw InputError(path + ": 'proj' is not [N, T, 4, L]");
    const int64_t target = npz_target_position(
        o.target,
        z.has("target_names") ? z.read_strings("target_names") : std::vector<std::string>{},
        shape[1], path);
    const int64_t n = shape[0], T = shape[1], L = shape[3];
    const auto chroms = z.read_strings("coords_chrom");
    const auto starts = z.read_all("coords_start"), ends = z.read_all("coords_end");
    std::vector<float> values(L);
    for (int64_t i = 0; i < n; ++i) {
      const auto proj = z.read_rows("proj", i, 1);
      std::fill(values.begin(), values.end(), 0.0f);
      for (int c = 0; c < 4; ++c)
        for (int64_t j = 0; j < L; ++j) values[j] += proj[(target * 4 + c) * L + j];
      const auto start = static_cast<int64_t>(starts[i]), end = static_cast<int64_t>(ends[i]);
      if (end - start != L)
        throw InputError(path + ": region " + std::to_string(i) + " coordinates do not span L");
      if (!genome.has(chroms[i]))
        throw InputError(path + ": region " + std::to_string(i) + " is on '" + chroms[i] +
                         "', not in " + o.genome);
      track.add(chroms[i], start, end, values.data());
    }
    (void)T;
    total += n;
  }
  if (!o.bigwig.empty()) write_bigwig(o.bigwig, track);
  if (!o.bedgraph.empty()) write_bedgraph(o.bedgraph, track);
  return total;
}

}  // namespace seqlift
