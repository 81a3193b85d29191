// TOMTOM-style comparison of a query matrix with a motif database.
#include <algorithm>
#include <cmath>

#include "seqlift/motifs.hpp"

namespace seqlift {

double column_correlation(const std::array<double, 4>& a, const std::array<double, 4>& b) {
  const double ma = (a[0] + a[1] + a[2] + a[3]) / 4, mb = (b[0] + b[1] + b[2] + b[3]) / 4;
  double sab = 0, saa = 0, sbb = 0;
  for (int c = 0; c < 4; ++c) {
    sab += (a[c] - ma) * (b[c] - mb);
    saa += (a[c] - ma) * (a[c] - ma);
    sbb += (b[c] - mb) * (b[c] - mb);
  }
  if (saa < 1e-24 || sbb < 1e-24) return 0.0;
  return sab / std::sqrt(saa * sbb);
}

namespace {
std::vector<std::array<double, 4>> reverse_complement(const std::vector<std::array<double, 4>>& m) {
  std::vector<std::array<double, 4>> r(m.rbegin(), m.rend());
  for (auto& c : r) c = {c[3], c[2], c[1], c[0]};
  return r;
}
// Upper tail of the standard normal.
double normal_sf(double z) {
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}
}  // namespace

MotifMatcher::MotifMatcher(const MotifDatabase& db) : db_(db) {
  for (const auto& m : db_.motifs) {
    rc_.push_back(reverse_complement(m.pwm));
    all_columns_.insert(all_columns_.end(), m.pwm.begin(), m.pwm.end());
    all_columns_.insert(all_columns_.end(), rc_.back().begin(), rc_.back().end());
  }
}

std::vector<MotifMatch> MotifMatcher::match(const std::vector<std::array<double, 4>>& q) const {
  const int64_t wq = static_cast<int64_t>(q.size());
  // Null per query column: mean and variance of its score against every database column.
  std::vector<double> mu(wq, 0.0), var(wq, 0.0);
  for (int64_t i = 0; i < wq; ++i) {
    double s = 0, ss = 0;
    for (const auto& col : all_columns_) {
      const double v = column_correlation(q[i], col);
      s += v;
      ss += v * v;
    }
    const double n = std::max<double>(1, all_columns_.size());
    mu[i] = s / n;
    var[i] = std::max(ss / n - mu[i] * mu[i], 1e-12);
  }
  std::vector<double> cmu(wq + 1, 0.0), cvar(wq + 1, 0.0);
  for (int64_t i = 0; i < wq; ++i) {
    cmu[i + 1] = cmu[i] + mu[i];
    cvar[i + 1] = cvar[i] + var[i];
  }
  std::vector<MotifMatch> out;
  for (std::size_t mi = 0; mi < db_.motifs.size(); ++mi) {
    MotifMatch best;
    best.motif = static_cast<int>(mi);
    double best_z = -1e300;
    int64_t tried = 0;
    for (int strand = 0; strand < 2; ++strand) {
      const auto& t = strand == 0 ? db_.motifs[mi].pwm : rc_[mi];
      const int64_t wt = static_cast<int64_t>(t.size());
      const int64_t min_overlap = std::min<int64_t>({5, wq, wt});
      // Motif column 0 at query column `off`.
      for (int64_t off = -(wt - min_overlap); off <= wq - min_overlap; ++off) {
        const int64_t q0 = std::max<int64_t>(0, off), q1 = std::min(wq, off + wt);
        if (q1 - q0 < min_overlap) continue;
        double score = 0;
        for (int64_t i = q0; i < q1; ++i) score += column_correlation(q[i], t[i - off]);
        const double z = (score - (cmu[q1] - cmu[q0])) / std::sqrt(cvar[q1] - cvar[q0]);
        ++tried;
        if (z > best_z) {
          best_z = z;
          best.score = score;
          best.offset = off;
          best.strand = strand == 0 ? '+' : '-';
        }
      }
    }
    const double p1 = normal_sf(best_z);
    // Best of `tried` alignments: P(min p <= p1) = 1 - (1 - p1)^tried.
    best.p_value = p1 < 1e-12 ? p1 * tried : 1.0 - std::pow(1.0 - p1, double(tried));
    best.p_value = std::min(1.0, best.p_value);
    best.e_value = best.p_value * 2.0 * double(db_.motifs.size());
    out.push_back(best);
  }
  std::sort(out.begin(), out.end(),
            [](const MotifMatch& a, const MotifMatch& b) { return a.p_value < b.p_value; });
  // Benjamini-Hochberg q-values over the database.
  const double n = double(out.size());
  double running = 1.0;
  for (int64_t i = static_cast<int64_t>(out.size()) - 1; i >= 0; --i) {
    running = std::min(running, out[i].p_value * n / double(i + 1));
    out[i].q_value = running;
  }
  return out;
}

}  // namespace seqlift
