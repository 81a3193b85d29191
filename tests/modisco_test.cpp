// seqlift modisco: the similarity kernels against brute force, Leiden on graphs with known
// communities, discovery on synthetic tracks with planted motifs, the modisco.h5 layout,
// and the CLI on the bundled motif world.
#include "seqlift/modisco.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "io/hdf5_file.hpp"
#include "motifs/modisco_internal.hpp"
#include "seqlift/error.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

// Independent formula: sum over i of sign(x)sign(y)min(|x|,|y|) / sum of max(|x|,|y|).
double brute_jaccard(const std::vector<float>& x, const std::vector<float>& y) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double sx = (x[i] > 0) - (x[i] < 0), sy = (y[i] > 0) - (y[i] < 0);
    num += sx * sy * std::min(std::fabs(x[i]), std::fabs(y[i]));
    den += std::max(std::fabs(x[i]), std::fabs(y[i]));
  }
  return den > 0 ? num / den : 0;
}

TEST(Modisco, ContinuousJaccardMatchesBruteForce) {
  std::mt19937 rng(5);
  std::normal_distribution<float> n(0, 1);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<float> x(37), y(37);
    for (auto& v : x) v = n(rng);
    for (auto& v : y) v = n(rng);
    if (trial % 3 == 0) x[4] = 0;
    EXPECT_NEAR(modisco::continuous_jaccard(x.data(), y.data(), 37), brute_jaccard(x, y), 1e-5);
    EXPECT_NEAR(modisco::continuous_jaccard(x.data(), x.data(), 37), 1.0, 1e-6);
  }
}

TEST(Modisco, SlidingJaccardFindsTheShift) {
  // y holds x's 6 columns (c = 2 channels) starting at column 3 of 12.
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0, 1);
  std::vector<float> x(6 * 2), y(12 * 2, 0.0f);
  for (auto& v : x) v = n(rng);
  std::copy(x.begin(), x.end(), y.begin() + 3 * 2);
  int64_t off = -99;
  EXPECT_NEAR(modisco::best_sliding_jaccard(x.data(), 6, y.data(), 12, 2, 2, &off), 1.0, 1e-6);
  EXPECT_EQ(off, 3);
  // Overhanging the left end by 2 (padding) still aligns on the overlap, below 1.
  std::vector<float> z(12 * 2, 0.0f);
  std::copy(x.begin() + 2 * 2, x.end(), z.begin());
  const float s = modisco::best_sliding_jaccard(x.data(), 6, z.data(), 12, 2, 2, &off);
  EXPECT_EQ(off, -2);
  EXPECT_LT(s, 1.0f);
  EXPECT_GT(s, 0.3f);
}

TEST(Modisco, LeidenSeparatesTwoCliques) {
  // Two 8-cliques with one weak bridge; stored as symmetric rows.
  modisco::Graph g;
  const int n = 16;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const bool same = (i < 8) == (j < 8);
      const bool bridge = (i == 0 && j == 8) || (i == 8 && j == 0);
      if (i != j && (same || bridge)) {
        g.col.push_back(j);
        g.value.push_back(same ? 1.0f : 0.05f);
      }
    }
    g.row_ptr.push_back(static_cast<int64_t>(g.col.size()));
  }
  const auto c = modisco::leiden_clusters(g, 3);
  ASSERT_EQ(c.size(), 16u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(c[i], c[0]);
  for (int i = 8; i < 16; ++i) EXPECT_EQ(c[i], c[8]);
  EXPECT_NE(c[0], c[8]);
}

TEST(Modisco, DensityAdaptedGraphIsSymmetricWithSelfLoops) {
  modisco::SparseRows s;
  const float v[4][3] = {
      {0.9f, 0.5f, 0.2f}, {0.9f, 0.4f, 0.1f}, {0.5f, 0.4f, 0.3f}, {0.2f, 0.1f, 0.3f}};
  for (int i = 0; i < 4; ++i) {
    int q = 0;
    for (int j = 0; j < 4; ++j)
      if (j != i) s.col.push_back(j), s.value.push_back(v[i][q++]);
    s.row_ptr.push_back(static_cast<int64_t>(s.col.size()));
  }
  const auto g = modisco::density_adapted_graph(s, 2.0);
  std::map<std::pair<int, int>, float> w;
  for (int64_t i = 0; i < g.rows(); ++i)
    for (int64_t q = g.row_ptr[i]; q < g.row_ptr[i + 1]; ++q) w[{int(i), g.col[q]}] = g.value[q];
  for (int i = 0; i < 4; ++i) {
    EXPECT_GT(w[std::make_pair(i, i)], 0.0f);
    for (int j = 0; j < 4; ++j)
      EXPECT_NEAR(w[std::make_pair(i, j)], w[std::make_pair(j, i)], 1e-6) << i << "," << j;
  }
}

