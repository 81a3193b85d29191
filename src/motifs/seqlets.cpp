// Seqlet callers on per-base contributions.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "seqlift/error.hpp"
#include "seqlift/motifs.hpp"

namespace seqlift {
namespace {

// tangermeme's recursive caller for positive seqlets of x (see recursive_seqlets).
void recursive_positive(const std::vector<std::vector<float>>& x, const SeqletOptions& o,
                        double sign, std::vector<Seqlet>& out) {
  const int nb = o.bins;
  const int64_t maxl = o.max_len, minl = o.min_len;
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin;
  int64_t m = 0;
  for (const auto& row : x)
    for (float v : row) {
      xmin = std::min(xmin, sign * v);
      xmax = std::max(xmax, sign * v);
      ++m;
    }
  if (m == 0 || !(xmax > xmin)) return;
  const double width = (xmax - xmin) / (nb - 1);
  // Step 1: histogram of per-base scores.
  std::vector<double> f(nb, 0.0);
  for (const auto& row : x)
    for (float v : row)
      f[std::min<int64_t>(nb - 1, static_cast<int64_t>(std::floor((sign * v - xmin) / width)))] +=
          1;
  for (auto& v : f) v /= double(m);
  // Step 2: null distributions of span sums (repeated convolution) and their 1 - CDFs.
  std::vector<std::vector<double>> rcdf(maxl + 1);
  std::vector<double> pmf(f);
  for (int64_t len = 2; len <= maxl; ++len) {
    std::vector<double> next(static_cast<std::size_t>(nb) * len, 0.0);
    for (std::size_t i = 0; i < pmf.size(); ++i) {
      if (pmf[i] == 0) continue;
      for (int j = 0; j < nb; ++j) next[i + j] += pmf[i] * f[j];
    }
    pmf.swap(next);
    auto& r = rcdf[len];
    r.assign(pmf.size(), 0.0);
    r[0] = 1.0;
    for (std::size_t i = 1; i < pmf.size(); ++i) r[i] = std::max(r[i - 1] - pmf[i], 0.0);
  }
  // Steps 3-4 per region: p-values of every span, then decode longest first.
  for (std::size_t ri = 0; ri < x.size(); ++ri) {
    const auto& row = x[ri];
    const int64_t l = static_cast<int64_t>(row.size());
    std::vector<double> csum(l + 1, 0.0);
    for (int64_t j = 0; j < l; ++j) csum[j + 1] = csum[j] + sign * row[j];
    // p[len][start]; lengths below min_len never restrict (p = 0).
    std::vector<std::vector<double>> p(maxl + 1, std::vector<double>(l, 1.0));
    for (int64_t len = 0; len < std::min(minl, maxl + 1); ++len)
      std::fill(p[len].begin(), p[len].end(), 0.0);
    for (int64_t len = std::max<int64_t>(minl, 2); len <= maxl; ++len)
      for (int64_t k = 0; k + len <= l; ++k) {
        const double s = csum[k + len] - csum[k];
        const int64_t bin =
            std::clamp<int64_t>(static_cast<int64_t>(std::floor((s - xmin * len) / width)), 0,
                                static_cast<int64_t>(rcdf[len].size()) - 1);
        p[len][k] = std::max(rcdf[len][bin], p[len - 1][k]);
      }
    for (int64_t len = maxl; len >= minl; --len) {
      if (len > l) continue;
      for (;;) {
        const int64_t start =
            std::min_element(p[len].begin(), p[len].begin() + (l - len + 1)) - p[len].begin();
        const double pv = p[len][start];
        p[len][start] = 1.0;
        if (pv >= o.threshold) break;
        bool nested = true;  // every suffix span must pass too
        for (int64_t k = 1; k < len && nested; ++k) nested = p[len - k][start + k] < o.threshold;
        if (!nested) continue;
        for (int64_t e = start; e < start + len; ++e)
          for (auto& pl : p) pl[e] = 1.0;
        Seqlet s;
        s.region = static_cast<int64_t>(ri);
        s.start = std::max<int64_t>(start - o.flank, 0);
        s.end = std::min(start + len + o.flank, l);
        s.contribution = sign * (csum[start + len] - csum[start]);
        s.p_value = pv;
        out.push_back(s);
      }
    }
  }
}

// Pool-adjacent-violators: non-decreasing fit of y (weights w) ordered by x.
std::vector<double> isotonic_increasing(const std::vector<double>& y,
                                        const std::vector<double>& w) {
  std::vector<double> val, wt;
  std::vector<int64_t> count;
  for (std::size_t i = 0; i < y.size(); ++i) {
    val.push_back(y[i]);
    wt.push_back(w[i]);
    count.push_back(1);
    while (val.size() > 1 && val[val.size() - 2] > val.back()) {
      const double w2 = wt.back() + wt[wt.size() - 2];
      const double v2 = (val.back() * wt.back() + val[val.size() - 2] * wt[wt.size() - 2]) / w2;
      const int64_t c2 = count.back() + count[count.size() - 2];
      val.pop_back();
      wt.pop_back();
      count.pop_back();
      val.back() = v2;
      wt.back() = w2;
      count.back() = c2;
    }
  }
  std::vector<double> fit;
  for (std::size_t b = 0; b < val.size(); ++b) fit.insert(fit.end(), count[b], val[b]);
  return fit;
}

// Smallest |value| at which real window sums are told from the Laplace null with
// precision >= 1 - fdr (TF-MoDISco's isotonic threshold), on magnitudes.
double isotonic_threshold(std::vector<double> real, std::vector<double> null, double fdr) {
  if (real.empty()) return std::numeric_limits<double>::infinity();
  struct P {
    double v;
    double y, w;
  };
  std::vector<P> pts;
  const double w_null = null.empty() ? 1.0 : double(real.size()) / double(null.size());
  for (double v : real) pts.push_back({v, 1.0, 1.0});
  for (double v : null) pts.push_back({v, 0.0, w_null});
  std::sort(pts.begin(), pts.end(), [](const P& a, const P& b) { return a.v < b.v; });
  std::vector<double> y, w;
  for (const auto& q : pts) y.push_back(q.y), w.push_back(q.w);
  const auto fit = isotonic_increasing(y, w);
  const double min_prec = std::max(fit.front(), 1e-7);
  double frac_neg = -1.0 / (1.0 - 1.0 / min_prec);
  if (frac_neg > 1.0 || frac_neg < 0.95) frac_neg = std::clamp(frac_neg, 0.95, 1.0);
  for (std::size_t i = 0; i < pts.size(); ++i) {
    if (pts[i].y != 1.0) continue;
    const double prec = std::clamp(1.0 + frac_neg * (1.0 - 1.0 / std::max(fit[i], 1e-7)), 0.0, 1.0);
    if (prec >= 1.0 - fdr) return pts[i].v;
  }
  return pts.back().v;
}

}  // namespace

std::vector<Seqlet> recursive_seqlets(const std::vector<std::vector<float>>& x,
                                      const SeqletOptions& o) {
  if (o.min_len < 1 || o.max_len < o.min_len)
    throw UsageError("--min-len must be >= 1 and <= --max-len");
  if (o.threshold <= 0 || o.threshold >= 1) throw UsageError("--threshold must be in (0, 1)");
  if (o.sign != "both" && o.sign != "positive" && o.sign != "negative")
    throw UsageError("--sign must be both, positive or negative (got '" + o.sign + "')");
  std::vector<Seqlet> out;
  if (o.sign != "negative") recursive_positive(x, o, 1.0, out);
  if (o.sign != "positive") recursive_positive(x, o, -1.0, out);
  std::sort(out.begin(), out.end(), [](const Seqlet& a, const Seqlet& b) {
    return a.region != b.region ? a.region < b.region : a.start < b.start;
  });
  return out;
}

std::vector<Seqlet> laplace_seqlets(const std::vector<std::vector<float>>& x,
                                    const SeqletOptions& o) {
  if (o.sign != "both" && o.sign != "positive" && o.sign != "negative")
    throw UsageError("--sign must be both, positive or negative (got '" + o.sign + "')");
  const int64_t w = o.max_len, flank = o.flank;
  std::vector<std::vector<double>> sums(x.size());
  std::vector<double> all;
  for (std::size_t r = 0; r < x.size(); ++r) {
    const auto& row = x[r];
    double s = 0;
    for (int64_t j = 0; j < static_cast<int64_t>(row.size()); ++j) {
      s += row[j];
      if (j >= w) s -= row[j - w];
      if (j >= w - 1) sums[r].push_back(s);
    }
    all.insert(all.end(), sums[r].begin(), sums[r].end());
  }
  if (all.empty()) return {};
  // Laplace null centred at the mode of the window sums.
  const auto [lo_it, hi_it] = std::minmax_element(all.begin(), all.end());
  const double lo = *lo_it, hi = *hi_it, bw = (hi - lo) / 1000 + 1e-30;
  std::vector<int64_t> hist(1001, 0);
  for (double v : all) ++hist[static_cast<int64_t>((v - lo) / bw)];
  const double mu = lo + (std::max_element(hist.begin(), hist.end()) - hist.begin() + 0.5) * bw;
  std::vector<double> pos, neg;
  for (double v : all) (v >= mu ? pos : neg).push_back(v);
  auto quantile = [](std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[static_cast<std::size_t>(q * (v.size() - 1))];
  };
  double pos_lambda = 0, neg_lambda = 0;
  for (int i = 1; i < 19; ++i) {
    const double q = i * 0.05, lq = -std::log(1 - q);
    const double pq = quantile(pos, q) - mu, nq = std::fabs(quantile(neg, 1 - q) - mu);
    if (pq > 0) pos_lambda = std::max(pos_lambda, lq / pq);
    if (nq > 0) neg_lambda = std::max(neg_lambda, lq / nq);
  }
  std::mt19937 rng(1234);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> null_pos, null_neg;
  const double prob_pos = double(pos.size()) / double(all.size());
  for (int i = 0; i < 10000; ++i) {
    const double a = u(rng), icdf = std::log(1 - u(rng));
    const double v = a < prob_pos ? (pos_lambda > 0 ? -icdf / pos_lambda + mu : mu)
                                  : (neg_lambda > 0 ? mu + icdf / neg_lambda : mu);
    (v >= 0 ? null_pos : null_neg).push_back(v);
  }
  std::vector<double> real_pos, real_neg;
  for (double v : all) (v >= 0 ? real_pos : real_neg).push_back(std::fabs(v));
  for (auto& v : null_neg) v = std::fabs(v);
  double pos_t = isotonic_threshold(real_pos, null_pos, o.threshold);
  double neg_t = isotonic_threshold(real_neg, null_neg, o.threshold);
  std::vector<double> mags;
  for (double v : all) mags.push_back(std::fabs(v));
  int64_t passing = 0;
  for (double v : all) passing += (v >= pos_t || -v >= neg_t);
  const double frac = double(passing) / double(all.size());
  if (frac < 0.03 || frac > 0.2) pos_t = neg_t = quantile(mags, frac < 0.03 ? 0.97 : 0.8);
  // Greedy: strongest passing window first, suppressing its neighbourhood.
  std::vector<Seqlet> out;
  const int64_t suppress = w / 2 + flank;
  for (std::size_t r = 0; r < sums.size(); ++r) {
    std::vector<double> s(sums[r].size());
    for (std::size_t j = 0; j < s.size(); ++j) {
      const double v = sums[r][j];
      const bool keep = (v >= pos_t || -v >= neg_t) && static_cast<int64_t>(j) >= flank &&
                        static_cast<int64_t>(j) + w + flank <= static_cast<int64_t>(x[r].size());
      s[j] = keep ? std::fabs(v) : -std::numeric_limits<double>::infinity();
    }
    for (;;) {
      const auto it = std::max_element(s.begin(), s.end());
      if (it == s.end() || *it == -std::numeric_limits<double>::infinity()) break;
      const int64_t at = it - s.begin();
      Seqlet q;
      q.region = static_cast<int64_t>(r);
      q.start = at - flank;
      q.end = at + w + flank;
      q.contribution = sums[r][at];
      q.p_value = 0;
      out.push_back(q);
      for (int64_t j = std::max<int64_t>(0, at - suppress);
           j < std::min<int64_t>(s.size(), at + suppress + 1); ++j)
        s[j] = -std::numeric_limits<double>::infinity();
    }
  }
  if (o.sign != "both")
    out.erase(std::remove_if(out.begin(), out.end(),
                             [&](const Seqlet& q) {
                               return o.sign == "positive" ? q.contribution <= 0
                                                           : q.contribution >= 0;
                             }),
              out.end());
  std::sort(out.begin(), out.end(), [](const Seqlet& a, const Seqlet& b) {
    return a.region != b.region ? a.region < b.region : a.start < b.start;
  });
  return out;
}

}  // namespace seqlift
