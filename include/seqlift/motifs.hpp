// Motif summaries: MEME motif databases, seqlet calling on per-base contributions, and
// TOMTOM-style matching of seqlets against a database.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace seqlift {

// ---- MEME minimal format ----
struct Motif {
  std::string id, name;
  std::vector<std::array<double, 4>> pwm;  ///< [w][A, C, G, T] probabilities
};
struct MotifDatabase {
  std::vector<Motif> motifs;
  std::array<double, 4> background = {0.25, 0.25, 0.25, 0.25};
};
/// Parses a MEME (minimal) motif file. Malformed input throws ParseError naming the line.
/// A motif id seen twice keeps the last definition (with a warning).
MotifDatabase read_meme(const std::string& path);

// ---- seqlets ----
struct Seqlet {
  int64_t region = 0;          ///< row in the contributions
  int64_t start = 0, end = 0;  ///< 0-based half-open, within the region
  double contribution = 0;     ///< sum of per-base contributions (negative for negative seqlets)
  double p_value = 1;
};

struct SeqletOptions {
  double threshold = 0.01;  ///< recursive: p-value threshold; laplace: target FDR
  int64_t min_len = 4, max_len = 25, flank = 3;
  int bins = 1000;
  /// both | positive | negative seqlets. Positive by default: on models whose motifs raise
  /// the output, negative seqlets against shuffled references are mostly small cancellation
  /// noise (bundled example: 1,209 negative beside 301 positive, which alone recover the same
  /// 185 of 189 planted sites).
  std::string sign = "positive";
};

/// tangermeme's recursive caller on per-base contributions x[n][L] (all regions share
/// one null): a span is a seqlet when it and every span it contains that ends with it
/// has a p-value under the threshold; longest first. Called on x for positive seqlets and
/// on -x for negative ones. `flank` bases are added on both sides (clipped).
std::vector<Seqlet> recursive_seqlets(const std::vector<std::vector<float>>& x,
                                      const SeqletOptions& options);

/// TF-MoDISco's caller: sums over windows of max_len, a Laplace null fitted at the mode
/// of the window sums, isotonic-regression FDR thresholds, greedy non-overlapping picks;
/// then keeps the seqlets of options.sign.
std::vector<Seqlet> laplace_seqlets(const std::vector<std::vector<float>>& x,
                                    const SeqletOptions& options);

// ---- matching ----
struct MotifMatch {
  int motif = -1;      ///< index into the database
  char strand = '+';   ///< '-' when the motif's reverse complement matches
  int64_t offset = 0;  ///< motif column 0 sits at query column `offset` (may be negative)
  double score = 0, p_value = 1, e_value = 0, q_value = 1;
};

/// Compares a query matrix (e.g. a seqlet's contribution-weighted matrix, [w][4]) with
/// every motif on both strands at every offset with at least min(5, widths) overlapping
/// columns. Column score: Pearson correlation. The p-value of an alignment comes from a
/// null built from the database's own columns (each query column against all database
/// columns: mean and variance, summed over the overlap), corrected for the number of
/// offsets tried; E = p * 2 * database size; q-values by Benjamini-Hochberg over the
/// database. Returns matches sorted by p-value.
class MotifMatcher {
 public:
  explicit MotifMatcher(const MotifDatabase& db);
  std::vector<MotifMatch> match(const std::vector<std::array<double, 4>>& query) const;
  const MotifDatabase& database() const { return db_; }

 private:
  MotifDatabase db_;
  std::vector<std::vector<std::array<double, 4>>> rc_;  ///< reverse-complemented PWMs
  std::vector<std::array<double, 4>> all_columns_;      ///< every database column, both strands
};

/// Pearson correlation of two 4-vectors; 0 when either is constant.
double column_correlation(const std::array<double, 4>& a, const std::array<double, 4>& b);

}  // namespace seqlift
