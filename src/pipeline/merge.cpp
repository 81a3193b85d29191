#include "seqlift/merge.hpp"

#include <cmath>

#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/npy.hpp"
#include "seqlift/targets.hpp"
#include "util/cleanup.hpp"
#include "writers/track.hpp"

namespace seqlift {

int64_t run_merge(const MergeOptions& o) {
  if (o.inputs.empty()) throw UsageError("merge needs at least one score .npz");
  if (o.bigwig.empty() && o.bedgraph.empty())
    throw UsageError("merge needs --bigwig and/or --bedgraph");
  if (o.genome.empty()) throw UsageError("merge needs --genome (for chromosome sizes)");
  OutputTransaction transaction;  // both outputs or neither (joins main()'s)
  for (const auto& in : o.inputs) note_input(in);
  note_input(o.genome);
  note_input(o.genome + ".fai");
  claim_outputs({o.bigwig, o.bedgraph});
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
    // The input position of each region (score writes it): windows starting at the same
    // base tie-break as in one unsharded run, whatever order the shards are given in.
    const auto index = z.has("index") ? z.read_all("index") : std::vector<double>();
    if (!index.empty() && static_cast<int64_t>(index.size()) != n)
      throw InputError(path + ": 'index' has " + std::to_string(index.size()) + " entries for " +
                       std::to_string(n) + " regions");
    if (static_cast<int64_t>(chroms.size()) != n || static_cast<int64_t>(starts.size()) != n ||
        static_cast<int64_t>(ends.size()) != n)
      throw InputError(path + ": coords_* arrays do not have one entry per region");
    std::vector<float> values(L);
    for (int64_t i = 0; i < n; ++i) {
      const auto proj = z.read_rows("proj", i, 1);
      std::fill(values.begin(), values.end(), 0.0f);
      for (int c = 0; c < 4; ++c)
        for (int64_t j = 0; j < L; ++j) values[j] += proj[(target * 4 + c) * L + j];
      if (!(std::fabs(starts[i]) < 4e18 && std::fabs(ends[i]) < 4e18))
        throw InputError(path + ": region " + std::to_string(i) + " has coordinates " +
                         std::to_string(starts[i]) + "-" + std::to_string(ends[i]));
      const auto start = static_cast<int64_t>(starts[i]), end = static_cast<int64_t>(ends[i]);
      if (end - start != L)
        throw InputError(path + ": region " + std::to_string(i) + " coordinates do not span L");
      if (!genome.has(chroms[i]))
        throw InputError(path + ": region " + std::to_string(i) + " is on '" + chroms[i] +
                         "', not in " + o.genome);
      if (!index.empty() && !(index[i] >= 0 && index[i] < 9e18 && index[i] == std::floor(index[i])))
        throw InputError(path + ": region " + std::to_string(i) + " has index " +
                         std::to_string(index[i]));
      if (start >= genome.length(chroms[i]) || end <= 0)
        throw InputError(path + ": region " + std::to_string(i) + " (" + chroms[i] + ":" +
                         std::to_string(start) + "-" + std::to_string(end) +
                         ") lies wholly outside " + chroms[i] + " (length " +
                         std::to_string(genome.length(chroms[i])) + " in " + o.genome +
                         "); was it scored on another genome?");
      track.add(chroms[i], start, end, values.data(),
                index.empty() ? std::optional<uint64_t>()
                              : std::optional<uint64_t>(static_cast<uint64_t>(index[i])));
    }
    (void)T;
    total += n;
  }
  if (!o.bigwig.empty()) write_bigwig(o.bigwig, track);
  if (!o.bedgraph.empty()) write_bedgraph(o.bedgraph, track);
  transaction.commit();
  return total;
}

}  // namespace seqlift
