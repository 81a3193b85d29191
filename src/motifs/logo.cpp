// Sequence logos as inline SVG (no fonts or scripts needed by the page).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "motifs/report.hpp"

namespace seqlift {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

std::string logo_svg(const std::vector<std::array<double, 4>>& m, bool probabilities, int height,
                     bool axes) {
  static const char* kColour[4] = {"#109648", "#255c99", "#f7b32b", "#d62839"};
  const int col_w = height >= 60 ? 14 : 11, left = axes ? 34 : 0, bottom = axes ? 14 : 0;
  const int plot_w = static_cast<int>(m.size()) * col_w, w = left + plot_w + 4;
  // Heights per column: information content x probability, or the signed values.
  std::vector<std::array<double, 4>> h(m.size());
  double up_max = 0, down_max = 0;
  for (std::size_t j = 0; j < m.size(); ++j) {
    if (probabilities) {
      double tot = 0, ic = 2.0;
      for (double p : m[j]) tot += p;
      for (double p : m[j])
        if (p > 0 && tot > 0) ic += (p / tot) * std::log2(p / tot);
      for (int c = 0; c < 4; ++c) h[j][c] = tot > 0 ? m[j][c] / tot * ic : 0;
    } else {
      h[j] = m[j];
    }
    double pos = 0, neg = 0;
    for (double v : h[j]) (v > 0 ? pos : neg) += v;
    up_max = std::max(up_max, pos);
    down_max = std::max(down_max, -neg);
  }
  if (probabilities) up_max = 2.0, down_max = 0;
  if (up_max + down_max <= 0) up_max = 1;
  const double unit = height / (up_max + down_max);
  const double axis = 2 + up_max * unit;  // y of the baseline
  const std::string total_h = std::to_string(height + 4 + bottom);
  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(w) +
                  "' height='" + total_h + "' viewBox='0 0 " + std::to_string(w) + " " + total_h +
                  "' font-family='Arial,Helvetica,sans-serif'>";
  for (std::size_t j = 0; j < m.size(); ++j) {
    std::array<int, 4> order = {0, 1, 2, 3};
    std::sort(order.begin(), order.end(),
              [&](int a, int b) { return std::fabs(h[j][a]) < std::fabs(h[j][b]); });
    double up = axis, down = axis;
    for (int c : order) {
      const double v = h[j][c] * unit;
      if (std::fabs(v) < 0.5) continue;
      // A bold capital is about 0.72 em tall: scale its glyph box to |v| pixels.
      const double sy = std::fabs(v) / 14.4;
      const double base = v > 0 ? up : down + std::fabs(v);
      char buf[320];
      std::snprintf(buf, sizeof buf,
                    "<text x='0' y='0' font-weight='bold' font-size='20' fill='%s' "
                    "transform='translate(%.1f,%.2f) scale(1,%.4f)' textLength='%d' "
                    "lengthAdjust='spacingAndGlyphs'>%c</text>",
                    kColour[c], left + j * col_w + 1.0, base, sy, col_w - 2, "ACGT"[c]);
      s += buf;
      if (v > 0)
        up -= v;
      else
        down += std::fabs(v);
    }
  }
  // Baseline across the columns.
  s += "<line x1='" + std::to_string(left) + "' x2='" + std::to_string(left + plot_w) + "' y1='" +
       fmt("%.1f", axis) + "' y2='" + fmt("%.1f", axis) + "' stroke='#333' stroke-width='1'/>";
  if (!axes) return s + "</svg>";
  // y axis with ticks at the extremes and 0; column numbers every 5 below.
  s += "<line x1='" + std::to_string(left) + "' x2='" + std::to_string(left) + "' y1='2' y2='" +
       std::to_string(height + 2) + "' stroke='#333'/>";
  auto tick = [&](double y, const std::string& label) {
    s += "<line x1='" + std::to_string(left - 3) + "' x2='" + std::to_string(left) + "' y1='" +
         fmt("%.1f", y) + "' y2='" + fmt("%.1f", y) + "' stroke='#333'/><text x='" +
         std::to_string(left - 5) + "' y='" + fmt("%.1f", y + 3.5) +
         "' font-size='10' text-anchor='end'>" + label + "</text>";
  };
  if (probabilities) {
    tick(axis, "0");
    tick(axis - unit, "1");
    tick(axis - 2 * unit, "2");
    s += "<text x='8' y='" + fmt("%.1f", axis - unit) +
         "' font-size='10' transform='rotate(-90 8 " + fmt("%.1f", axis - unit) +
         ")' text-anchor='middle'>bits</text>";
  } else {
    tick(axis, "0");
    if (up_max > 0) tick(axis - up_max * unit, fmt("%.2g", up_max));
    if (down_max > 0.15 * up_max) tick(axis + down_max * unit, fmt("-%.2g", down_max));
  }
  for (std::size_t j = 0; j < m.size(); j += 5)
    s += "<text x='" + fmt("%.1f", left + (j + 0.5) * col_w) + "' y='" +
         std::to_string(height + 4 + bottom - 2) +
         "' font-size='9' fill='#666' text-anchor='middle'>" + std::to_string(j + 1) + "</text>";
  return s + "</svg>";
}

}  // namespace seqlift
