// Patterns: aggregation of clustered seqlets (aligned one by one to the growing pattern),
// polishing (flanks, information-content trimming), merging of similar patterns and
// Leiden subclustering.
#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <tuple>

#include "motifs/modisco_internal.hpp"

namespace seqlift::modisco {
namespace {

using Key = std::tuple<int64_t, int64_t, int64_t>;
Key key_of(const Seqlet& s) {
  return {s.example, s.start, s.end};
}

// Running sums of a pattern under construction.
struct Builder {
  const ModiscoTracks* t;
  int64_t width;
  std::vector<Seqlet> seqlets;
  std::set<Key> keys;
  std::vector<double> seq, contrib, hyp;
  std::vector<float> s, c, h;
  Builder(const ModiscoTracks& tracks, int64_t w)
      : t(&tracks),
        width(w),
        seq(w * 4),
        contrib(w * 4),
        hyp(w * 4),
        s(w * 4),
        c(w * 4),
        h(w * 4) {}
  void add(const Seqlet& q) {
    if (!keys.insert(key_of(q)).second) return;
    seqlets.push_back(q);
    extract(*t, q, s.data(), c.data(), h.data());
    for (int64_t i = 0; i < width * 4; ++i) seq[i] += s[i], contrib[i] += c[i], hyp[i] += h[i];
  }
  Pattern finish() const {
    Pattern p;
    p.seqlets = seqlets;
    p.width = width;
    const double inv = seqlets.empty() ? 0.0 : 1.0 / double(seqlets.size());
    p.seq = seq, p.contrib = contrib, p.hyp = hyp;
    for (int64_t i = 0; i < width * 4; ++i) p.seq[i] *= inv, p.contrib[i] *= inv, p.hyp[i] *= inv;
    return p;
  }
};

// The seqlet moved so that it covers `left` more bases before and `right` after (in its
// own orientation); nullopt when it would leave the example.
std::optional<Seqlet> widen(const ModiscoTracks& t, Seqlet s, int64_t left, int64_t right) {
  if (s.revcomp) std::swap(left, right);
  s.start -= left;
  s.end += right;
  if (s.start < 0 || s.end > t.length || s.end <= s.start) return std::nullopt;
  return s;
}

std::optional<Pattern> expand(const ModiscoTracks& t, const Pattern& p, int64_t left,
                              int64_t right) {
  Builder b(t, p.width + left + right);
  for (const auto& s : p.seqlets)
    if (auto q = widen(t, s, left, right)) b.add(*q);
  if (b.seqlets.empty()) return std::nullopt;
  return b.finish();
}

Pattern trim(const ModiscoTracks& t, const Pattern& p, int64_t from, int64_t to) {
  return *expand(t, p, -from, -(p.width - to));
}

void l1(std::vector<float>& v, int64_t w, int64_t stride, int64_t first) {
  double s = 0;
  for (int64_t j = 0; j < w; ++j)
    for (int c = 0; c < 4; ++c) s += std::fabs(v[j * stride + first + c]);
  if (s > 0)
    for (int64_t j = 0; j < w; ++j)
      for (int c = 0; c < 4; ++c) v[j * stride + first + c] = float(v[j * stride + first + c] / s);
}

std::vector<float> magnitude(std::vector<float> v) {
  double mean = 0, norm = 0;
  for (float x : v) mean += x;
  mean /= double(std::max<std::size_t>(v.size(), 1));
  for (float& x : v) x = float(x - mean), norm += double(x) * x;
  norm = std::sqrt(norm) + 1e-7;
  for (float& x : v) x = float(x / norm);
  return v;
}

std::vector<float> revcomp4(const std::vector<float>& v) {
  const int64_t w = static_cast<int64_t>(v.size()) / 4;
  std::vector<float> r(v.size());
  for (int64_t j = 0; j < w; ++j)
    for (int c = 0; c < 4; ++c) r[j * 4 + c] = v[(w - 1 - j) * 4 + 3 - c];
  return r;
}

enum class Metric { kJaccard, kPearson };

// Representation used to align: Jaccard on l1 [hyp | contrib], Pearson on the centred,
// normalised CWM.
std::vector<float> repr(const std::vector<float>& contrib, const std::vector<float>& hyp,
                        Metric m) {
  const int64_t w = static_cast<int64_t>(contrib.size()) / 4;
  if (m == Metric::kPearson) return magnitude(contrib);
  std::vector<float> f(w * 8);
  for (int64_t j = 0; j < w; ++j)
    for (int c = 0; c < 4; ++c)
      f[j * 8 + c] = hyp[j * 4 + c], f[j * 8 + 4 + c] = contrib[j * 4 + c];
  l1(f, w, 8, 0);
  l1(f, w, 8, 4);
  return f;
}

float best_cosine(const std::vector<float>& x, const std::vector<float>& y, int64_t pad,
                  int64_t* offset) {
  const int64_t wx = x.size() / 4, wy = y.size() / 4, wp = wy + 2 * pad;
  std::vector<float> yp(wp * 4, 0.0f);
  std::copy(y.begin(), y.end(), yp.begin() + pad * 4);
  double nx = 0;
  for (float v : x) nx += double(v) * v;
  float best = -2;
  *offset = 0;
  for (int64_t idx = 0; idx + wx <= wp; ++idx) {
    double dot = 0, ny = 0;
    for (int64_t i = 0; i < wx * 4; ++i)
      dot += double(x[i]) * yp[idx * 4 + i], ny += double(yp[idx * 4 + i]) * yp[idx * 4 + i];
    const float s = nx > 0 && ny > 0 ? float(dot / std::sqrt(nx * ny)) : 0.0f;
    if (s > best) best = s, *offset = idx - pad;
  }
  return best;
}

struct Alignment {
  int64_t offset = 0;
  bool rc = false;
  float score = 0;
};

// Aligns `child` (its own contrib/hyp) to `parent`: child column 0 at parent column offset.
Alignment align(const std::vector<float>& pc, const std::vector<float>& ph,
                const std::vector<float>& cc, const std::vector<float>& ch, Metric m,
                double min_overlap) {
  const int64_t wc = cc.size() / 4, wp = pc.size() / 4;
  const int64_t pad = static_cast<int64_t>(std::ceil(double(wc) * (1 - min_overlap) - 1e-9));
  const auto parent = repr(pc, ph, m);
  const auto fwd = repr(cc, ch, m), rev = repr(revcomp4(cc), revcomp4(ch), m);
  Alignment a, b;
  b.rc = true;
  if (m == Metric::kJaccard) {
    a.score = best_sliding_jaccard(fwd.data(), wc, parent.data(), wp, 8, pad, &a.offset);
    b.score = best_sliding_jaccard(rev.data(), wc, parent.data(), wp, 8, pad, &b.offset);
  } else {
    a.score = best_cosine(fwd, parent, pad, &a.offset);
    b.score = best_cosine(rev, parent, pad, &b.offset);
  }
  return b.score > a.score ? b : a;
}

std::vector<float> to_float(const std::vector<double>& v) {
  return {v.begin(), v.end()};
}

// TF-MoDISco's merge_in_seqlets_filledges: each seqlet is aligned to the current pattern,
// widened to cover it, and the pattern widened when the seqlet overhangs.
Pattern merge_in(const ModiscoTracks& t, const Pattern& start, const std::vector<Seqlet>& add,
                 Metric m, double min_overlap) {
  Builder b(t, start.width);
  for (const auto& s : start.seqlets) b.add(s);
  std::vector<float> cc, ch;
  for (Seqlet s : add) {
    const int64_t wc = s.end - s.start;
    cc.resize(wc * 4), ch.resize(wc * 4);
    extract(t, s, nullptr, cc.data(), ch.data());
    const double inv = 1.0 / double(b.seqlets.size());
    std::vector<float> mc(b.contrib.size()), mh(b.hyp.size());
    for (std::size_t i = 0; i < mc.size(); ++i)
      mc[i] = float(b.contrib[i] * inv), mh[i] = float(b.hyp[i] * inv);
    const Alignment a = align(mc, mh, cc, ch, m, min_overlap);
    if (a.rc) s.revcomp = !s.revcomp;
    const int64_t width = b.width;
    const auto widened =
        widen(t, s, std::max<int64_t>(a.offset, 0), std::max<int64_t>(width - (a.offset + wc), 0));
    if (!widened) continue;
    const int64_t pl = std::max<int64_t>(0, -a.offset);
    const int64_t pr = std::max<int64_t>(0, a.offset + wc - width);
    if (pl > 0 || pr > 0) {
      auto grown = expand(t, b.finish(), pl, pr);
      if (!grown) continue;
      b = Builder(t, grown->width);
      for (const auto& q : grown->seqlets) b.add(q);
    }
    b.add(*widened);
  }
  return b.finish();
}

std::optional<Pattern> polish(const ModiscoTracks& t, const Pattern& p, const ModiscoOptions& o,
                              const std::vector<double>& bg) {
  auto e = expand(t, p, o.initial_flank, o.initial_flank);
  if (!e) return std::nullopt;
  const auto ic = information_content(e->seq, bg, 0.001);
  const int64_t win = std::min<int64_t>(o.trim_window, e->width);
  double sum = 0, best = -1;
  int64_t at = 0;
  for (int64_t j = 0; j < e->width; ++j) {
    sum += ic[j];
    if (j >= win) sum -= ic[j - win];
    if (j >= win - 1 && sum > best) best = sum, at = j - win + 1;
  }
  const Pattern trimmed = trim(t, *e, at, at + win);
  return expand(t, trimmed, o.initial_flank, o.initial_flank);
}

double total_contrib(const Pattern& p) {
  return std::accumulate(p.contrib.begin(), p.contrib.end(), 0.0);
}

std::vector<float> features_of(const ModiscoTracks& t, const std::vector<Seqlet>& s, int64_t w) {
  std::vector<float> f(s.size() * w * 8);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) {
    Seqlet q = s[i];
    q.end = q.start + w;  // a common width (prefix in the seqlet's orientation)
    if (q.revcomp) q.start = s[i].end - w, q.end = s[i].end;
    jaccard_features(t, q, f.data() + i * w * 8, nullptr);
  }
  return f;
}

// Probability that a within-pattern similarity exceeds a between-pattern one.
double auroc(std::vector<float> between, std::vector<float> within) {
  std::vector<std::pair<float, int>> all;
  for (float v : between) all.push_back({v, 0});
  for (float v : within) all.push_back({v, 1});
  std::sort(all.begin(), all.end());
  double rank_sum = 0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j + 1 < all.size() && all[j + 1].first == all[i].first) ++j;
    const double r = 0.5 * double(i + j) + 1;
    for (std::size_t k = i; k <= j; ++k)
      if (all[k].second == 1) rank_sum += r;
    i = j + 1;
  }
  const double n1 = double(within.size()), n0 = double(between.size());
  if (n1 == 0 || n0 == 0) return 0.5;
  return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0);
}