// Synthetic tracks: random sequence with `per` instances per example of two motifs (either
// strand) whose bases carry hypothetical contribution 1; everything else small noise.
ModiscoTracks planted_tracks(int64_t n, int64_t length, const std::vector<std::string>& motifs,
                             int per, uint32_t seed) {
  ModiscoTracks t;
  t.n = n, t.length = length;
  t.one_hot.assign(n * length * 4, 0.0f);
  t.hypothetical.assign(n * length * 4, 0.0f);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> base(0, 3);
  std::normal_distribution<float> noise(0, 0.02f);
  const std::string acgt = "ACGT";
  for (int64_t i = 0; i < n; ++i) {
    std::string seq(length, 'A');
    for (auto& c : seq) c = acgt[base(rng)];
    std::vector<float> boost(length, 0.0f);
    for (int k = 0; k < per; ++k) {
      std::string m = motifs[(i + k) % motifs.size()];
      if (rng() & 1) {  // reverse complement
        std::string r(m.rbegin(), m.rend());
        for (auto& c : r) c = acgt[3 - acgt.find(c)];
        m = r;
      }
      const int64_t slot = length / per, at = k * slot + 20 + rng() % (slot - 40 - m.size());
      for (std::size_t j = 0; j < m.size(); ++j) seq[at + j] = m[j], boost[at + j] = 1.0f;
    }
    for (int64_t j = 0; j < length; ++j) {
      const int b = static_cast<int>(acgt.find(seq[j]));
      t.one_hot[(i * length + j) * 4 + b] = 1.0f;
      for (int c = 0; c < 4; ++c)
        t.hypothetical[(i * length + j) * 4 + c] = noise(rng) + (c == b ? boost[j] : 0.0f);
    }
    t.names.push_back("ex" + std::to_string(i));
    t.chroms.push_back("chr1");
    t.starts.push_back(i * 1000);
  }
  return t;
}

std::string consensus(const ModiscoPattern& p) {
  std::string s;
  for (const auto& c : p.sequence) s += "ACGT"[std::max_element(c.begin(), c.end()) - c.begin()];
  return s;
}

std::string revcomp(const std::string& m) {
  std::string r(m.rbegin(), m.rend());
  for (auto& c : r) c = "TGCA"[std::string("ACGT").find(c)];
  return r;
}

TEST(Modisco, DiscoversTwoPlantedMotifsAsDistinctPatterns) {
  const std::vector<std::string> motifs = {"GATAAGGC", "CACGTGAT"};
  const ModiscoTracks t = planted_tracks(160, 300, motifs, 2, 11);
  ModiscoOptions o;
  o.leiden_runs = 2;
  const ModiscoResult r = discover_patterns(t, o);
  EXPECT_TRUE(r.negative.empty());
  ASSERT_GE(r.positive.size(), 2u);
  std::set<int> found;
  for (const auto& p : r.positive) {
    const std::string c = consensus(p);
    int which = -1;
    for (int m = 0; m < 2; ++m)
      if (c.find(motifs[m]) != std::string::npos || c.find(revcomp(motifs[m])) != std::string::npos)
        which = m;
    EXPECT_GE(which, 0) << "pattern " << c << " is neither planted motif";
    if (which >= 0) found.insert(which);
    // Every seqlet of a pattern has the pattern's width and lies inside its example.
    for (const auto& s : p.seqlets) {
      EXPECT_EQ(s.end - s.start, static_cast<int64_t>(p.sequence.size()));
      EXPECT_GE(s.start, 0);
      EXPECT_LE(s.end, t.length);
    }
    EXPECT_GE(p.seqlets.size(), 20u);
  }
  EXPECT_EQ(found.size(), 2u);
  // Most of the 320 instances end up in a pattern.
  std::size_t in_patterns = 0;
  for (const auto& p : r.positive) in_patterns += p.seqlets.size();
  EXPECT_GT(in_patterns, 250u);
}

