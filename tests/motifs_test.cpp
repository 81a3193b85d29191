// Motifs: MEME parser, seqlet callers on constructed inputs, matcher on known motifs,
// and the motif-world recovery bar end to end.
#include "seqlift/motifs.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "motifs/report.hpp"
#include "seqlift/error.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

const char* const kJaspar = "data/JASPAR2024_CORE_vertebrates_non-redundant.meme";

const std::string kMeme =
    "MEME version 5\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\nA 0.3 C "
    "0.2 G 0.2 T 0.3\n\n"
    "MOTIF M1 first\nletter-probability matrix: w= 3 alength= 4 nsites= 5 E= 0\n"
    "1 0 0 0\n0 1 0 0\n0.5 0 0 0.5\n\n"
    "MOTIF M2\nURL http://example.org\nletter-probability matrix: alength= 4 w= 2\n0.25 0.25 0.25 "
    "0.25\n0 0 1 0\n"
    "MOTIF M1 again\nletter-probability matrix: alength= 4 w= 1\n0 0 0 1";  // no final newline;
                                                                            // last M1 kept

TEST(Meme, ParsesHeadersInAnyOrderAndKeepsTheLastDuplicate) {
  auto db = read_meme(test::write_file("db.meme", kMeme));
  ASSERT_EQ(db.motifs.size(), 2u);
  EXPECT_EQ(db.motifs[0].id, "M1");
  EXPECT_EQ(db.motifs[0].name, "again");
  ASSERT_EQ(db.motifs[0].pwm.size(), 1u);
  EXPECT_EQ(db.motifs[1].name, "M2");
  EXPECT_EQ(db.motifs[1].pwm.size(), 2u);
  EXPECT_DOUBLE_EQ(db.background[0], 0.3);
}

TEST(Meme, RealJasparFile) {
  SEQLIFT_REQUIRE_SHARED(jaspar, kJaspar);
  auto db = read_meme(jaspar);
  EXPECT_EQ(db.motifs.size(), 879u);
  EXPECT_EQ(db.motifs[0].id, "MA0004.1");
  EXPECT_EQ(db.motifs[0].pwm.size(), 6u);
}

struct BadMeme {
  const char* content;
  const char* fragment;
};
class MemeErrors : public ::testing::TestWithParam<BadMeme> {};
TEST_P(MemeErrors, NameTheLine) {
  try {
    read_meme(test::write_file("bad.meme", GetParam().content));
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find(GetParam().fragment), std::string::npos) << e.what();
  }
}
INSTANTIATE_TEST_SUITE_P(
    Table, MemeErrors,
    ::testing::Values(BadMeme{"hello\n", "line 1: not a MEME motif file"},
                      BadMeme{"MEME version 4\nALPHABET= ACGU\n", "line 2: only the DNA alphabet"},
                      BadMeme{"MEME version 4\nMOTIF a\nletter-probability matrix: w= 2\n1 0 0 0\n",
                              "matrix ended after 1 of 2 rows"},
                      BadMeme{"MEME version 4\nMOTIF a\nletter-probability matrix: w= 1\n1 0 x 0\n",
                              "line 4: not a probability: 'x'"},
                      BadMeme{
                          "MEME version 4\nMOTIF a\nletter-probability matrix: w= 1\n0.5 0 0 0\n",
                          "line 4: motif a: matrix row sums to"},
                      BadMeme{"MEME version 4\nMOTIF a\nletter-probability matrix: w= 1\n1 0 0\n",
                              "has 3 columns"},
                      BadMeme{"MEME version 4\nMOTIF a\nletter-probability matrix: alength= 4\n",
                              "line 3: motif a: matrix header has no w="},
                      BadMeme{"MEME version 4\n", "no motifs"},
                      BadMeme{"MEME version 4\nMOTIF a\n", "has no letter-probability matrix"}),
    [](const ::testing::TestParamInfo<BadMeme>& info) {  // the expected message, as a name
      std::string name;
      for (char c : std::string(info.param.fragment))
        if (std::isalnum(static_cast<unsigned char>(c))) name += c;
      return name + "_" + std::to_string(info.index);
    });

