// Seqlet similarity: coarse hashed gapped-k-mer cosine to pick candidates, then
// TF-MoDISco's continuous Jaccard on hypothetical + actual contributions.
#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "motifs/modisco_internal.hpp"

namespace seqlift::modisco {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void l1_normalise(float* v, int64_t w, int64_t stride) {
  double s = 0;
  for (int64_t j = 0; j < w; ++j)
    for (int c = 0; c < 4; ++c) s += std::fabs(v[j * stride + c]);
  if (s == 0) return;
  const float inv = static_cast<float>(1.0 / s);
  for (int64_t j = 0; j < w; ++j)
    for (int c = 0; c < 4; ++c) v[j * stride + c] *= inv;
}

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Hashed gapped 3-mers over the `top` most important positions (translation-invariant
// keys: bases and gaps), weighted by their mean sign-adjusted contribution, L2-normalised.
void embed(const float* seq, const float* contrib, int64_t w, int sign, int dims, float* out) {
  constexpr int kTop = 20, kMaxSpan = 15;
  std::vector<std::pair<float, int>> imp;
  for (int64_t j = 0; j < w; ++j) {
    float a = 0;
    for (int c = 0; c < 4; ++c) a += contrib[j * 4 + c];
    a *= static_cast<float>(sign);
    if (a > 0) imp.push_back({a, static_cast<int>(j)});
  }
  const std::size_t top = std::min<std::size_t>(kTop, imp.size());
  std::partial_sort(imp.begin(), imp.begin() + top, imp.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first; });
  imp.resize(top);
  std::sort(imp.begin(), imp.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
  std::vector<int> base(top);
  for (std::size_t i = 0; i < top; ++i) {
    base[i] = 4;
    for (int c = 0; c < 4; ++c)
      if (seq[imp[i].second * 4 + c] > 0.5f) base[i] = c;
  }
  std::fill(out, out + dims, 0.0f);
  for (std::size_t a = 0; a < top; ++a)
    for (std::size_t b = a + 1; b < top && imp[b].second - imp[a].second < kMaxSpan; ++b)
      for (std::size_t c = b + 1; c < top && imp[c].second - imp[a].second < kMaxSpan; ++c) {
        const uint64_t key = uint64_t(base[a]) | uint64_t(base[b]) << 3 | uint64_t(base[c]) << 6 |
                             uint64_t(imp[b].second - imp[a].second) << 9 |
                             uint64_t(imp[c].second - imp[b].second) << 14;
        const uint64_t h = mix(key + 0x9e3779b97f4a7c15ULL);
        const float v = (imp[a].first + imp[b].first + imp[c].first) / 3.0f;
        out[h % dims] += (h >> 63) ? v : -v;
      }
  double n = 0;
  for (int d = 0; d < dims; ++d) n += double(out[d]) * out[d];
  if (n > 0)
    for (int d = 0; d < dims; ++d) out[d] = static_cast<float>(out[d] / std::sqrt(n));
}

// Average ranks (ties share their mean rank).
std::vector<double> ranks(const std::vector<float>& v) {
  std::vector<int> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (std::size_t k = i; k <= j; ++k) r[order[k]] = 0.5 * double(i + j);
    i = j + 1;
  }
  return r;
}

double spearman(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  const auto ra = ranks(a), rb = ranks(b);
  const double n = double(a.size()), mean = (n - 1) / 2;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

void extract(const ModiscoTracks& t, const Seqlet& s, float* seq, float* contrib, float* hyp) {
  const int64_t w = s.end - s.start;
  for (int64_t j = 0; j < w; ++j) {
    const int64_t pos = s.revcomp ? s.end - 1 - j : s.start + j;
    const float* o = t.ohe(s.example, pos);
    const float* h = t.hyp(s.example, pos);
    for (int c = 0; c < 4; ++c) {
      const int src = s.revcomp ? 3 - c : c;
      if (seq) seq[j * 4 + c] = o[src];
      if (contrib) contrib[j * 4 + c] = o[src] * h[src];
      if (hyp) hyp[j * 4 + c] = h[src];
    }
  }
}

void jaccard_features(const ModiscoTracks& t, const Seqlet& s, float* fwd, float* rev) {
  const int64_t w = s.end - s.start;
  std::vector<float> contrib(w * 4), hyp(w * 4);
  extract(t, s, nullptr, contrib.data(), hyp.data());
  for (int64_t j = 0; j < w; ++j)
    for (int c = 0; c < 4; ++c) {
      fwd[j * 8 + c] = hyp[j * 4 + c];
      fwd[j * 8 + 4 + c] = contrib[j * 4 + c];
    }
  l1_normalise(fwd, w, 8);
  l1_normalise(fwd + 4, w, 8);
  if (!rev) return;
  // Reverse complement of the normalised forward features (normalisation commutes).
  for (int64_t j = 0; j < w; ++j)
    for (int c = 0; c < 4; ++c) {
      rev[j * 8 + c] = fwd[(w - 1 - j) * 8 + 3 - c];
      rev[j * 8 + 4 + c] = fwd[(w - 1 - j) * 8 + 4 + 3 - c];
    }
}

float continuous_jaccard(const float* x, const float* y, int64_t n) {
  float mn = 0, mx = 0;
#pragma omp simd reduction(+ : mn, mx)
  for (int64_t i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]), ay = std::fabs(y[i]);
    const float m = ax < ay ? ax : ay;
    mn += (x[i] * y[i] >= 0.0f) ? m : -m;
    mx += ax > ay ? ax : ay;
  }
  return mx > 0 ? mn / mx : 0.0f;
}