using PatternPtr = std::shared_ptr<Pattern>;

std::vector<Seqlet> subsample(const std::vector<Seqlet>& s, int64_t max) {
  if (static_cast<int64_t>(s.size()) <= max) return s;
  std::vector<Seqlet> v = s;
  std::mt19937 rng(1234);
  std::shuffle(v.begin(), v.end(), rng);
  v.resize(max);
  return v;
}

// TF-MoDISco's SimilarPatternsCollapser: merge the most similar pairs (aligned CWM cosine
// and cross-contamination of their seqlets) unless a pair in the merged group forbids it.
std::vector<Pattern> collapse(const ModiscoTracks& t, std::vector<Pattern> input,
                              const ModiscoOptions& o, const std::vector<double>& bg) {
  static const double kMerge[][2] = {{0.8, 0.8}, {0.5, 0.85}, {0.2, 0.9}};
  static const double kBreak[][2] = {{0.4, 0.75}, {0.2, 0.8}, {0.1, 0.85}, {0.0, 0.9}};
  std::vector<PatternPtr> pats;
  for (auto& p : input) pats.push_back(std::make_shared<Pattern>(std::move(p)));
  for (;;) {
    const std::size_t n = pats.size();
    std::vector<std::vector<Seqlet>> sub(n);
    for (std::size_t i = 0; i < n; ++i) sub[i] = subsample(pats[i]->seqlets, o.merging_subsample);
    std::vector<Alignment> al(n * n);
    std::vector<double> sim(n * n, 1.0), cc(n * n, -1.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        if (i != j) {
          al[i * n + j] = align(to_float(pats[i]->contrib), {}, to_float(pats[j]->contrib), {},
                                Metric::kPearson, o.min_overlap);
        }
    auto aligner_sim = [&](std::size_t i, std::size_t j) {
      return i == j ? 1.0 : 0.5 * (al[i * n + j].score + al[j * n + i].score);
    };
    // Cross-contamination of j's seqlets (aligned into i's frame) with i's, on demand.
    auto contamination = [&](std::size_t i, std::size_t j) {
      double& v = cc[i * n + j];
      if (v >= 0) return v;
      if (i == j) return v = 1.0;
      const Alignment& a = al[i * n + j];
      std::vector<Seqlet> moved;
      for (Seqlet s : sub[j]) {
        if (a.rc) s.revcomp = !s.revcomp;
        const int64_t shift = (s.revcomp ? 1 : -1) * a.offset;
        s.start += shift, s.end += shift;
        if (s.start >= 0 && s.end <= t.length) moved.push_back(s);
      }
      if (moved.empty()) return v = 1.0;
      const int64_t w = std::min(pats[i]->width, pats[j]->width), f = w * 8;
      const auto fi = features_of(t, sub[i], w), fj = features_of(t, moved, w);
      const int64_t ni = sub[i].size(), nj = moved.size();
      std::vector<float> between(ni * nj), within(ni * ni);
#pragma omp parallel for schedule(static)
      for (int64_t x = 0; x < ni; ++x) {
        for (int64_t y = 0; y < nj; ++y)
          between[x * nj + y] = continuous_jaccard(fi.data() + x * f, fj.data() + y * f, f);
        for (int64_t y = 0; y < ni; ++y)
          within[x * ni + y] = continuous_jaccard(fi.data() + x * f, fi.data() + y * f, f);
      }
      return v = 2 * (1 - std::max(auroc(between, within), 0.5));
    };
    std::vector<std::tuple<double, std::size_t, std::size_t>> pairs;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j) pairs.push_back({-aligner_sim(i, j), i, j});
    std::sort(pairs.begin(), pairs.end());
    std::vector<std::set<std::size_t>> partners(n);
    for (std::size_t i = 0; i < n; ++i) partners[i] = {i};
    std::vector<std::pair<std::size_t, std::size_t>> merges;
    for (const auto& [neg_sim, i, j] : pairs) {
      const double s = -neg_sim;
      if (s < 0.8) break;  // no merge threshold accepts less
      const double c = std::min(contamination(i, j), contamination(j, i));
      bool go = false;
      for (const auto& th : kMerge) go |= c >= th[0] && s >= th[1];
      if (!go) continue;
      std::set<std::size_t> group = partners[i];
      group.insert(partners[j].begin(), partners[j].end());
      for (auto m1 = group.begin(); go && m1 != group.end(); ++m1)
        for (auto m2 = std::next(m1); go && m2 != group.end(); ++m2) {
          const double ch = 0.5 * (contamination(*m1, *m2) + contamination(*m2, *m1));
          const double sh = aligner_sim(*m1, *m2);
          for (const auto& th : kBreak)
            if (ch <= th[0] && sh <= th[1]) go = false;
        }
      if (!go) continue;
      merges.push_back({i, j});
      for (std::size_t m : group) partners[m] = group;
    }
    if (merges.empty()) break;
    for (const auto& [i, j] : merges) {
      PatternPtr a = pats[i], b = pats[j];
      if (a == b) continue;
      if (a->seqlets.size() < b->seqlets.size()) std::swap(a, b);
      const Pattern merged = merge_in(t, *a, b->seqlets, Metric::kPearson, o.min_overlap);
      auto polished = polish(t, merged, o, bg);
      if (!polished) continue;
      auto np = std::make_shared<Pattern>(std::move(*polished));
      for (auto& p : pats)
        if (p == a || p == b) p = np;
    }
    std::vector<PatternPtr> unique;
    for (auto& p : pats)
      if (std::find(unique.begin(), unique.end(), p) == unique.end()) unique.push_back(p);
    std::stable_sort(unique.begin(), unique.end(), [](const PatternPtr& x, const PatternPtr& y) {
      return x->seqlets.size() > y->seqlets.size();
    });
    pats = std::move(unique);
  }
  std::vector<Pattern> out;
  for (auto& p : pats) out.push_back(std::move(*p));
  return out;
}

}  // namespace

