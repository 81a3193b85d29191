// Heads (model outputs) and their effect summaries, and allele windows.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/variants.hpp"

namespace seqlift {

std::string allele_window(const Genome& genome, const Variant& v, const std::string& allele,
                          int64_t length) {
  const int64_t flank = length / 2, start = v.pos - flank;
  std::string s = genome.fetch(v.chrom, start, v.pos);
  s += allele;
  const int64_t right = v.pos + static_cast<int64_t>(v.ref.size());
  const int64_t need = length - static_cast<int64_t>(s.size());
  if (need > 0) s += genome.fetch(v.chrom, right, right + need);
  s.resize(length);  // an allele longer than the right flank is cut
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string head_label(const std::string& name) {
  std::string s = name;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') c = '_';
  return s;
}

std::vector<Head> classify_heads(const Model& model, const std::vector<std::string>& counts_heads,
                                 const std::vector<std::string>& profile_heads) {
  std::vector<Head> heads;
  int64_t offset = 0;
  for (int v : model.outputs()) {
    Head h;
    h.name = model.values()[v].name;
    h.offset = offset;
    h.size = numel(model.values()[v].shape);
    offset += h.size;
    std::string lower = h.name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    h.profile = h.size >= kProfileMinSize;
    h.counts = !h.profile && lower.find("count") != std::string::npos;
    heads.push_back(h);
  }
  auto find = [&](const std::string& name, const char* flag) -> Head& {
    for (auto& h : heads)
      if (h.name == name) return h;
    std::string names;
    for (const auto& h : heads) names += (names.empty() ? "" : ", ") + h.name;
    throw UsageError(std::string(flag) + ": the model has no output '" + name +
                     "' (outputs: " + names + ")");
  };
  for (const auto& n : counts_heads) {
    Head& h = find(n, "--counts-heads");
    h.profile = false;
    h.counts = true;
  }
  for (const auto& n : profile_heads) {
    Head& h = find(n, "--profile-heads");
    if (h.size < 2)
      throw UsageError("--profile-heads: output '" + n + "' has " + std::to_string(h.size) +
                       " value(s); a profile needs at least 2");
    h.profile = true;
    h.counts = false;
  }
  return heads;
}

double jensen_shannon_distance(const float* a, const float* b, int64_t n) {
  double ma = -INFINITY, mb = -INFINITY;
  for (int64_t i = 0; i < n; ++i) {
    ma = std::max(ma, double(a[i]));
    mb = std::max(mb, double(b[i]));
  }
  std::vector<double> p(n), q(n);
  double sp = 0, sq = 0;
  for (int64_t i = 0; i < n; ++i) {
    sp += p[i] = std::exp(double(a[i]) - ma);
    sq += q[i] = std::exp(double(b[i]) - mb);
  }
  double js = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double pi = p[i] / sp, qi = q[i] / sq, m = 0.5 * (pi + qi);
    if (pi > 0) js += 0.5 * pi * std::log(pi / m);
    if (qi > 0) js += 0.5 * qi * std::log(qi / m);
  }
  return std::sqrt(std::max(0.0, js));
}

}  // namespace seqlift