TEST(Modisco, ValidatesOptions) {
  ModiscoOptions o;
  o.fdr = 1.5;
  EXPECT_THROW(o.validate(), UsageError);
  o = {};
  o.leiden_runs = 0;
  EXPECT_THROW(o.validate(), UsageError);
}

TEST(Modisco, H5HasTfmodiscoLiteLayout) {
  const ModiscoTracks t = planted_tracks(160, 300, {"GATAAGGC", "CACGTGAT"}, 2, 11);
  ModiscoOptions o;
  o.leiden_runs = 1;
  const ModiscoResult r = discover_patterns(t, o);
  ASSERT_FALSE(r.positive.empty());
  const std::string path = test::temp_dir() + "/m.h5";
  write_modisco_h5(path, r, t);
  Hdf5File h5(path);
  EXPECT_FALSE(h5.exists("/neg_patterns"));
  for (std::size_t i = 0; i < r.positive.size(); ++i) {
    const ModiscoPattern& p = r.positive[i];
    const std::string at = "/pos_patterns/pattern_" + std::to_string(i);
    const int64_t w = static_cast<int64_t>(p.sequence.size()),
                  n = static_cast<int64_t>(p.seqlets.size());
    for (const char* m : {"sequence", "contrib_scores", "hypothetical_contribs"}) {
      const auto a = h5.read_floats(at + "/" + m);
      ASSERT_EQ(a.dims, (std::vector<int64_t>{w, 4})) << at << "/" << m;
    }
    const auto cwm = h5.read_floats(at + "/contrib_scores");
    for (int64_t j = 0; j < w; ++j)
      for (int c = 0; c < 4; ++c) EXPECT_NEAR(cwm.values[j * 4 + c], p.contrib[j][c], 1e-6);
    EXPECT_EQ(h5.read_floats(at + "/seqlets/n_seqlets").values, std::vector<float>{float(n)});
    const auto start = h5.read_floats(at + "/seqlets/start");
    const auto example = h5.read_floats(at + "/seqlets/example_idx");
    ASSERT_EQ(start.dims, std::vector<int64_t>{n});
    EXPECT_TRUE(h5.exists(at + "/seqlets/is_revcomp"));  // h5py's bool enum (read by bench/)
    EXPECT_TRUE(h5.exists(at + "/seqlets/end"));
    const auto seq = h5.read_floats(at + "/seqlets/sequence");
    ASSERT_EQ(seq.dims, (std::vector<int64_t>{n, w, 4}));
    // The stored seqlet one-hot is the example's sequence at (start, end, strand).
    for (int64_t k = 0; k < n; k += 7) {
      const auto& s = p.seqlets[k];
      EXPECT_EQ(start.values[k], float(s.start));
      EXPECT_EQ(example.values[k], float(s.example));
      for (int64_t j = 0; j < w; ++j) {
        const int64_t pos = s.revcomp ? s.end - 1 - j : s.start + j;
        for (int c = 0; c < 4; ++c)
          EXPECT_EQ(seq.values[(k * w + j) * 4 + c], t.ohe(s.example, pos)[s.revcomp ? 3 - c : c]);
      }
    }
    // The pattern's PWM is the mean of its seqlets' one-hot.
    for (int64_t j = 0; j < w; ++j) {
      double a = 0;
      for (int64_t k = 0; k < n; ++k) a += seq.values[(k * w + j) * 4];
      EXPECT_NEAR(a / n, p.sequence[j][0], 1e-6);
    }
    if (!p.subpatterns.empty()) {
      EXPECT_TRUE(h5.exists(at + "/subpattern_0/seqlets/n_seqlets"));
    }
  }
}

// The bundled motif world (same genome, model and peaks as ../shared/fixtures/motif_world):
// `seqlift modisco --npz s.npz -o out.h5` finds each planted motif as a distinct pattern
// annotated with that motif (or a listed relative) first.
const std::string& motif_world_npz() {
  static const std::string npz = [] {
    const std::string data = SEQLIFT_DATA, path = test::temp_dir() + "/mworld.npz";
    auto r = test::run_cli("score -m " + data + "/example_model.onnx --genome " + data +
                           "/example_genome.fa --regions " + data +
                           "/example_peaks.bed --width 1000 --n-refs 20 --seed 0 --npz " + path);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return path;
  }();
  return npz;
}