std::vector<double> information_content(const std::vector<double>& ppm,
                                        const std::vector<double>& bg, double pseudocount) {
  const int64_t w = static_cast<int64_t>(ppm.size()) / 4;
  std::vector<double> ic(w, 0.0);
  for (int64_t j = 0; j < w; ++j) {
    double tot = 0;
    for (int c = 0; c < 4; ++c) tot += ppm[j * 4 + c];
    for (int c = 0; c < 4; ++c) {
      const double p = tot > 0 ? ppm[j * 4 + c] / tot : 0.0;
      ic[j] += std::log2((p + pseudocount) / (1 + pseudocount * 4)) * p - std::log2(bg[c]) * bg[c];
    }
  }
  return ic;
}

Pattern make_pattern(const ModiscoTracks& t, std::vector<Seqlet> seqlets) {
  Builder b(t, seqlets.empty() ? 0 : seqlets.front().end - seqlets.front().start);
  for (const auto& s : seqlets) b.add(s);
  return b.finish();
}

std::vector<Pattern> patterns_from_clusters(const ModiscoTracks& t,
                                            const std::vector<Seqlet>& seqlets,
                                            const std::vector<int>& clusters, int sign,
                                            const ModiscoOptions& o,
                                            const std::vector<double>& bg) {
  const int n_clusters =
      clusters.empty() ? 0 : *std::max_element(clusters.begin(), clusters.end()) + 1;
  std::vector<std::vector<std::pair<double, Seqlet>>> members(n_clusters);
  const int64_t w = seqlets.empty() ? 0 : seqlets.front().end - seqlets.front().start;
  std::vector<float> c(w * 4);
  for (std::size_t i = 0; i < seqlets.size(); ++i) {
    extract(t, seqlets[i], nullptr, c.data(), nullptr);
    double a = 0;
    for (float v : c) a += std::fabs(v);
    members[clusters[i]].push_back({-a, seqlets[i]});
  }
  std::vector<std::optional<Pattern>> built(n_clusters);
#pragma omp parallel for schedule(dynamic, 1)
  for (int k = 0; k < n_clusters; ++k) {
    auto& m = members[k];
    std::stable_sort(m.begin(), m.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Seqlet> rest;
    for (std::size_t i = 1; i < m.size(); ++i) rest.push_back(m[i].second);
    const Pattern merged =
        merge_in(t, make_pattern(t, {m[0].second}), rest, Metric::kJaccard, o.min_overlap);
    auto p = polish(t, merged, o, bg);
    if (p && (total_contrib(*p) > 0 ? 1 : -1) == sign) built[k] = std::move(p);
  }
  std::vector<Pattern> out;
  for (auto& p : built)
    if (p) out.push_back(std::move(*p));
  return out;
}

std::vector<Pattern> subpatterns(const ModiscoTracks& t, const Pattern& p,
                                 const ModiscoOptions& o) {
  const int64_t n = static_cast<int64_t>(p.seqlets.size()), f = p.width * 8;
  if (n < 2) return {};
  const auto feats = features_of(t, p.seqlets, p.width);
  const int64_t k = std::min<int64_t>(static_cast<int64_t>(o.subcluster_perplexity * 3 + 2), n);
  SparseRows sims;
  sims.row_ptr.resize(n + 1);
  sims.col.assign(n * k, -1);
  sims.value.assign(n * k, 0.0f);
  for (int64_t i = 0; i <= n; ++i) sims.row_ptr[i] = i * k;
#pragma omp parallel
  {
    std::vector<float> row(n);
    std::vector<int32_t> order(n);
#pragma omp for schedule(dynamic, 16)
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j)
        row[j] = continuous_jaccard(feats.data() + i * f, feats.data() + j * f, f);
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + k, order.end(),
                        [&](int32_t a, int32_t b) { return row[a] > row[b]; });
      for (int64_t q = 0; q < k; ++q) {
        sims.col[i * k + q] = order[q];
        sims.value[i * k + q] = row[order[q]];
      }
    }
  }
  const auto clusters = leiden_clusters(tsne_graph(sims, o.subcluster_perplexity), o.leiden_runs);
  const int nc = *std::max_element(clusters.begin(), clusters.end()) + 1;
  std::vector<std::vector<Seqlet>> groups(nc);
  for (int64_t i = 0; i < n; ++i) groups[clusters[i]].push_back(p.seqlets[i]);
  std::vector<Pattern> out;
  for (auto& g : groups) out.push_back(make_pattern(t, g));
  return out;  // clusters are numbered by decreasing size
}

std::vector<Pattern> merge_patterns(const ModiscoTracks& t, std::vector<Pattern> patterns,
                                    const ModiscoOptions& o, const std::vector<double>& bg) {
  const std::size_t min_in_sub =
      static_cast<std::size_t>(std::max<double>(o.final_min_seqlets, o.subcluster_perplexity));
  std::vector<Pattern> refined;
  for (auto& p : patterns) {
    if (p.seqlets.size() > min_in_sub) {
      auto split = collapse(t, subpatterns(t, p, o), o, bg);
      for (auto& s : split) refined.push_back(std::move(s));
    } else {
      refined.push_back(std::move(p));
    }
  }
  return collapse(t, std::move(refined), o, bg);
}

}  // namespace seqlift::modisco