TEST(Seqlets, RecursiveFindsPlantedSpansOfBothSigns) {
  std::vector<std::vector<float>> x(20, std::vector<float>(200));
  uint32_t state = 9;
  for (auto& row : x)
    for (auto& v : row)
      v = 0.02f * (((state = state * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f);
  for (int j = 50; j < 58; ++j) x[3][j] = 1.0f;     // positive 8-mer
  for (int j = 120; j < 126; ++j) x[7][j] = -0.8f;  // negative 6-mer
  SeqletOptions o;
  o.flank = 0;
  o.sign = "both";
  auto s = recursive_seqlets(x, o);
  // The longest span whose every suffix passes wins, so a seqlet may take in a few noise
  // bases around the planted span (at most max_len in all).
  auto find = [&](int64_t region, int64_t start, int64_t end) {
    for (const auto& q : s)
      if (q.region == region && q.start <= start && q.end >= end && q.end - q.start <= o.max_len)
        return &q;
    return static_cast<const Seqlet*>(nullptr);
  };
  const Seqlet* pos = find(3, 50, 58);
  const Seqlet* neg = find(7, 120, 126);
  ASSERT_NE(pos, nullptr);
  ASSERT_NE(neg, nullptr);
  EXPECT_GT(pos->contribution, 7.5);
  EXPECT_LT(neg->contribution, -4.5);
  EXPECT_LT(pos->p_value, 0.01);
  for (const auto& q : s) {  // noise seqlets are far weaker than the planted ones
    if (&q == pos || &q == neg) continue;
    EXPECT_LT(std::fabs(q.contribution), 0.2) << q.region << ":" << q.start;
  }
}

TEST(Seqlets, SignSelection) {
  std::vector<std::vector<float>> x(10, std::vector<float>(100, 0.001f));
  for (int j = 20; j < 28; ++j) x[2][j] = 1.0f;
  for (int j = 60; j < 66; ++j) x[4][j] = -1.0f;
  SeqletOptions o;
  o.flank = 0;
  o.sign = "positive";
  for (const auto& s : recursive_seqlets(x, o)) EXPECT_GT(s.contribution, 0);
  o.sign = "negative";
  auto neg = recursive_seqlets(x, o);
  ASSERT_FALSE(neg.empty());
  for (const auto& s : neg) EXPECT_LT(s.contribution, 0);
  o.sign = "sideways";
  EXPECT_THROW(recursive_seqlets(x, o), UsageError);
}

TEST(Seqlets, LaplaceFindsThePlantedWindow) {
  std::vector<std::vector<float>> x(30, std::vector<float>(300));
  uint32_t state = 3;
  for (auto& row : x)
    for (auto& v : row)
      v = 0.05f * (((state = state * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f);
  for (int j = 100; j < 110; ++j) x[5][j] = 1.0f;
  SeqletOptions o;
  o.threshold = 0.2;
  o.max_len = 21;
  o.flank = 5;
  auto s = laplace_seqlets(x, o);
  bool found = false;
  for (const auto& q : s) found = found || (q.region == 5 && q.start <= 100 && q.end >= 110);
  EXPECT_TRUE(found);
}

TEST(Matcher, MotifMatchesItselfAndItsReverseComplement) {
  SEQLIFT_REQUIRE_SHARED(jaspar, kJaspar);
  auto db = read_meme(jaspar);
  MotifMatcher matcher(db);
  for (const char* id : {"MA0139.2", "MA0035.5", "MA0808.1"}) {
    const Motif* m = nullptr;
    for (const auto& x : db.motifs)
      if (x.id == id) m = &x;
    ASSERT_NE(m, nullptr);
    // Query: the motif padded with 3 flat columns each side, as a centred contribution matrix.
    std::vector<std::array<double, 4>> q(3, {0.25, 0.25, 0.25, 0.25});
    q.insert(q.end(), m->pwm.begin(), m->pwm.end());
    q.insert(q.end(), 3, {0.25, 0.25, 0.25, 0.25});
    auto hits = matcher.match(q);
    EXPECT_EQ(db.motifs[hits[0].motif].id, id);
    EXPECT_EQ(hits[0].strand, '+');
    EXPECT_EQ(hits[0].offset, 3);
    EXPECT_LT(hits[0].p_value, 1e-4);
    EXPECT_LT(hits[0].q_value, 0.1);
    std::vector<std::array<double, 4>> rc(q.rbegin(), q.rend());
    for (auto& c : rc) c = {c[3], c[2], c[1], c[0]};
    auto rc_hits = matcher.match(rc);
    EXPECT_EQ(db.motifs[rc_hits[0].motif].id, id);
    EXPECT_EQ(rc_hits[0].strand, '-');
  }
}

TEST(Report, LogoSvgHasOneLetterPerInformativeCell) {
  const std::string svg = logo_svg({{1, 0, 0, 0}, {0.25, 0.25, 0.25, 0.25}}, true);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find(">A</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">C</text>"), std::string::npos);  // flat column: no information
}

// The motif world (the bundled example): 20 dinucleotide shuffles and recursive seqlets,
// computed once for the annotation tests below; returns the path prefix of npz and seqlets.
const std::string& motif_world_seqlets() {
  static const std::string prefix = [] {
    const std::string data = SEQLIFT_DATA, dir = test::temp_dir() + "/mw";
    auto r = test::run_cli("score -m " + data + "/example_model.onnx --genome " + data +
                           "/example_genome.fa --regions " + data +
                           "/example_peaks.bed --n-refs 20 --seed 0 --npz " + dir + ".npz");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = test::run_cli("seqlets --npz " + dir + ".npz -o " + dir + ".bed");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return dir;
  }();
  return prefix;
}

// Annotates the motif world's seqlets against `meme` and checks recall and top-1 annotation
// of the planted instances; `equivalents` maps a planted name to the database ids a fair
// annotator may name.
void check_motif_world(const std::string& meme, const std::string& out,
                       std::map<std::string, std::set<std::string>> equivalents) {
  const std::string mw = motif_world_seqlets(), dir = mw + "_" + out;
  auto r = test::run_cli("motifs --npz " + mw + ".npz --seqlets " + mw + ".bed --motifs " + meme +
                         " --out-dir " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct Row {
    std::string chrom, best;
    int64_t start, end;
  };
  std::vector<Row> seqlets;
  std::string line;
  std::ifstream tsv(dir + "/seqlets.tsv");
  std::getline(tsv, line);  // header
  while (std::getline(tsv, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string tok;
    while (std::getline(ss, tok, '\t')) f.push_back(tok);
    seqlets.push_back({f[0], f[5], std::stoll(f[1]), std::stoll(f[2])});
  }
  std::ifstream inst(test::test_data("motif_world/instances.bed"));
  int instances = 0, recovered = 0, annotated = 0;
  std::set<std::size_t> used;
  while (std::getline(inst, line)) {
    std::stringstream ss(line);
    std::string chrom, name;
    int64_t start, end, score;
    ss >> chrom >> start >> end >> name >> score;
    if (score < 100) continue;  // effect weight >= 1.0
    ++instances;
    std::size_t best = seqlets.size();
    int64_t best_overlap = 0;
    for (std::size_t i = 0; i < seqlets.size(); ++i) {
      if (seqlets[i].chrom != chrom) continue;
      const int64_t o = std::min(end, seqlets[i].end) - std::max(start, seqlets[i].start);
      if (o > best_overlap) best_overlap = o, best = i;
    }
    if (best == seqlets.size() || 2 * best_overlap < end - start) continue;
    ++recovered;
    used.insert(best);
    annotated += equivalents[name].count(seqlets[best].best) > 0;
  }
  const double recall = double(recovered) / instances,
               accuracy = double(annotated) / std::max(1, recovered);
  std::printf(
      "[ metric ] motif world (%s): %d instances, recall %.3f, top-1 annotation %.3f, %zu "
      "seqlets, precision %.3f\n",
      out.c_str(), instances, recall, accuracy, seqlets.size(),
      double(used.size()) / seqlets.size());
  EXPECT_GE(recall, 0.8);
  EXPECT_GE(accuracy, 0.8);
  const std::string html = test::slurp(dir + "/report.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("GATA1"), std::string::npos);
  // Self-contained: no external scripts, styles or images (SVG namespaces are not fetched).
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
}

// The acceptance bar: the 879 JASPAR 2024 vertebrate motifs (from the shared folder), where
// family relatives of a planted motif count as correct.
TEST(MotifWorld, RecoversPlantedInstancesWithCorrectAnnotation) {
  SEQLIFT_REQUIRE_SHARED(jaspar, kJaspar);
  std::map<std::string, std::set<std::string>> equivalents;
  std::ifstream eq(test::test_data("motif_world/equivalents.tsv"));
  std::string line;
  while (std::getline(eq, line)) {
    const auto tab = line.find('\t');
    std::stringstream ss(line.substr(tab + 1));
    std::string item;
    while (std::getline(ss, item, ','))
      equivalents[line.substr(0, tab)].insert(item.substr(0, item.find('|')));
  }
  check_motif_world(jaspar, "jaspar", equivalents);
}

// The project's own database (data/example_motifs.meme, counted from the planted instances
// by scripts/make_example_motifs.py): each planted instance must be named by its own motif.
TEST(MotifWorld, BundledExampleMotifsAnnotatePlantedInstances) {
  std::map<std::string, std::set<std::string>> equivalents;
  std::ifstream motifs(test::test_data("motif_world/motifs.txt"));
  std::string id, name;
  double effect;
  while (motifs >> id >> name >> effect) equivalents[id + "_" + name] = {"example." + name};
  ASSERT_EQ(equivalents.size(), 5u);
  check_motif_world(std::string(SEQLIFT_DATA) + "/example_motifs.meme", "example", equivalents);
}

}  // namespace
}  // namespace seqlift
