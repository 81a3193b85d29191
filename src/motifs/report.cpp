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
    if (q < 0 || q >= static_cast<int64_t>(s.cwm.size())) continue;
    const auto& col = s.cwm[q];
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
                            const std::vector<AnnotatedSeqlet>& seqlets, int64_t region_length) {
  // seqlets.tsv
  OutputFile tsv(dir + "/seqlets.tsv");
  std::fprintf(tsv.get(),
               "chrom\tstart\tend\tregion\tcontribution\tbest_motif_id\tbest_motif_"
               "name\tstrand\toffset\tscore\tp_value\t"
               "e_value\tq_value\ttop3\tsequence\n");
  std::map<int, MotifSummary> per_motif;
  for (const auto& s : seqlets) {
    const Motif& m = db.motifs[s.best.motif];
    std::string top;
    for (const auto& t : s.top) top += (top.empty() ? "" : ",") + db.motifs[t.motif].id;
    std::fprintf(
        tsv.get(), "%s\t%lld\t%lld\t%s\t%.6g\t%s\t%s\t%c\t%lld\t%.4f\t%.3g\t%.3g\t%.3g\t%s\t%s\n",
        s.chrom.c_str(), (long long)s.start, (long long)s.end, s.region.c_str(), s.contribution,
        m.id.c_str(), m.name.c_str(), s.best.strand, (long long)s.best.offset, s.best.score,
        s.best.p_value, s.best.e_value, s.best.q_value, top.c_str(), s.sequence.c_str());
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
  std::vector<MotifSummary> ordered;
  for (auto& [id, ms] : per_motif) {
    for (std::size_t j = 0; j < ms.cwm.size(); ++j)
      if (ms.cwm_count[j] > 0)
        for (auto& v : ms.cwm[j]) v /= double(ms.cwm_count[j]);
    ordered.push_back(ms);
  }
  std::sort(ordered.begin(), ordered.end(), [](const MotifSummary& a, const MotifSummary& b) {
    return std::fabs(a.total) > std::fabs(b.total);
  });
  // motifs.tsv
  OutputFile mt(dir + "/motifs.tsv");
  std::fprintf(
      mt.get(),
      "motif_id\tmotif_name\tseqlets\ttotal_contribution\tmean_contribution\tfraction_positive\t"
      "position_histogram\n");
  for (const auto& ms : ordered) {
    std::string hist;
    for (auto h : ms.histogram) hist += (hist.empty() ? "" : ",") + std::to_string(h);
    std::fprintf(mt.get(), "%s\t%s\t%lld\t%.6g\t%.6g\t%.3f\t%s\n", db.motifs[ms.motif].id.c_str(),
                 db.motifs[ms.motif].name.c_str(), (long long)ms.count, ms.total,
                 ms.total / ms.count, double(ms.positive) / ms.count, hist.c_str());
  }
  // report.html: self-contained (inline SVG and CSS).
  OutputFile html(dir + "/report.html");
  std::fprintf(html.get(),
               "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>seqlift motif "
               "report</title><style>"
               "body{font-family:Arial,Helvetica,sans-serif;margin:24px;color:#222}"
               "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:6px "
               "10px;vertical-align:middle}"
               "th{background:#f3f3f3;text-align:left}.num{text-align:right}.small{color:#666;font-"
               "size:12px}"
               "</style></head><body>\n<h1>seqlift motif report</h1>\n<p>%zu seqlets annotated "
               "against %zu database "
               "motifs; %zu motifs are the best match of at least one seqlet. Logos: database "
               "motif (information "
               "content) beside the mean contribution-weighted matrix (CWM) of its seqlets, "
               "aligned to the motif.</p>\n"
               "<table><tr><th>motif</th><th>database logo</th><th>seqlet CWM</th><th "
               "class='num'>seqlets</th>"
               "<th class='num'>total contribution</th><th class='num'>mean</th><th "
               "class='num'>positive</th>"
               "<th>position vs region centre</th></tr>\n",
               seqlets.size(), db.motifs.size(), ordered.size());
  for (const auto& ms : ordered) {
    const Motif& m = db.motifs[ms.motif];
    std::fprintf(html.get(),
                 "<tr><td><b>%s</b><br><span class='small'>%s</span></td><td>%s</td><td>%s</td><td "
                 "class='num'>%lld</td>"
                 "<td class='num'>%.4g</td><td class='num'>%.4g</td><td "
                 "class='num'>%.0f%%</td><td>%s</td></tr>\n",
                 html_escape(m.name).c_str(), html_escape(m.id).c_str(),
                 logo_svg(m.pwm, true).c_str(), logo_svg(ms.cwm, false).c_str(),
                 (long long)ms.count, ms.total, ms.total / ms.count, 100.0 * ms.positive / ms.count,
                 histogram_svg(ms.histogram, region_length).c_str());
  }
  std::fprintf(html.get(), "</table>\n</body></html>\n");
  tsv.commit();  // all three only once all are written
  mt.commit();
  html.commit();
  return static_cast<int64_t>(ordered.size());
}

}  // namespace seqlift
