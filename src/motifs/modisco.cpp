// TF-MoDISco's pipeline: seqlets -> per-sign metaclusters -> two rounds of similarity,
// density adaptation, Leiden and pattern aggregation -> merging -> filtering ->
// subpatterns.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "motifs/modisco_internal.hpp"
#include "seqlift/error.hpp"
#include "seqlift/log.hpp"
#include "seqlift/motifs.hpp"

namespace seqlift {
namespace {

using modisco::Pattern;
using MSeqlet = modisco::Seqlet;

std::string fmt_time() {
  std::ostringstream s;
  s.precision(3);
  s << elapsed_seconds() << " s";
  return s.str();
}

ModiscoPattern to_public(const Pattern& p) {
  ModiscoPattern q;
  q.seqlets = p.seqlets;
  for (int64_t j = 0; j < p.width; ++j) {
    std::array<double, 4> s{}, c{}, h{};
    for (int k = 0; k < 4; ++k)
      s[k] = p.seq[j * 4 + k], c[k] = p.contrib[j * 4 + k], h[k] = p.hyp[j * 4 + k];
    q.sequence.push_back(s);
    q.contrib.push_back(c);
    q.hypothetical.push_back(h);
  }
  return q;
}

// Rows and columns of `sims` restricted to the seqlets not dropped.
modisco::SparseRows keep_rows(const modisco::SparseRows& sims, const std::vector<char>& dropped) {
  std::vector<int32_t> new_index(dropped.size(), -1);
  int32_t next = 0;
  for (std::size_t i = 0; i < dropped.size(); ++i)
    if (!dropped[i]) new_index[i] = next++;
  modisco::SparseRows out;
  for (std::size_t i = 0; i < dropped.size(); ++i) {
    if (dropped[i]) continue;
    for (int64_t q = sims.row_ptr[i]; q < sims.row_ptr[i + 1]; ++q) {
      const int32_t j = sims.col[q];
      if (j < 0 || new_index[j] < 0) continue;
      out.col.push_back(new_index[j]);
      out.value.push_back(sims.value[q]);
    }
    out.row_ptr.push_back(static_cast<int64_t>(out.col.size()));
  }
  return out;
}

std::vector<ModiscoPattern> metacluster(const ModiscoTracks& t, std::vector<MSeqlet> seqlets,
                                        int sign, const ModiscoOptions& o) {
  const char* name = sign > 0 ? "positive" : "negative";
  // Background: base frequencies over the metacluster's seqlets.
  std::vector<double> bg(4, 0.0);
  {
    const int64_t w = seqlets.front().end - seqlets.front().start;
    std::vector<float> s(w * 4);
    double tot = 0;
    for (const auto& q : seqlets) {
      modisco::extract(t, q, s.data(), nullptr, nullptr);
      for (int64_t i = 0; i < w * 4; ++i) bg[i % 4] += s[i], tot += s[i];
    }
    for (auto& b : bg) b = tot > 0 ? std::max(b / tot, 1e-6) : 0.25;
  }
  // Neighbours kept per seqlet: all `neighbors` while the graph stays under ~5M edges,
  // fewer (never under 50) beyond, so memory grows linearly with the seqlets.
  const int64_t keep = std::max<int64_t>(
      50, std::min<int64_t>(o.neighbors + 1, 5000000 / static_cast<int64_t>(seqlets.size())));
  std::vector<Pattern> patterns;
  for (int round = 0; round < 2 && !seqlets.empty(); ++round) {
    std::vector<char> dropped;
    auto sims = modisco::seqlet_similarities(
        t, seqlets, sign, o, keep,
        round == 0 ? o.correlation_threshold : std::numeric_limits<double>::infinity(), &dropped);
    if (round == 0) {
      sims = keep_rows(sims, dropped);
      std::vector<MSeqlet> kept;
      for (std::size_t i = 0; i < seqlets.size(); ++i)
        if (!dropped[i]) kept.push_back(seqlets[i]);
      seqlets = std::move(kept);
    }
    log_info(std::string("modisco: ") + name + " round " + std::to_string(round + 1) + ": " +
             std::to_string(seqlets.size()) + " seqlets, similarities done at " + fmt_time());
    if (seqlets.empty()) break;
    const auto graph = modisco::density_adapted_graph(sims, o.perplexity);
    sims = {};
    const auto clusters = modisco::leiden_clusters(graph, o.leiden_runs);
    patterns = modisco::patterns_from_clusters(t, seqlets, clusters, sign, o, bg);
    log_info(std::string("modisco: ") + name + " round " + std::to_string(round + 1) + ": " +
             std::to_string(*std::max_element(clusters.begin(), clusters.end()) + 1) +
             " clusters, " + std::to_string(patterns.size()) + " patterns at " + fmt_time());
    // The next round clusters the patterns' (aligned, widened) seqlets.
    std::map<std::tuple<int64_t, int64_t, int64_t>, std::size_t> at;
    std::vector<MSeqlet> next;
    for (const auto& p : patterns)
      for (const auto& s : p.seqlets) {
        const auto key = std::make_tuple(s.example, s.start, s.end);
        auto it = at.find(key);
        if (it == at.end())
          at[key] = next.size(), next.push_back(s);
        else
          next[it->second] = s;
      }
    seqlets = std::move(next);
  }
  patterns = modisco::merge_patterns(t, std::move(patterns), o, bg);
  std::stable_sort(patterns.begin(), patterns.end(), [](const Pattern& a, const Pattern& b) {
    return a.seqlets.size() > b.seqlets.size();
  });
  std::vector<ModiscoPattern> out;
  for (const auto& p : patterns) {
    if (static_cast<int64_t>(p.seqlets.size()) < o.final_min_seqlets) continue;
    const auto ic = modisco::information_content(p.seq, bg, 0.001);
    double best = 0, sum = 0;
    const int64_t win = std::min<int64_t>(o.ic_window, p.width);
    for (int64_t j = 0; j < p.width; ++j) {
      sum += ic[j];
      if (j >= win) sum -= ic[j - win];
      if (j >= win - 1) best = std::max(best, sum);
    }
    if (best < o.min_ic) continue;
    Pattern final = p;
    if (o.final_flank > 0) {
      std::vector<MSeqlet> wide;
      for (MSeqlet s : p.seqlets) {
        s.start -= o.final_flank, s.end += o.final_flank;
        if (s.start >= 0 && s.end <= t.length) wide.push_back(s);
      }
      if (wide.empty()) continue;
      final = modisco::make_pattern(t, wide);
    }
    ModiscoPattern q = to_public(final);
    for (const auto& sp : modisco::subpatterns(t, final, o)) q.subpatterns.push_back(to_public(sp));
    out.push_back(std::move(q));
  }
  log_info(std::string("modisco: ") + name + ": " + std::to_string(out.size()) +
           " patterns after merging and filtering at " + fmt_time());
  return out;
}

}  // namespace

ModiscoTracks crop_tracks(const ModiscoTracks& t, int64_t window) {
  if (window <= 0 || window >= t.length) return t;
  ModiscoTracks c;
  c.n = t.n;
  c.length = window;
  const int64_t from = t.length / 2 - window / 2;
  for (int64_t i = 0; i < t.n; ++i) {
    c.one_hot.insert(c.one_hot.end(), t.ohe(i, from), t.ohe(i, from) + window * 4);
    c.hypothetical.insert(c.hypothetical.end(), t.hyp(i, from), t.hyp(i, from) + window * 4);
  }
  c.names = t.names, c.chroms = t.chroms, c.starts = t.starts;
  for (auto& s : c.starts) s += from;
  return c;
}

void ModiscoOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw UsageError(what);
  };
  need(window >= 0, "--window must be >= 0 (0 = whole example)");
  need(core >= 4, "--core must be >= 4");
  need(flank >= 0, "--flank must be >= 0");
  need(fdr > 0 && fdr < 1, "--fdr must be in (0, 1)");
  need(max_seqlets >= 1, "--max-seqlets must be >= 1");
  need(neighbors >= 1, "--neighbors must be >= 1");
  need(coarse_dims >= 8, "coarse embedding needs >= 8 dimensions");
  need(min_overlap > 0 && min_overlap <= 1, "--min-overlap must be in (0, 1]");
  need(perplexity > 1, "--perplexity must be > 1");
  need(leiden_runs >= 1, "--leiden-runs must be >= 1");
  need(trim_window >= 1, "--trim-window must be >= 1");
  need(initial_flank >= 0 && final_flank >= 0, "flanks must be >= 0");
  need(threads >= 0, "--threads must be >= 0");
}

