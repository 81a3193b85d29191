// References: dinucleotide shuffles (exactness, numpy compatibility, uniformity), GC
// matching, genome windows, determinism.
#include "seqlift/references.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "references/shuffle.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

std::map<std::string, int> dinucleotides(const std::string& s) {
  std::map<std::string, int> m;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) ++m[s.substr(i, 2)];
  return m;
}

void expect_preserved(const std::string& in, const std::string& out) {
  ASSERT_EQ(in.size(), out.size());
  if (in.empty()) return;
  EXPECT_EQ(in.front(), out.front()) << in;
  EXPECT_EQ(in.back(), out.back()) << in;
  EXPECT_EQ(dinucleotides(in), dinucleotides(out)) << in << " -> " << out;
}

TEST(DinucShuffle, MatchesNumpyRandomState1234) {
  std::mt19937 rng(1234);
  auto s = dinuc_shuffle("AACGTTAGCATGCAAGT", 3, rng);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0], "AAACAGCGCATTAGTGT");
  EXPECT_EQ(s[1], "ACGCAATAGCAAGTTGT");
  EXPECT_EQ(s[2], "AACAGTTAATGCGCAGT");
}

TEST(DinucShuffle, NumpyPermutationKnownValues) {
  std::mt19937 rng(0);  // numpy.random.RandomState(0).permutation(10)
  auto p = numpy_permutation(10, rng);
  EXPECT_EQ(p, (std::vector<int64_t>{2, 8, 4, 9, 1, 6, 7, 3, 0, 5}));
}

TEST(DinucShuffle, KeepsCountsAndEndsOnThousandsOfSequences) {
  std::mt19937 gen(99);
  const std::string alphabet = "ACGTN";
  for (int trial = 0; trial < 3000; ++trial) {
    const int len = 1 + static_cast<int>(gen() % 60);
    std::string seq;
    for (int j = 0; j < len; ++j) seq += alphabet[gen() % (trial % 3 == 0 ? 5 : 4)];
    std::mt19937 rng(trial);
    for (const auto& s : dinuc_shuffle(seq, 2, rng)) expect_preserved(seq, s);
    std::mt19937 rng2(trial);
    expect_preserved(seq, dinuc_shuffle_uniform(seq, rng2));
  }
}

TEST(DinucShuffle, LengthOneAndTwoAndSingleOrder) {
  std::mt19937 rng(1);
  EXPECT_EQ(dinuc_shuffle("A", 2, rng), (std::vector<std::string>{"A", "A"}));
  EXPECT_EQ(dinuc_shuffle("AC", 1, rng)[0], "AC");
  EXPECT_EQ(dinuc_shuffle_uniform("G", rng), "G");
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(dinuc_shuffle("ACTGACTGACTG", 1, rng)[0], "ACTGACTGACTG");
    EXPECT_EQ(dinuc_shuffle_uniform("ACTGACTGACTG", rng), "ACTGACTGACTG");
  }
}

TEST(DinucShuffle, UniformReachesEveryShuffle) {
  const std::string seq = "ACCCACGATGATG";
  std::set<std::string> fixed_tree, uniform;
  std::map<std::string, int> counts;
  for (int i = 0; i < 20000; ++i) {
    std::mt19937 a(i), b(i + 1000000);
    fixed_tree.insert(dinuc_shuffle(seq, 1, a)[0]);
    const std::string u = dinuc_shuffle_uniform(seq, b);
    uniform.insert(u);
    ++counts[u];
  }
  EXPECT_EQ(fixed_tree.size(), 9u);
  EXPECT_EQ(uniform.size(), 27u);
  // Uniform: each of the 27 about 20000/27 = 741 times (binomial sd ~27).
  for (const auto& [s, c] : counts) EXPECT_NEAR(c, 20000.0 / 27, 6 * 27) << s;
  std::printf("[ metric ] ACCCACGATGATG: fixed-tree reaches %zu distinct shuffles, uniform %zu\n",
              fixed_tree.size(), uniform.size());
}

Region make_region(const std::string& name, const std::string& seq) {
  return Region{name, seq, std::nullopt, 0};
}

