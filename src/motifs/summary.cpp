#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "motifs/report.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/log.hpp"
#include "seqlift/motif_summary.hpp"
#include "seqlift/npy.hpp"
#include "seqlift/output.hpp"
#include "seqlift/regions.hpp"
#include "seqlift/targets.hpp"
#include "util/cleanup.hpp"

namespace seqlift {
namespace {

// The regions of one or more score --npz files (shards of one run) as one input.
struct Contributions {
  std::vector<std::unique_ptr<NpzReader>> files;
  std::vector<std::pair<std::size_t, int64_t>> where;  ///< region -> (file, row)
  std::vector<std::string> names, chroms;
  std::vector<double> starts;
  int64_t n = 0, length = 0, targets = 0, target = 0;
  std::string label;  ///< "a.npz" or "a.npz (+2 more)" for messages
};

Contributions open_contributions(const std::vector<std::string>& paths, const std::string& target) {
  if (paths.empty()) throw UsageError("give at least one score --npz");
  Contributions c;
  c.label =
      paths[0] + (paths.size() > 1 ? " (+" + std::to_string(paths.size() - 1) + " more)" : "");
  for (std::size_t f = 0; f < paths.size(); ++f) {
    const std::string& path = paths[f];
    c.files.push_back(std::make_unique<NpzReader>(path));
    const NpzReader& z = *c.files.back();
    for (const char* m : {"proj", "hyp", "names"})
      if (!z.has(m))
        throw InputError(path + ": no '" + std::string(m) +
                         "' array (is it a seqlift score --npz?)");
    const auto& s = z.shape("proj");
    if (s.size() != 4 || s[2] != 4) throw InputError(path + ": 'proj' is not [N, T, 4, L]");
    const std::vector<std::string> target_names =
        z.has("target_names") ? z.read_strings("target_names") : std::vector<std::string>{};
    const int64_t t = npz_target_position(target, target_names, s[1], path);
    if (f == 0) {
      c.targets = s[1];
      c.length = s[3];
      c.target = t;
    } else if (s[1] != c.targets || s[3] != c.length || t != c.target) {
      throw InputError(path + ": holds [N, " + std::to_string(s[1]) + ", 4, " +
                       std::to_string(s[3]) + "] but " + paths[0] + " holds [N, " +
                       std::to_string(c.targets) + ", 4, " + std::to_string(c.length) +
                       "] (or --target differs): not shards of one run");
    }
    auto names = z.read_strings("names");
    std::vector<std::string> chroms = names;
    std::vector<double> starts(names.size(), 0.0);
    if (z.has("coords_chrom")) {
      chroms = z.read_strings("coords_chrom");
      starts = z.read_all("coords_start");
    }
    for (int64_t i = 0; i < s[0]; ++i) {
      c.where.emplace_back(f, i);
      c.names.push_back(names[i]);
      c.chroms.push_back(chroms[i]);
      c.starts.push_back(starts[i]);
    }
    c.n += s[0];
  }
  return c;
}

// [4][L] rows of target t for region i (of all files).
std::vector<float> target_rows(const Contributions& c, const char* name, int64_t i, int64_t t) {
  const auto [f, row] = c.where[i];
  auto all = c.files[f]->read_rows(name, row, 1);
  return std::vector<float>(all.begin() + t * 4 * c.length, all.begin() + (t + 1) * 4 * c.length);
}

}  // namespace

int64_t run_seqlets(const SeqletRunOptions& o) {
  const Contributions c = open_contributions(o.npz, o.target);
  std::vector<std::vector<float>> x(c.n, std::vector<float>(c.length, 0.0f));
  for (int64_t i = 0; i < c.n; ++i) {
    const auto p = target_rows(c, "proj", i, c.target);
    for (int ch = 0; ch < 4; ++ch)
      for (int64_t j = 0; j < c.length; ++j) x[i][j] += p[ch * c.length + j];
  }
  std::vector<Seqlet> seqlets;
  if (o.method == "recursive")
    seqlets = recursive_seqlets(x, o.seqlets);
  else if (o.method == "laplace")
    seqlets = laplace_seqlets(x, o.seqlets);
  else
    throw UsageError("--method must be recursive or laplace (got '" + o.method + "')");
  OutputFile out(o.output);
  int64_t k = 0;
  for (const auto& s : seqlets) {
    const int64_t base = static_cast<int64_t>(c.starts[s.region]);
    std::fprintf(out.get(), "%s\t%lld\t%lld\tseqlet%lld\t%.6g\t.\t%.3g\t%s\n",
                 c.chroms[s.region].c_str(), (long long)(base + s.start), (long long)(base + s.end),
                 (long long)k++, s.contribution, s.p_value, c.names[s.region].c_str());
  }
  out.commit();
  return static_cast<int64_t>(seqlets.size());
}

MotifRunSummary run_motifs(const MotifRunOptions& o) {
  if (o.out_dir.empty()) throw UsageError("motifs needs --out-dir");
  const Contributions c = open_contributions(o.npz, o.target);
  const MotifDatabase db = read_meme(o.motifs);
  const MotifMatcher matcher(db);
  std::map<std::string, int64_t> row_of;
  for (int64_t i = 0; i < c.n; ++i) row_of[c.names[i]] = i;

  // Read the seqlets (BED6+ from `seqlift seqlets`).
  note_input(o.seqlets);
  std::ifstream raw(o.seqlets);
  if (!raw) throw IoError(o.seqlets + ": cannot open for reading: " + std::strerror(errno));
  std::vector<AnnotatedSeqlet> seqlets;
  std::string line;
  long line_no = 0;
  while (std::getline(raw, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#' || line.rfind("track", 0) == 0) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string tok;
    while (std::getline(ss, tok, '\t')) f.push_back(tok);
    if (f.size() < 8)
      throw ParseError(
          o.seqlets, line_no,
          "expected 8 columns (chrom start end name contribution strand p region), found " +
              std::to_string(f.size()));
    AnnotatedSeqlet s;
    s.chrom = f[0];
    char* end = nullptr;
    s.start = std::strtoll(f[1].c_str(), &end, 10);
    if (*end) throw ParseError(o.seqlets, line_no, "start is not an integer: '" + f[1] + "'");
    s.end = std::strtoll(f[2].c_str(), &end, 10);
    if (*end || s.end <= s.start) throw ParseError(o.seqlets, line_no, "bad end '" + f[2] + "'");
    s.contribution = std::strtod(f[4].c_str(), &end);
    if (*end) throw ParseError(o.seqlets, line_no, "contribution is not a number: '" + f[4] + "'");
    s.region = f[7];
    auto it = row_of.find(s.region);
    if (it == row_of.end())
      throw ParseError(o.seqlets, line_no, "region '" + s.region + "' is not in " + c.label);
    s.row = it->second;
    s.offset = s.start - static_cast<int64_t>(c.starts[s.row]);
    if (s.offset < 0 || s.offset + (s.end - s.start) > c.length)
      throw ParseError(o.seqlets, line_no, "seqlet lies outside region '" + s.region + "'");
    seqlets.push_back(s);
  }
  // CWM of each seqlet (hypothetical contributions, sign-flipped for negative seqlets),
  // its sequence, and its matches.
  MotifRunSummary summary;
  for (auto& s : seqlets) {
    const auto hyp = target_rows(c, "hyp", s.row, c.target);
    const auto ohe = target_rows(c, "ohe", s.row, 0);
    const double sign = s.contribution < 0 ? -1.0 : 1.0;
    for (int64_t j = s.offset; j < s.offset + (s.end - s.start); ++j) {
      std::array<double, 4> col{};
      for (int ch = 0; ch < 4; ++ch) col[ch] = sign * hyp[ch * c.length + j];
      s.cwm.push_back(col);
      std::array<float, 4> b{};
      for (int ch = 0; ch < 4; ++ch) b[ch] = ohe[ch * c.length + j];
      std::array<double, 4> actual{};
      for (int ch = 0; ch < 4; ++ch) actual[ch] = col[ch] * b[ch];
      s.contrib.push_back(actual);
      int best = -1;
      for (int ch = 0; ch < 4; ++ch)
        if (b[ch] > 0.5f) best = ch;
      s.sequence += best < 0 ? 'N' : "ACGT"[best];
    }
    s.region_centre_offset = s.offset + (s.end - s.start) / 2 - c.length / 2;
    auto matches = matcher.match(s.cwm);
    s.best = matches.front();
    for (std::size_t k = 0; k < 3 && k < matches.size(); ++k) s.top.push_back(matches[k]);
    ++summary.seqlets;
    summary.annotated += s.best.q_value <= o.max_q;
  }
  // The directory is made only now, so a failed run leaves nothing behind.
  if (::mkdir(o.out_dir.c_str(), 0755) != 0 && errno != EEXIST)
    throw IoError(o.out_dir + ": cannot create directory: " + std::strerror(errno));
  summary.motifs_found = write_motif_outputs(o.out_dir, db, seqlets, c.length, o.max_q);
  return summary;
}

}  // namespace seqlift
