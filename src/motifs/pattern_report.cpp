// report.html of `seqlift modisco`: one row per discovered pattern, then the database
// motifs they match grouped into families. Self-contained (inline SVG and CSS), laid out
// for screens from 1400 px.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "motifs/report.hpp"
#include "seqlift/output.hpp"

namespace seqlift {
namespace {

std::string esc(const std::string& s) {
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

std::string num(double v, const char* f = "%.3g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Histogram of seqlet centres over the window, with an axis in bp from the centre.
std::string positions_svg(const std::vector<int64_t>& centres, int64_t window) {
  constexpr int kBins = 25, kW = 200, kH = 60, kLeft = 26, kBottom = 16;
  std::vector<int64_t> h(kBins, 0);
  for (int64_t c : centres)
    ++h[std::clamp<int64_t>(c * kBins / std::max<int64_t>(window, 1), 0, kBins - 1)];
  const int64_t mx = std::max<int64_t>(1, *std::max_element(h.begin(), h.end()));
  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" +
                  std::to_string(kW + kLeft + 18) + "' height='" +
                  std::to_string(kH + kBottom + 4) + "' font-family='Arial' font-size='10'>";
  const double bw = double(kW) / kBins;
  for (int i = 0; i < kBins; ++i) {
    const double bh = double(kH) * h[i] / mx;
    s += "<rect x='" + num(kLeft + i * bw + 0.5, "%.1f") + "' y='" + num(kH - bh + 2, "%.1f") +
         "' width='" + num(bw - 1, "%.1f") + "' height='" + num(bh, "%.1f") + "' fill='#4a6fa5'/>";
  }
  s += "<line x1='" + std::to_string(kLeft) + "' x2='" + std::to_string(kLeft + kW) + "' y1='" +
       std::to_string(kH + 2) + "' y2='" + std::to_string(kH + 2) + "' stroke='#333'/>";
  s += "<line x1='" + std::to_string(kLeft) + "' x2='" + std::to_string(kLeft) + "' y1='2' y2='" +
       std::to_string(kH + 2) + "' stroke='#333'/>";
  s += "<text x='" + std::to_string(kLeft - 3) + "' y='10' text-anchor='end'>" +
       std::to_string(mx) + "</text><text x='" + std::to_string(kLeft - 3) + "' y='" +
       std::to_string(kH + 2) + "' text-anchor='end'>0</text>";
  const int64_t half = window / 2;
  const std::pair<double, std::string> ticks[] = {
      {0.0, "-" + std::to_string(half)}, {0.5, "0"}, {1.0, "+" + std::to_string(window - half)}};
  for (const auto& [f, label] : ticks) {
    const double x = kLeft + f * kW;
    s += "<line x1='" + num(x, "%.1f") + "' x2='" + num(x, "%.1f") + "' y1='" +
         std::to_string(kH + 2) + "' y2='" + std::to_string(kH + 5) + "' stroke='#333'/><text x='" +
         num(x, "%.1f") + "' y='" + std::to_string(kH + 15) + "' text-anchor='middle'>" + label +
         "</text>";
  }
  return s + "</svg>";
}

// Families: database motifs (matched at q <= max_q by some pattern) linked when the same
// pattern matches both at q <= max_q, or when one matches the other at q <= max_q / 10
// (single linkage).
std::vector<std::vector<int>> families(const MotifDatabase& db, const std::set<int>& ids,
                                       double max_q,
                                       const std::vector<std::vector<int>>& co_matched) {
  const MotifMatcher matcher(db);
  std::map<int, int> parent;
  for (int i : ids) parent[i] = i;
  auto find = [&](int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const auto& g : co_matched)
    for (std::size_t k = 1; k < g.size(); ++k) parent[find(g[k])] = find(g[0]);
  for (int i : ids)
    for (const auto& m : matcher.match(db.motifs[i].pwm)) {
      if (m.q_value > max_q * 0.1) break;  // sorted by p-value
      if (ids.count(m.motif)) parent[find(m.motif)] = find(i);
    }
  std::map<int, std::vector<int>> groups;
  for (int i : ids) groups[find(i)].push_back(i);
  std::vector<std::vector<int>> out;
  for (auto& [root, g] : groups) out.push_back(g);
  return out;
}

const char* kStyle =
    "body{font-family:Arial,Helvetica,sans-serif;margin:20px 28px;color:#222;max-width:1500px}"
    "h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 8px}"
    "p.lead{color:#444;margin:4px 0 14px;font-size:14px}"
    "table{border-collapse:collapse;width:100%}"
    "td,th{border-bottom:1px solid #ddd;padding:6px 8px;vertical-align:middle;font-size:13px}"
    "th{background:#f3f3f3;text-align:left;position:sticky;top:0}"
    ".num{text-align:right}.small{color:#666;font-size:11px}.mono{font-family:monospace}"
    ".match{display:flex;align-items:center;gap:6px;margin:2px 0}"
    ".match svg{max-width:150px;height:auto;flex:none}td.matches{min-width:330px}"
    ".q{color:#555;font-size:11px}.neg{color:#b22}.pos{color:#185}"
    ".tag{display:inline-block;background:#eef;border-radius:3px;padding:1px 5px;margin:1px;"
    "font-size:12px}";

}  // namespace

void write_pattern_report(const std::string& path, const std::vector<PatternReport>& patterns,
                          const MotifDatabase* db, double max_q, int64_t positive_seqlets,
                          int64_t negative_seqlets) {
  OutputFile html(path);
  std::FILE* f = html.get();
  std::fprintf(
      f,
      "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>seqlift modisco report</title>"
      "<style>%s</style></head><body>\n",
      kStyle);
  int64_t npos = 0;
  for (const auto& p : patterns) npos += p.sign > 0;
  std::fprintf(f,
               "<h1>seqlift modisco: de novo motifs</h1>\n<p class='lead'>%lld positive and %lld "
               "negative seqlets; %lld positive and %lld negative patterns (TF-MoDISco's "
               "algorithm). Logos: contribution-weighted matrix (CWM, trimmed to columns with "
               "&ge; 30%% of the strongest) and the seqlets' base frequencies (bits).%s</p>\n",
               (long long)positive_seqlets, (long long)negative_seqlets, (long long)npos,
               (long long)(patterns.size() - npos),
               db ? (" Matches: TOMTOM-style against " + std::to_string(db->motifs.size()) +
                     " database motifs, q-values by Benjamini-Hochberg.")
                        .c_str()
                  : " No database given (--motifs): no matches.");
  std::fprintf(f,
               "<h2>Patterns</h2>\n<table><tr><th>pattern</th>"
               "<th>CWM (contribution)</th><th>base frequencies</th><th>seqlet positions (bp from "
               "centre)</th>"
               "<th>best database matches</th></tr>\n");
  std::map<int, std::vector<std::pair<std::string, double>>> hits;  // db motif -> patterns
  std::vector<std::vector<int>> co_matched;
  for (const auto& p : patterns) {
    std::string matches;
    co_matched.emplace_back();
    for (const auto& m : p.matches) {
      if (!db) break;
      const Motif& dm = db->motifs[m.motif];
      const bool sig = m.q_value <= max_q;
      if (sig) hits[m.motif].push_back({p.name, m.q_value}), co_matched.back().push_back(m.motif);
      auto pwm = dm.pwm;
      if (m.strand == '-') {
        std::reverse(pwm.begin(), pwm.end());
        for (auto& c : pwm) std::reverse(c.begin(), c.end());
      }
      matches += "<div class='match'>" + logo_svg(pwm, true, 30, false) + "<div><b>" +
                 esc(dm.name) + "</b> <span class='small'>" + esc(dm.id) +
                 "</span><br><span class='q'>q = " + num(m.q_value) + (sig ? "" : " (n.s.)") +
                 ", strand " + m.strand + "</span></div></div>";
    }
    if (matches.empty()) matches = "<span class='small'>none</span>";
    std::string subs;
    for (auto s : p.subpattern_sizes) subs += (subs.empty() ? "" : ", ") + std::to_string(s);
    std::fprintf(
        f,
        "<tr><td><b class='%s'>%s</b><br><b>%lld seqlets</b><br><span class='mono'>%s</span>"
        "<br><span class='small'>subpatterns: %s</span></td><td>%s</td><td>%s</td>"
        "<td>%s</td><td class='matches'>%s</td></tr>\n",
        p.sign > 0 ? "pos" : "neg", esc(p.name).c_str(), (long long)p.seqlets,
        esc(p.consensus).c_str(), subs.empty() ? "none" : subs.c_str(),
        logo_svg(p.cwm, false, 80).c_str(), logo_svg(p.ppm, true, 80).c_str(),
        positions_svg(p.centres, p.window).c_str(), matches.c_str());
  }
  std::fprintf(f, "</table>\n");
  if (db) {
    std::set<int> ids;
    for (const auto& [id, v] : hits) ids.insert(id);
    auto fams = families(*db, ids, max_q, co_matched);
    std::sort(fams.begin(), fams.end(), [&](const auto& a, const auto& b) {
      auto best = [&](const std::vector<int>& g) {
        double q = 1;
        for (int i : g)
          for (const auto& h : hits[i]) q = std::min(q, h.second);
        return q;
      };
      return best(a) < best(b);
    });
    std::fprintf(f,
                 "<h2>Database motifs matched at q &le; %s, grouped into families</h2>\n"
                 "<p class='lead'>A family links database motifs matched by the same pattern, "
                 "or matching each other (q &le; %s); each lists the patterns annotated with "
                 "its members.</p>\n"
                 "<table><tr><th>family</th><th>logo (best member)</th><th>members</th>"
                 "<th>patterns (q)</th></tr>\n",
                 num(max_q, "%g").c_str(), num(max_q * 0.1, "%g").c_str());
    for (const auto& g : fams) {
      int best = g.front();
      double bq = 1;
      std::set<std::string> pats;
      std::string plist;
      for (int i : g)
        for (const auto& h : hits[i]) {
          if (h.second < bq) bq = h.second, best = i;
          if (pats.insert(h.first).second)
            plist += "<span class='tag'>" + esc(h.first) + " (" + num(h.second) + ")</span>";
        }
      std::string members;
      for (int i : g)
        members += "<span class='tag'>" + esc(db->motifs[i].name) + " <span class='small'>" +
                   esc(db->motifs[i].id) + "</span></span>";
      std::fprintf(f, "<tr><td><b>%s</b></td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                   esc(db->motifs[best].name).c_str(),
                   logo_svg(db->motifs[best].pwm, true, 50).c_str(), members.c_str(),
                   plist.c_str());
    }
    if (fams.empty())
      std::fprintf(f,
                   "<tr><td colspan='4' class='small'>no pattern matches a database motif at this "
                   "q</td></tr>\n");
    std::fprintf(f, "</table>\n");
  }
  std::fprintf(f, "</body></html>\n");
  html.commit();
}

}  // namespace seqlift
