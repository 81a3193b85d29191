#include "motifs/report.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "seqlift/output.hpp"

namespace seqlift {
namespace {

constexpr int kHistogramBins = 10;

std::string html_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '<')
      out += "&lt;";
    else if (ch == '>')
      out += "&gt;";
    else if (ch == '&')
      out += "&amp;";
    else if (ch == '"')
      out += "&quot;";
    else
      out += ch;
  }
  return out;
}

struct MotifSummary {
  int motif = -1;
  int64_t count = 0, positive = 0;
  double total = 0;
  std::vector<int64_t> histogram = std::vector<int64_t>(kHistogramBins, 0);
  std::vector<std::array<double, 4>> cwm;  ///< aggregated in the motif's orientation
  std::vector<int64_t> cwm_count;
};

// Adds a seqlet's CWM to the motif-oriented aggregate using its alignment.
void add_aligned(MotifSummary& m, const AnnotatedSeqlet& s, int64_t motif_width) {
  for (int64_t j = 0; j < motif_width; ++j) {
    const int64_t q = j + s.best.offset;  // query column aligned with (possibly rc) motif column j
    if (q < 0 || q >= static_cast<int64_t>(s.cwm.size())) continue;  // cwm and contrib: same width
    const auto& col = s.contrib.empty() ? s.cwm[q] : s.contrib[q];
    const int64_t target = s.best.strand == '+' ? j : motif_width - 1 - j;
    const std::array<double, 4> v =
        s.best.strand == '+' ? col : std::array<double, 4>{col[3], col[2], col[1], col[0]};
    for (int c = 0; c < 4; ++c) m.cwm[target][c] += v[c];
    ++m.cwm_count[target];
  }
}

std::string histogram_svg(const std::vector<int64_t>& h, int64_t region_length) {
  const int w = 160, hgt = 40;
  const int64_t mx = std::max<int64_t>(1, *std::max_element(h.begin(), h.end()));
  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(w) +
                  "' height='" + std::to_string(hgt + 14) + "'>";
  const double bw = double(w) / h.size();
  for (std::size_t i = 0; i < h.size(); ++i) {
    const double bh = double(hgt) * h[i] / mx;
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#4a6fa5'/>", i * bw + 1,
                  hgt - bh, bw - 2, bh);
    s += buf;
  }
  s += "<text x='0' y='" + std::to_string(hgt + 12) + "' font-size='10'>-" +
       std::to_string(region_length / 2) + "</text><text x='" + std::to_string(w / 2 - 4) +
       "' y='" + std::to_string(hgt + 12) + "' font-size='10'>0</text><text x='" +
       std::to_string(w - 28) + "' y='" + std::to_string(hgt + 12) + "' font-size='10'>+" +
       std::to_string(region_length / 2) + "</text></svg>";
  return s;
}

}  // namespace