float best_sliding_jaccard(const float* x, int64_t wx, const float* y, int64_t wy, int64_t c,
                           int64_t pad, int64_t* offset) {
  // Zero-padded copy of y so that every offset compares wx full columns.
  const int64_t wp = wy + 2 * pad;
  thread_local std::vector<float> ypad;
  ypad.assign(wp * c, 0.0f);
  std::copy_n(y, wy * c, ypad.begin() + pad * c);
  float best = -std::numeric_limits<float>::infinity();
  int64_t best_o = 0;
  for (int64_t idx = 0; idx + wx <= wp; ++idx) {
    const float s = continuous_jaccard(x, ypad.data() + idx * c, wx * c);
    if (s > best) best = s, best_o = idx - pad;
  }
  if (offset) *offset = best_o;
  return best == -std::numeric_limits<float>::infinity() ? 0.0f : best;
}

SparseRows seqlet_similarities(const ModiscoTracks& t, const std::vector<Seqlet>& seqlets, int sign,
                               const ModiscoOptions& o, int64_t keep, double correlation_threshold,
                               std::vector<char>* dropped) {
  const int64_t n = static_cast<int64_t>(seqlets.size());
  SparseRows out;
  if (n == 0) return out;
  const int64_t w = seqlets.front().end - seqlets.front().start, f = w * 8;
  const int dims = o.coarse_dims;
  // Per-seqlet embeddings (both strands) and Jaccard features.
  RowMatrix ef(n, dims), er(n, dims);
  std::vector<float> ff(n * f), fr(n * f);
#pragma omp parallel
  {
    std::vector<float> seq(w * 4), contrib(w * 4);
#pragma omp for schedule(dynamic, 64)
    for (int64_t i = 0; i < n; ++i) {
      Seqlet s = seqlets[i];
      extract(t, s, seq.data(), contrib.data(), nullptr);
      embed(seq.data(), contrib.data(), w, sign, dims, ef.row(i).data());
      s.revcomp = !s.revcomp;
      extract(t, s, seq.data(), contrib.data(), nullptr);
      embed(seq.data(), contrib.data(), w, sign, dims, er.row(i).data());
      jaccard_features(t, seqlets[i], ff.data() + i * f, fr.data() + i * f);
    }
  }
  const int64_t k = std::min<int64_t>(o.neighbors + 1, n);
  keep = std::min(keep, k);
  const int64_t pad = static_cast<int64_t>(std::floor(double(w) * (1 - o.min_overlap) + 1e-9));
  std::vector<int32_t> cols(n * keep, -1);
  std::vector<float> vals(n * keep, 0.0f);
  if (dropped) dropped->assign(n, 0);
  constexpr int64_t kBlock = 64;
#pragma omp parallel
  {
    RowMatrix s1, s2;
    std::vector<int32_t> order(n);
    std::vector<float> coarse(k), fine(k);
#pragma omp for schedule(dynamic, 1)
    for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
      const int64_t rows = std::min(kBlock, n - b0);
      s1.noalias() = ef.middleRows(b0, rows) * ef.transpose();
      s2.noalias() = ef.middleRows(b0, rows) * er.transpose();
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t i = b0 + r;
        const float* a = s1.row(r).data();
        const float* c = s2.row(r).data();
        std::iota(order.begin(), order.end(), 0);
        auto coarse_of = [&](int32_t j) { return j == i ? 2.0f : std::max(a[j], c[j]); };
        std::nth_element(order.begin(), order.begin() + (k - 1), order.end(),
                         [&](int32_t x, int32_t y) { return coarse_of(x) > coarse_of(y); });
        for (int64_t q = 0; q < k; ++q) {
          const int32_t j = order[q];
          coarse[q] = coarse_of(j);
          const float* yi = ff.data() + i * f;
          const float s_f = best_sliding_jaccard(ff.data() + j * f, w, yi, w, 8, pad, nullptr);
          const float s_r = best_sliding_jaccard(fr.data() + j * f, w, yi, w, 8, pad, nullptr);
          fine[q] = std::max(s_f, s_r);
        }
        if (dropped && std::isfinite(correlation_threshold)) {
          std::vector<float> fa, ca;
          for (int64_t q = 0; q < k; ++q)
            if (fine[q] != 0 && order[q] != i) fa.push_back(fine[q]), ca.push_back(coarse[q]);
          const double rho = spearman(fa, ca);
          (*dropped)[i] = !(rho > correlation_threshold);
        }
        // Keep the `keep` most similar by the fine measure.
        std::vector<int64_t> idx(k);
        std::iota(idx.begin(), idx.end(), 0);
        std::partial_sort(idx.begin(), idx.begin() + keep, idx.end(),
                          [&](int64_t x, int64_t y) { return fine[x] > fine[y]; });
        for (int64_t q = 0; q < keep; ++q) {
          cols[i * keep + q] = order[idx[q]];
          vals[i * keep + q] = fine[idx[q]];
        }
      }
    }
  }
  out.row_ptr.resize(n + 1);
  for (int64_t i = 0; i <= n; ++i) out.row_ptr[i] = i * keep;
  out.col = std::move(cols);
  out.value = std::move(vals);
  return out;
}

}  // namespace seqlift::modisco