ModiscoResult discover_patterns(const ModiscoTracks& full, const ModiscoOptions& o) {
  o.validate();
  if (o.threads > 0) omp_set_num_threads(o.threads);
  ModiscoTracks cropped;
  const bool crops = o.window > 0 && o.window < full.length;
  if (crops) cropped = crop_tracks(full, o.window);
  const ModiscoTracks& t = crops ? cropped : full;
  ModiscoResult r;
  r.window = t.length;
  // Per-position contributions (sum over bases of one-hot * hypothetical).
  std::vector<std::vector<float>> x(t.n, std::vector<float>(t.length, 0.0f));
  for (int64_t i = 0; i < t.n; ++i)
    for (int64_t j = 0; j < t.length; ++j)
      for (int c = 0; c < 4; ++c) x[i][j] += t.ohe(i, j)[c] * t.hyp(i, j)[c];
  SeqletOptions so;
  so.threshold = o.fdr;
  so.max_len = o.core;
  so.flank = o.flank;
  so.sign = "both";  // both metaclusters
  const auto called = laplace_seqlets(x, so);
  x.clear();
  std::vector<std::pair<double, MSeqlet>> pos, neg;
  for (const auto& s : called) {
    MSeqlet q{s.region, s.start, s.end, false};
    double a = 0;
    for (int64_t j = s.start; j < s.end; ++j)
      for (int c = 0; c < 4; ++c) a += std::fabs(t.ohe(q.example, j)[c] * t.hyp(q.example, j)[c]);
    (s.contribution > 0 ? pos : neg).push_back({-a, q});
  }
  log_info("modisco: " + std::to_string(pos.size()) + " positive and " +
           std::to_string(neg.size()) + " negative seqlets in " + std::to_string(t.n) +
           " examples of " + std::to_string(t.length) + " bp at " + fmt_time());
  auto run = [&](std::vector<std::pair<double, MSeqlet>>& v, int sign, int64_t& count) {
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    if (static_cast<int64_t>(v.size()) > o.max_seqlets) v.resize(o.max_seqlets);
    count = static_cast<int64_t>(v.size());
    if (count <= o.min_metacluster) {
      if (count > 0)
        log_info(std::string("modisco: ") + std::to_string(count) +
                 (sign > 0 ? " positive" : " negative") +
                 " seqlets (<= " + std::to_string(o.min_metacluster) + "): no metacluster");
      return std::vector<ModiscoPattern>{};
    }
    std::vector<MSeqlet> s;
    for (const auto& p : v) s.push_back(p.second);
    return metacluster(t, std::move(s), sign, o);
  };
  r.positive = run(pos, 1, r.positive_seqlets);
  r.negative = run(neg, -1, r.negative_seqlets);
  return r;
}

}  // namespace seqlift