int64_t write_motif_outputs(const std::string& dir, const MotifDatabase& db,
                            const std::vector<AnnotatedSeqlet>& seqlets, int64_t region_length,
                            double max_q) {
  // seqlets.tsv: every seqlet with its best match (filter on q_value downstream).
  OutputFile tsv(dir + "/seqlets.tsv");
  std::fprintf(tsv.get(),
               "chrom\tstart\tend\tregion\tcontribution\tbest_motif_id\tbest_motif_"
               "name\tstrand\toffset\tscore\tp_value\t"
               "e_value\tq_value\ttop3\tsequence\n");
  std::map<int, MotifSummary> per_motif;
  std::map<int, int> parent;  // union-find over database motifs: families
  std::map<std::pair<int, int>, int> together;
  auto find = [&](int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  int64_t annotated = 0;
  std::map<int, std::vector<double>> qs;
  for (const auto& s : seqlets) {
    const Motif& m = db.motifs[s.best.motif];
    std::string top;
    for (const auto& t : s.top) top += (top.empty() ? "" : ",") + db.motifs[t.motif].id;
    std::fprintf(
        tsv.get(), "%s\t%lld\t%lld\t%s\t%.6g\t%s\t%s\t%c\t%lld\t%.4f\t%.3g\t%.3g\t%.3g\t%s\t%s\n",
        s.chrom.c_str(), (long long)s.start, (long long)s.end, s.region.c_str(), s.contribution,
        m.id.c_str(), m.name.c_str(), s.best.strand, (long long)s.best.offset, s.best.score,
        s.best.p_value, s.best.e_value, s.best.q_value, top.c_str(), s.sequence.c_str());
    if (s.best.q_value > max_q) continue;  // unannotated: only in seqlets.tsv
    ++annotated;
    qs[s.best.motif].push_back(s.best.q_value);
    // Related motifs: significant together in the top matches of the same seqlets.
    std::vector<int> sig;
    for (const auto& t : s.top)
      if (t.q_value <= max_q) sig.push_back(t.motif);
    for (int a : sig) parent.emplace(a, a);
    for (std::size_t i = 0; i < sig.size(); ++i)
      for (std::size_t j = i + 1; j < sig.size(); ++j)
        ++together[{std::min(sig[i], sig[j]), std::max(sig[i], sig[j])}];
    MotifSummary& ms = per_motif[s.best.motif];
    if (ms.motif < 0) {
      ms.motif = s.best.motif;
      ms.cwm.assign(m.pwm.size(), {0, 0, 0, 0});
      ms.cwm_count.assign(m.pwm.size(), 0);
    }
    ++ms.count;
    ms.positive += s.contribution > 0;
    ms.total += s.contribution;
    const double rel = (double(s.region_centre_offset) + region_length / 2.0) /
                       std::max<int64_t>(1, region_length);
    ++ms.histogram[std::clamp(static_cast<int>(rel * kHistogramBins), 0, kHistogramBins - 1)];
    add_aligned(ms, s, static_cast<int64_t>(m.pwm.size()));
  }
  for (const auto& [pair, n] : together)
    if (n >= 2) parent[find(pair.first)] = find(pair.second);
  for (auto& [id, ms] : per_motif) {
    parent.emplace(id, id);
    for (std::size_t j = 0; j < ms.cwm.size(); ++j)
      if (ms.cwm_count[j] > 0)
        for (auto& v : ms.cwm[j]) v /= double(ms.cwm_count[j]);
  }
  // Families, each led by its member with the most seqlets; largest total first.
  struct Family {
    std::vector<const MotifSummary*> members;
    int64_t count = 0;
    double total = 0;
    std::vector<int64_t> histogram = std::vector<int64_t>(kHistogramBins, 0);
    std::vector<double> q;
  };
  std::map<int, Family> by_root;
  for (const auto& [id, ms] : per_motif) {
    Family& f = by_root[find(id)];
    f.members.push_back(&ms);
    f.count += ms.count;
    f.total += ms.total;
    for (int b = 0; b < kHistogramBins; ++b) f.histogram[b] += ms.histogram[b];
    f.q.insert(f.q.end(), qs[id].begin(), qs[id].end());
  }
  std::vector<Family> families;
  for (auto& [root, f] : by_root) {
    std::sort(f.members.begin(), f.members.end(),
              [](const MotifSummary* a, const MotifSummary* b) { return a->count > b->count; });
    std::sort(f.q.begin(), f.q.end());
    families.push_back(std::move(f));
  }
  std::sort(families.begin(), families.end(), [](const Family& a, const Family& b) {
    return std::fabs(a.total) > std::fabs(b.total);
  });
  // motifs.tsv: one row per database motif with annotated seqlets, by family.
  OutputFile mt(dir + "/motifs.tsv");
  std::fprintf(mt.get(),
               "motif_id\tmotif_name\tfamily\tseqlets\ttotal_contribution\tmean_contribution\t"
               "fraction_positive\tposition_histogram\n");
  for (const auto& f : families)
    for (const MotifSummary* ms : f.members) {
      std::string hist;
      for (auto h : ms->histogram) hist += (hist.empty() ? "" : ",") + std::to_string(h);
      std::fprintf(mt.get(), "%s\t%s\t%s\t%lld\t%.6g\t%.6g\t%.3f\t%s\n",
                   db.motifs[ms->motif].id.c_str(), db.motifs[ms->motif].name.c_str(),
                   db.motifs[f.members.front()->motif].name.c_str(), (long long)ms->count,
                   ms->total, ms->total / ms->count, double(ms->positive) / ms->count,
                   hist.c_str());
    }
  // report.html: self-contained (inline SVG and CSS), one row per family.
  OutputFile html(dir + "/report.html");
  std::fprintf(
      html.get(),
      "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>seqlift motif "
      "report</title><style>"
      "body{font-family:Arial,Helvetica,sans-serif;margin:20px 28px;color:#222;max-width:1500px}"
      "h1{font-size:22px;margin:0 0 6px}p.lead{color:#444;font-size:14px}"
      "table{border-collapse:collapse;width:100%%}td,th{border-bottom:1px solid #ddd;padding:6px "
      "8px;vertical-align:middle;font-size:13px}"
      "th{background:#f3f3f3;text-align:left;position:sticky;top:0}.num{text-align:right}"
      ".small{color:#666;font-size:11px}.tag{display:inline-block;background:#eef;"
      "border-radius:3px;padding:1px 5px;margin:1px;font-size:12px}"
      "</style></head><body>\n<h1>seqlift motif report</h1>\n<p class='lead'>%zu seqlets; "
      "<b>%lld</b> match a database motif at q &le; %g (TOMTOM-style, Benjamini-Hochberg over "
      "%zu motifs); the other %lld are listed only in seqlets.tsv. Related database motifs "
      "(significant together among the top matches of at least two seqlets) form one row. "
      "Logos: the leading member (information content) beside the mean contribution-weighted "
      "matrix (CWM: actual contributions) of its seqlets, aligned to it.</p>\n"
      "<table><tr><th>family</th><th>database logo</th><th>seqlet CWM</th><th "
      "class='num'>seqlets</th><th class='num'>q (best / median)</th><th class='num'>total "
      "contribution</th><th>members (seqlets)</th><th>position vs region centre</th></tr>\n",
      seqlets.size(), (long long)annotated, max_q, db.motifs.size(),
      (long long)(seqlets.size() - annotated));
  for (const auto& f : families) {
    const MotifSummary& lead = *f.members.front();
    const Motif& m = db.motifs[lead.motif];
    std::string members;
    for (const MotifSummary* ms : f.members)
      members += "<span class='tag'>" + html_escape(db.motifs[ms->motif].name) +
                 " <span class='small'>" + html_escape(db.motifs[ms->motif].id) + "</span> " +
                 std::to_string(ms->count) + "</span>";
    std::fprintf(html.get(),
                 "<tr><td><b>%s</b><br><span class='small'>%s</span></td><td>%s</td><td>%s</td>"
                 "<td class='num'><b>%lld</b></td><td class='num'>%.2g / %.2g</td>"
                 "<td class='num'>%.4g</td><td>%s</td><td>%s</td></tr>\n",
                 html_escape(m.name).c_str(), html_escape(m.id).c_str(),
                 logo_svg(m.pwm, true, 60).c_str(), logo_svg(lead.cwm, false, 60).c_str(),
                 (long long)f.count, f.q.front(), f.q[f.q.size() / 2], f.total, members.c_str(),
                 histogram_svg(f.histogram, region_length).c_str());
  }
  if (families.empty())
    std::fprintf(html.get(),
                 "<tr><td colspan='8' class='small'>no seqlet matches a database motif "
                 "at this q-value</td></tr>\n");
  std::fprintf(html.get(), "</table>\n</body></html>\n");
  tsv.commit();  // all three only once all are written
  mt.commit();
  html.commit();
  return static_cast<int64_t>(per_motif.size());
}

}  // namespace seqlift