TEST(References, DeterministicPerRegionNameAndIndex) {
  ReferenceOptions o;
  o.count = 5;
  o.seed = 7;
  auto a = make_reference_source(o), b = make_reference_source(o);
  const Region r = make_region("peak9", "ACGTTGCAACGGTACCATGACGTAGGCT");
  EXPECT_EQ(a->sequences(r), b->sequences(r));
  const Region other = make_region("peak10", r.sequence);
  EXPECT_NE(a->sequences(r), a->sequences(other));
  o.seed = 8;
  EXPECT_NE(make_reference_source(o)->sequences(r), a->sequences(r));
  for (const auto& s : a->sequences(r)) expect_preserved(r.sequence, s);
}

TEST(References, GcMatchedWithinSamplingError) {
  ReferenceOptions o;
  o.kind = "gc";
  o.count = 20;
  std::string seq;
  std::mt19937 gen(5);
  for (int j = 0; j < 2000; ++j) seq += (gen() % 10 < 7) ? "GC"[gen() % 2] : "AT"[gen() % 2];
  seq[10] = seq[11] = 'N';
  auto src = make_reference_source(o);
  double worst = 0;
  const double gc = gc_fraction(seq), sd = std::sqrt(gc * (1 - gc) / 1998);
  for (const auto& s : src->sequences(make_region("r", seq))) {
    EXPECT_EQ(s[10], 'N');
    EXPECT_EQ(s[11], 'N');
    worst = std::max(worst, std::fabs(gc_fraction(s) - gc));
    EXPECT_LE(std::fabs(gc_fraction(s) - gc), 4 * sd);
  }
  std::printf("[ metric ] gc references: region GC %.3f, worst |GC_ref - GC| %.4f (sd %.4f)\n", gc,
              worst, sd);
}

TEST(References, FlatReference) {
  ReferenceOptions o;
  o.kind = "flat:0.3,0.2,0.2,0.3";
  auto src = make_reference_source(o);
  EXPECT_EQ(src->count(), 1);
  std::vector<float> out(4 * 3);
  src->make(make_region("r", "ACG"), out.data());
  EXPECT_FLOAT_EQ(out[0], 0.3f);
  EXPECT_FLOAT_EQ(out[3], 0.2f);
  EXPECT_FLOAT_EQ(out[11], 0.3f);
  o.kind = "flat:0.3,0.2";
  EXPECT_THROW(make_reference_source(o), UsageError);
  o.kind = "bogus";
  EXPECT_THROW(make_reference_source(o), UsageError);
}

TEST(References, GcGenomeWindowsAreInTheGenomeMatchedAndOutsideExcluded) {
  const std::string data = SEQLIFT_DATA;
  ReferenceOptions o;
  o.kind = "gc-genome";
  o.count = 10;
  o.genome = data + "/example_genome.fa";
  o.exclude = data + "/example_peaks.bed";
  o.length = 200;
  auto src = make_reference_source(o);
  Genome genome(o.genome);
  std::string chr1 = genome.fetch("chr1", 0, genome.length("chr1"));
  std::string chr2 = genome.fetch("chr2", 0, genome.length("chr2"));
  std::string chrx = genome.fetch("chrX", 0, genome.length("chrX"));
  const std::string region = genome.fetch("chr1", 5400, 5600);  // inside peak0
  double worst = 0;
  for (const auto& w : src->sequences(make_region("q", region))) {
    std::size_t at = chr1.find(w);
    EXPECT_TRUE(at != std::string::npos || chr2.find(w) != std::string::npos ||
                chrx.find(w) != std::string::npos);
    if (at != std::string::npos) {  // peak0 is chr1:5000-6000
      EXPECT_TRUE(at + 200 <= 5000 || at >= 6000) << at;
    }
    worst = std::max(worst, std::fabs(gc_fraction(w) - gc_fraction(region)));
    EXPECT_LE(std::count(w.begin(), w.end(), 'N'), 20);
  }
  EXPECT_LE(worst, 0.02 + 1e-9);
  std::printf("[ metric ] gc-genome: worst |GC_window - GC_region| = %.4f\n", worst);
}

}  // namespace
}  // namespace seqlift
