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
  std::vector<std::array<double, 4>> cwm;  ///< [w][ACGT], sign-flipped for negative seqlets
  MotifMatch best;
  std::vector<MotifMatch> top;
};

/// Writes the three files; returns the number of motifs that are some seqlet's best match.
int64_t write_motif_outputs(const std::string& dir, const MotifDatabase& db,
                            const std::vector<AnnotatedSeqlet>& seqlets, int64_t region_length);

/// An SVG sequence logo: letter heights are information content (probability matrix) or
/// the signed values (contribution matrix, negative below the axis).
std::string logo_svg(const std::vector<std::array<double, 4>>& m, bool probabilities,
                     int height = 80);

}  // namespace seqlift
