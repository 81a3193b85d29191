// `seqlift seqlets` and `seqlift motifs`: from a score --npz to seqlets and annotated
// motif summaries.
#pragma once
#include <string>

#include "seqlift/motifs.hpp"

namespace seqlift {

struct SeqletRunOptions {
  std::string npz;
  int64_t target = 0;                ///< position in the npz's targets array
  std::string method = "recursive";  ///< recursive | laplace
  SeqletOptions seqlets;
  std::string output = "-";
};
/// Writes BED6+: chrom, start, end, name, contribution, '.', p-value, region. Returns the count.
int64_t run_seqlets(const SeqletRunOptions& options);

struct MotifRunOptions {
  std::string npz, seqlets, motifs, out_dir;
  int64_t target = 0;
};
struct MotifRunSummary {
  int64_t seqlets = 0, annotated = 0, motifs_found = 0;
};
/// Writes out_dir/seqlets.tsv, out_dir/motifs.tsv and out_dir/report.html.
MotifRunSummary run_motifs(const MotifRunOptions& options);

}  // namespace seqlift