std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string tok;
    while (std::getline(ss, tok, '\t')) f.push_back(tok);
    rows.push_back(f);
  }
  return rows;
}

// Each planted name must be the first match of a distinct pattern; returns the patterns.
void check_planted(const std::string& tsv, std::map<std::string, std::set<std::string>> ok) {
  const auto rows = read_tsv(tsv);
  ASSERT_GT(rows.size(), 1u);
  ASSERT_EQ(rows[0][6], "match1_id");
  std::map<std::string, std::string> pattern_of;
  for (std::size_t i = 1; i < rows.size(); ++i)
    for (const auto& [planted, ids] : ok)
      if (ids.count(rows[i][6]) && !pattern_of.count(planted) && std::stod(rows[i][8]) <= 0.05)
        pattern_of[planted] = rows[i][0];
  for (const auto& [planted, ids] : ok)
    EXPECT_TRUE(pattern_of.count(planted)) << planted << " is no pattern's first match in " << tsv;
  std::set<std::string> distinct;
  for (const auto& [planted, p] : pattern_of) distinct.insert(p);
  EXPECT_EQ(distinct.size(), pattern_of.size());
}

TEST(ModiscoCli, FindsTheFivePlantedMotifsOfTheMotifWorld) {
  const std::string dir = test::temp_dir();
  auto r = test::run_cli("modisco --npz " + motif_world_npz() + " -o " + dir + "/out.h5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"/out.h5", "/out.meme", "/out.tsv", "/out.html"})
    EXPECT_TRUE(test::file_exists(dir + f)) << f;
  Hdf5File h5(dir + "/out.h5");
  EXPECT_TRUE(h5.exists("/pos_patterns/pattern_4/seqlets/example_idx"));
  // Annotated with the project's own database of the planted motifs.
  r = test::run_cli("modisco --npz " + motif_world_npz() + " -o " + dir + "/ex.h5 --motifs " +
                    SEQLIFT_DATA + "/example_motifs.meme");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::set<std::string>> own;
  for (const char* m : {"GATA1", "TEAD3", "SOX2", "CEBPB", "CTCF"})
    own[m] = {std::string("example.") + m};
  check_planted(dir + "/ex.tsv", own);
  const std::string html = test::slurp(dir + "/ex.html");
  EXPECT_NE(html.find("pos_patterns.pattern_0"), std::string::npos);
  EXPECT_NE(html.find("q = "), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  const std::string meme = test::slurp(dir + "/ex.meme");
  EXPECT_NE(meme.find("MOTIF pos_patterns.pattern_0"), std::string::npos);
}

TEST(ModiscoCli, PlantedMotifsAnnotatedAgainstJaspar) {
  SEQLIFT_REQUIRE_SHARED(jaspar, "data/JASPAR2024_CORE_vertebrates_non-redundant.meme");
  const std::string dir = test::temp_dir();
  auto r = test::run_cli("modisco --npz " + motif_world_npz() + " -o " + dir + "/j.h5 --motifs " +
                         jaspar);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::set<std::string>> ok;
  std::ifstream eq(test::test_data("motif_world/equivalents.tsv"));
  std::string line;
  while (std::getline(eq, line)) {
    const auto tab = line.find('\t');
    std::stringstream ss(line.substr(tab + 1));
    std::string item;
    while (std::getline(ss, item, ','))
      ok[line.substr(0, tab)].insert(item.substr(0, item.find('|')));
  }
  ASSERT_EQ(ok.size(), 5u);
  check_planted(dir + "/j.tsv", ok);
}

TEST(ModiscoCli, UsageAndInputErrors) {
  const std::string dir = test::temp_dir();
  auto r = test::run_cli("modisco -o " + dir + "/x.h5");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  r = test::run_cli("modisco --npz " + dir + "/missing.npz -o " + dir + "/x.h5");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("missing.npz"), std::string::npos);
  EXPECT_FALSE(test::file_exists(dir + "/x.h5"));
  r = test::run_cli("modisco --ohe " + dir + "/a.npz -o " + dir + "/x.h5");
  EXPECT_EQ(r.exit_code, 1) << r.err;
}

}  // namespace
}  // namespace seqlift
