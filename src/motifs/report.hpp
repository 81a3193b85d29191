// Writers for `seqlift motifs`: seqlets.tsv, motifs.tsv and a self-contained HTML report
// with inline-SVG logos.
#pragma once
#include <string>
#include <vector>

#include "seqlift/motifs.hpp"

namespace seqlift {

struct AnnotatedSeqlet {
  std::string chrom, region, sequence;
  int64_t start = 0, end = 0, row = 0, offset = 0, region_centre_offset = 0;
  double contribution = 0;
  std::vector<std::array<double, 4>> cwm;      ///< hypothetical [w][ACGT], sign-flipped if negative
  std::vector<std::array<double, 4>> contrib;  ///< actual (one-hot x hypothetical), same sign
  MotifMatch best;
  std::vector<MotifMatch> top;
};

/// Writes the three files; returns the number of database motifs that are the best match
/// of some seqlet at q <= max_q.
int64_t write_motif_outputs(const std::string& dir, const MotifDatabase& db,
                            const std::vector<AnnotatedSeqlet>& seqlets, int64_t region_length,
                            double max_q = 0.25);

/// A discovered pattern as the report shows it.
struct PatternReport {
  std::string name, consensus;  ///< "pos_patterns.pattern_0"
  int sign = 1;
  int64_t seqlets = 0, window = 0;
  std::vector<std::array<double, 4>> cwm, ppm;  ///< trimmed; CWM sign-adjusted (positive)
  std::vector<int64_t> centres;                 ///< seqlet centres within the window
  std::vector<int64_t> subpattern_sizes;
  std::vector<MotifMatch> matches;  ///< best 3 database matches
};

/// Writes report.html for `seqlift modisco`: one row per pattern (logo with axis, seqlet
/// count, positional distribution, best matches with q-values), then the database motifs
/// matched at q <= max_q grouped into families of similar motifs. db may be null.
void write_pattern_report(const std::string& path, const std::vector<PatternReport>& patterns,
                          const MotifDatabase* db, double max_q, int64_t positive_seqlets,
                          int64_t negative_seqlets);

/// An SVG sequence logo: letter heights are information content (probability matrix, axis
/// 0-2 bits) or the signed values (contribution matrix: positive letters above a drawn
/// baseline, negative below, axis at the extremes). `height` is the plot area; with `axes`
/// a y axis (left) and column numbers every 5 (below) are added.
std::string logo_svg(const std::vector<std::array<double, 4>>& m, bool probabilities,
                     int height = 80, bool axes = true);

}  // namespace seqlift
