// `seqlift seqlets` and `seqlift motifs`: from a score --npz to seqlets and annotated
// motif summaries.
#pragma once
#include <string>
#include <vector>

#include "seqlift/motifs.hpp"

namespace seqlift {

struct SeqletRunOptions {
  std::vector<std::string> npz;      ///< score --npz files (shards of one run: read as one input)
  std::string target = "0";          ///< position in the npz's targets, or a target name
  std::string method = "recursive";  ///< recursive | laplace
  SeqletOptions seqlets;
  std::string output = "-";
};
/// Writes BED6+: chrom, start, end, name, contribution, '.', p-value, region. Returns the count.
int64_t run_seqlets(const SeqletRunOptions& options);

struct MotifRunOptions {
  std::vector<std::string> npz;  ///< score --npz files (the shards the seqlets came from)
  std::string seqlets, motifs, out_dir;
  std::string target = "0";  ///< position in the npz's targets, or a target name
  /// motifs.tsv and the report count seqlets matched at this q. One seqlet of a short motif
  /// (GATA, SOX: 6 informative columns) rarely reaches q < 0.05 against ~900 motifs.
  double max_q = 0.25;
};
struct MotifRunSummary {
  int64_t seqlets = 0, annotated = 0, motifs_found = 0;
};
/// Writes out_dir/seqlets.tsv (every seqlet), out_dir/motifs.tsv (per database motif, the
/// seqlets it annotates at q <= max_q, with its family) and out_dir/report.html (one row
/// per family of related database motifs).
MotifRunSummary run_motifs(const MotifRunOptions& options);

}  // namespace seqlift
