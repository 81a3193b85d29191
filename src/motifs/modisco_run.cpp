// `seqlift modisco`: read contributions, discover patterns, write modisco.h5, MEME, TSV
// and the HTML report (patterns annotated against a MEME database).
#include <algorithm>
#include <cmath>
#include <memory>

#include "motifs/report.hpp"
#include "seqlift/error.hpp"
#include "seqlift/log.hpp"
#include "seqlift/modisco.hpp"
#include "seqlift/output.hpp"

namespace seqlift {
namespace {

// Columns of a CWM whose summed |contribution| reaches `fraction` of the largest column,
// first to last (tfmodisco-lite's report trims the same way).
std::pair<int64_t, int64_t> trim_span(const std::vector<std::array<double, 4>>& cwm,
                                      double fraction) {
  std::vector<double> score;
  for (const auto& c : cwm)
    score.push_back(std::fabs(c[0]) + std::fabs(c[1]) + std::fabs(c[2]) + std::fabs(c[3]));
  if (score.empty()) return {0, 0};
  const double cut = fraction * *std::max_element(score.begin(), score.end());
  int64_t a = 0, b = static_cast<int64_t>(score.size());
  while (a < b && score[a] < cut) ++a;
  while (b > a && score[b - 1] < cut) --b;
  return {a, b};
}

std::string consensus(const std::vector<std::array<double, 4>>& ppm) {
  std::string s;
  for (const auto& c : ppm) {
    const int best = static_cast<int>(std::max_element(c.begin(), c.end()) - c.begin());
    s += c[best] >= 0.5 ? "ACGT"[best] : "acgt"[best];
  }
  return s;
}

std::string stem_of(const std::string& out) {
  if (out.size() > 3 && out.compare(out.size() - 3, 3, ".h5") == 0)
    return out.substr(0, out.size() - 3);
  return out;
}

}  // namespace

static std::vector<PatternReport> annotate_patterns(const ModiscoResult& r,
                                                    const MotifMatcher* matcher) {
  std::vector<PatternReport> out;
  for (int sign : {1, -1}) {
    const auto& patterns = sign > 0 ? r.positive : r.negative;
    for (std::size_t i = 0; i < patterns.size(); ++i) {
      const ModiscoPattern& p = patterns[i];
      PatternReport a;
      a.name =
          std::string(sign > 0 ? "pos_patterns" : "neg_patterns") + ".pattern_" + std::to_string(i);
      a.sign = sign;
      a.seqlets = static_cast<int64_t>(p.seqlets.size());
      const auto [from, to] = trim_span(p.contrib, 0.3);
      for (int64_t j = from; j < to; ++j) {
        std::array<double, 4> c = p.contrib[j];
        for (auto& v : c) v *= sign;
        a.cwm.push_back(c);
        a.ppm.push_back(p.sequence[j]);
      }
      a.consensus = consensus(a.ppm);
      a.window = r.window;
      for (const auto& s : p.seqlets) a.centres.push_back((s.start + s.end) / 2);
      for (const auto& sp : p.subpatterns)
        a.subpattern_sizes.push_back(static_cast<int64_t>(sp.seqlets.size()));
      if (matcher && !a.cwm.empty()) {
        const auto m = matcher->match(a.cwm);
        for (std::size_t k = 0; k < m.size() && k < 3; ++k) a.matches.push_back(m[k]);
      }
      out.push_back(std::move(a));
    }
  }
  return out;
}

ModiscoRunSummary run_modisco(const ModiscoRunOptions& o) {
  if (o.npz.empty() == (o.ohe.empty() && o.hyp.empty()))
    throw UsageError("modisco needs either --npz FILE... or both --ohe and --hyp");
  if (o.npz.empty() && (o.ohe.empty() || o.hyp.empty()))
    throw UsageError("--ohe and --hyp go together");
  if (o.output.empty()) throw UsageError("modisco needs -o/--output");
  for (const auto& in : o.npz)
    if (in == o.output) throw UsageError("-o " + o.output + " would overwrite an input");
  o.modisco.validate();
  // Read the database first: a bad --motifs fails before the long run.
  MotifDatabase db;
  if (!o.motifs.empty()) db = read_meme(o.motifs);
  const ModiscoTracks tracks =
      o.npz.empty() ? read_modisco_pair(o.ohe, o.hyp) : read_modisco_npz(o.npz, o.target);
  log_info("modisco: read " + std::to_string(tracks.n) + " examples of " +
           std::to_string(tracks.length) + " bp");
  const ModiscoResult r = discover_patterns(tracks, o.modisco);
  write_modisco_h5(o.output, r, tracks);
  std::unique_ptr<MotifMatcher> matcher;
  if (!db.motifs.empty()) matcher = std::make_unique<MotifMatcher>(db);
  const auto reports = annotate_patterns(r, matcher.get());
  const std::string stem = stem_of(o.output);
  // MEME: the trimmed PWM of every pattern.
  OutputFile meme(stem + ".meme");
  std::fprintf(meme.get(),
               "MEME version 5\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
               "Background letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n");
  for (const auto& a : reports) {
    std::fprintf(meme.get(),
                 "MOTIF %s %s\nletter-probability matrix: alength= 4 w= %zu nsites= %lld E= 0\n",
                 a.name.c_str(), a.consensus.c_str(), a.ppm.size(), (long long)a.seqlets);
    for (const auto& c : a.ppm) {
      const double tot = std::max(1e-12, c[0] + c[1] + c[2] + c[3]);
      std::fprintf(meme.get(), " %.6f %.6f %.6f %.6f\n", c[0] / tot, c[1] / tot, c[2] / tot,
                   c[3] / tot);
    }
    std::fprintf(meme.get(), "\n");
  }
  // TSV: one row per pattern.
  OutputFile tsv(stem + ".tsv");
  std::fprintf(tsv.get(), "pattern\tsign\tseqlets\twidth\tconsensus\tsubpatterns");
  for (int k = 1; k <= 3; ++k)
    std::fprintf(tsv.get(), "\tmatch%d_id\tmatch%d_name\tmatch%d_q", k, k, k);
  std::fprintf(tsv.get(), "\n");
  for (const auto& a : reports) {
    std::fprintf(tsv.get(), "%s\t%c\t%lld\t%zu\t%s\t%zu", a.name.c_str(), a.sign > 0 ? '+' : '-',
                 (long long)a.seqlets, a.ppm.size(), a.consensus.c_str(),
                 a.subpattern_sizes.size());
    for (std::size_t k = 0; k < 3; ++k) {
      if (k < a.matches.size()) {
        const Motif& m = db.motifs[a.matches[k].motif];
        std::fprintf(tsv.get(), "\t%s\t%s\t%.3g", m.id.c_str(), m.name.c_str(),
                     a.matches[k].q_value);
      } else {
        std::fprintf(tsv.get(), "\t.\t.\t.");
      }
    }
    std::fprintf(tsv.get(), "\n");
  }
  write_pattern_report(stem + ".html", reports, db.motifs.empty() ? nullptr : &db, o.max_q,
                       r.positive_seqlets, r.negative_seqlets);
  meme.commit();
  tsv.commit();
  ModiscoRunSummary s;
  s.positive_patterns = static_cast<int64_t>(r.positive.size());
  s.negative_patterns = static_cast<int64_t>(r.negative.size());
  s.seqlets = r.positive_seqlets + r.negative_seqlets;
  return s;
}

}  // namespace seqlift
