// In-silico mutagenesis: the receptive-cone runner against brute-force predictions of
// each mutant on every kind of model the tests hold, and `seqlift ism` end to end.
#include <gtest/gtest.h>

#include <algorithm>
#include <bigWig.h>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/ism.hpp"
#include "seqlift/model.hpp"
#include "seqlift/npy.hpp"
#include "seqlift/predict.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

const std::string kGenome = std::string(SEQLIFT_DATA) + "/example_genome.fa";
const std::string kModel = std::string(SEQLIFT_DATA) + "/example_model.onnx";

std::string random_dna(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, 'A');
  for (auto& c : s) c = "ACGT"[rng() % 4];
  return s;
}

// Brute force: every mutant sequence built as a string and predicted on its own.
std::vector<float> brute_force(const Model& m, const std::string& seq,
                               const std::vector<Mutation>& muts) {
  std::vector<Region> mutants(muts.size());
  for (std::size_t i = 0; i < muts.size(); ++i) {
    mutants[i].sequence = seq;
    mutants[i].sequence[muts[i].pos] = "ACGT"[muts[i].base];
  }
  const auto x = encode_batch(mutants, m.input_length(), "test");
  return predict_batch(m, x.data(), int64_t(muts.size()), 2);
}

struct ModelCase {
  const char* name;
  std::string path;
  bool expect_cone;
};

class IsmModels : public ::testing::TestWithParam<ModelCase> {};

TEST_P(IsmModels, ConeEqualsBruteForce) {
  const ModelCase& c = GetParam();
  auto model = load_model(c.path);
  const int64_t L = model->input_length();
  const std::string seq = random_dna(L, 7);
  // Positions at both edges, around the middle and a few scattered ones.
  std::vector<Mutation> muts;
  std::vector<int64_t> positions{0, 1, L / 2 - 1, L / 2, L / 2 + 1, L - 2, L - 1};
  if (L <= 1000)
    for (int64_t p : {int64_t(5), L / 3, L / 2 + 9, 2 * L / 3, L - 6}) positions.push_back(p);
  for (int64_t p : positions) {
    auto m = saturation_mutations(seq, p, p + 1);
    muts.insert(muts.end(), m.begin(), m.end());
  }
  std::sort(muts.begin(), muts.end(),
            [](const Mutation& a, const Mutation& b) { return a.pos < b.pos; });
  const auto truth = brute_force(*model, seq, muts);
  const auto x = one_hot(seq);
  double scale = 0;
  for (float v : truth) scale = std::max(scale, double(std::fabs(v)));
  for (int64_t block : {int64_t(7), int64_t(48)}) {
    MutantRunner cone(*model, true, block);
    EXPECT_EQ(cone.cone_nodes() > 0, c.expect_cone) << c.name;
    const auto y = cone.run(x.data(), muts, 2);
    ASSERT_EQ(y.size(), truth.size());
    for (std::size_t i = 0; i < y.size(); ++i)
      ASSERT_NEAR(y[i], truth[i], 1e-5 * std::max(double(std::fabs(truth[i])), 1e-2 * scale))
          << c.name << " block " << block << " mutant " << i / model->output_size() << " value "
          << i % model->output_size();
  }
  if (L > 1000) return;  // the no-cone path is the same predict() as the truth
  MutantRunner full(*model, false, 5);
  EXPECT_EQ(full.cone_nodes(), 0);
  const auto y = full.run(x.data(), muts, 2);
  for (std::size_t i = 0; i < y.size(); ++i)
    ASSERT_NEAR(y[i], truth[i], 1e-5 * std::max(double(std::fabs(truth[i])), 1e-2 * scale));
}

INSTANTIATE_TEST_SUITE_P(
    AllModels, IsmModels,
    ::testing::Values(ModelCase{"example", kModel, true},
                      ModelCase{"basset", test::test_data("peer/basset/model.onnx"), true},
                      ModelCase{"zoo", test::test_data("peer/zoo/model.onnx"), true},
                      ModelCase{"bpnet", test::test_data("peer/bpnet/model.onnx"), true},
                      ModelCase{"keras_zoo", test::test_data("keras/zoo.h5"), true},
                      ModelCase{"keras_bpnet", test::test_data("keras/bpnet.h5"), true},
                      ModelCase{"chrombpnet", test::test_data("keras/chrombpnet.h5"), true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Ism, SaturationMutations) {
  auto m = saturation_mutations("ANgT", 0, 4);
  ASSERT_EQ(m.size(), 3u + 4u + 3u + 3u);
  EXPECT_EQ(m[0].pos, 0);
  EXPECT_EQ(m[0].base, 1);  // A's alternatives: C, G, T
  EXPECT_EQ(m[3].pos, 1);   // N: all four
  EXPECT_EQ(m[7].pos, 2);
  EXPECT_EQ(m[7].base, 0);
  EXPECT_EQ(saturation_mutations("ACGT", 1, 2).size(), 3u);
  auto model = load_model(kModel);
  MutantRunner r(*model);
  std::vector<float> x(4000, 0.25f);
  EXPECT_THROW(r.run(x.data(), {{5, 0}, {3, 1}}, 1), UsageError);  // unsorted
  EXPECT_THROW(r.run(x.data(), {{1000, 0}}, 1), UsageError);
}

TEST(Ism, CorrelationOfIdenticalScores) {
  // ISM's per-base score is -(1/4) sum_c effect; a projected track proportional to it
  // correlates exactly.
  const std::string seq = "ACGTACGTAC";
  const int64_t L = 10;
  std::vector<float> eff(4 * L, 0.0f), proj(4 * L, 0.0f);
  std::mt19937 rng(3);
  for (int64_t j = 0; j < L; ++j) {
    double s = 0;
    for (int c = 0; c < 4; ++c)
      if (c != base_index(seq[j])) s += eff[c * L + j] = float(rng() % 100) / 10 - 5;
    proj[base_index(seq[j]) * L + j] = float(-0.5 * s);
  }
  EXPECT_NEAR(ism_deeplift_correlation(eff.data(), proj.data(), seq, 0, L), 1.0, 1e-6);
  for (auto& v : proj) v = -v;
  EXPECT_NEAR(ism_deeplift_correlation(eff.data(), proj.data(), seq, 0, L), -1.0, 1e-6);
  std::vector<float> flat(4 * L, 0.0f);
  EXPECT_TRUE(std::isnan(ism_deeplift_correlation(eff.data(), flat.data(), seq, 0, L)));
}

std::map<std::string, NpyArray> load_npz(const std::string& path) {
  std::map<std::string, NpyArray> m;
  for (auto& [k, v] : read_npz(path)) m[k] = v;
  return m;
}

TEST(CliIsm, MotifWorldEffectsTracksAndDeepliftCorrelation) {
  const std::string dir = test::temp_dir();
  // Two peaks, one scored on the minus strand.
  const std::string bed = test::write_file(
      "ism.bed", "chr1\t9200\t10200\tpeak1\t0\t+\nchr1\t17606\t18606\tpeak2\t0\t-\n");
  const std::string npz = dir + "/ism.npz", bw = dir + "/ism.bw", tsv = dir + "/ism.tsv";
  const int64_t W = 120, L = 1000, lo = (L - W) / 2;
  auto r = test::run_cli("ism -m " + kModel + " --genome " + kGenome + " --regions " + bed +
                         " --window " + std::to_string(W) + " --npz " + npz + " --bigwig " + bw +
                         " --regions-out " + tsv + " --n-refs 8 --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("DeepLIFT correlation mean"), std::string::npos) << r.err;
  auto z = load_npz(npz);
  ASSERT_EQ(z["ism"].shape, (std::vector<int64_t>{2, 1, 4, L}));
  auto model = load_model(kModel);
  Genome g(kGenome);
  const int64_t starts[2] = {9200, 17606};
  for (int i = 0; i < 2; ++i) {
    // Scoring orientation: + for peak1, reverse complement for peak2; arrays are in +.
    const std::string plus = g.fetch("chr1", starts[i], starts[i] + L);
    const std::string seq = i == 0 ? plus : reverse_complement(plus);
    const auto x = one_hot(seq);
    const double y0 = model->predict(x.data(), 1)[0];
    EXPECT_NEAR(z["pred"].values[i], y0, 1e-5 * std::fabs(y0));
    const std::vector<Mutation> all = saturation_mutations(seq, lo, lo + W);
    std::vector<Mutation> some;
    for (std::size_t k = 0; k < all.size(); k += 17) some.push_back(all[k]);
    const auto truth = brute_force(*model, seq, some);
    for (std::size_t k = 0; k < some.size(); ++k) {
      // Position in + orientation.
      const int64_t j = i == 0 ? some[k].pos : L - 1 - some[k].pos;
      const int c = i == 0 ? some[k].base : 3 - some[k].base;
      const double got = z["ism"].values[(i * 4 + c) * L + j];
      EXPECT_NEAR(got, truth[k] - y0, 1e-5 * std::fabs(y0)) << i << " " << j;
    }
    double max_outside = 0;
    for (int c = 0; c < 4; ++c)
      for (int64_t j = 0; j < L; ++j) {
        const bool inside = j >= L - lo - W && j < L - lo && j >= lo && j < lo + W;
        const double v = z["ism"].values[(i * 4 + c) * L + j];
        if (!inside) max_outside = std::max(max_outside, std::fabs(v));
        if (base_index(plus[j]) == c) {
          EXPECT_EQ(v, 0.0);  // observed base
        }
      }
    EXPECT_EQ(max_outside, 0.0);
    EXPECT_GT(z["corr"].values[i], 0.3) << i;  // ISM and DeepLIFT agree on the motif
  }
  // bigWig: per-base max |effect| over the window, in genome coordinates.
  bigWigFile_t* f = bwOpen(const_cast<char*>(bw.c_str()), nullptr, "r");
  ASSERT_NE(f, nullptr);
  bwOverlappingIntervals_t* iv = bwGetValues(f, const_cast<char*>("chr1"), starts[0] + lo,
                                             starts[0] + lo + W, 0);
  ASSERT_NE(iv, nullptr);
  ASSERT_EQ(iv->l, uint32_t(W));
  for (int64_t j = 0; j < W; ++j) {
    double mx = 0;
    for (int c = 0; c < 4; ++c)
      mx = std::max(mx, std::fabs(z["ism"].values[c * L + lo + j]));
    EXPECT_NEAR(iv->value[j], mx, 1e-6);
  }
  bwDestroyOverlappingIntervals(iv);
  bwClose(f);
  const std::string t = test::slurp(tsv);
  EXPECT_NE(t.find("peak1\tchr1\t9200\t10200\t+"), std::string::npos) << t;
  EXPECT_NE(t.find("peak2\tchr1\t17606\t18606\t-"), std::string::npos) << t;

  // --no-cone gives the same effects.
  const std::string npz2 = dir + "/ism_full.npz";
  r = test::run_cli("ism -m " + kModel + " --genome " + kGenome + " --regions " + bed +
                    " --window " + std::to_string(W) + " --npz " + npz2 +
                    " --no-cone --no-deeplift --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto z2 = load_npz(npz2);
  for (std::size_t k = 0; k < z["ism"].values.size(); ++k)
    ASSERT_NEAR(z["ism"].values[k], z2["ism"].values[k], 1e-5);
  EXPECT_TRUE(std::isnan(z2["corr"].values[0]));
}

TEST(CliIsm, ProfileTargetIsTheWeightedProfileOfEachMutant) {
  const std::string path = test::test_data("keras/chrombpnet.h5");
  auto model = load_model(path);
  const int64_t L = model->input_length();
  const std::string seq = random_dna(L, 11);
  const std::string fa = test::write_file("cbp_ism.fa", ">s\n" + seq + "\n");
  const std::string npz = test::temp_dir() + "/cbp_ism.npz";
  auto r = test::run_cli("ism -m " + path + " --fasta " + fa +
                         " --target profile:logits_profile_predictions --window 6 --npz " + npz +
                         " --n-refs 4 --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto z = load_npz(npz);
  auto x = one_hot(seq);
  const auto y0 = model->predict(x.data(), 1);
  // w = softmax(l - mean l) of the unmutated sequence; target = sum w (l - mean l).
  std::vector<double> w(1000);
  double mx = -1e30, s = 0;
  for (int i = 0; i < 1000; ++i) mx = std::max(mx, double(y0[i]));
  for (int i = 0; i < 1000; ++i) s += w[i] = std::exp(y0[i] - mx);
  auto target = [&](const std::vector<float>& y) {
    double mean = 0, t = 0;
    for (int i = 0; i < 1000; ++i) mean += y[i] / 1000.0;
    for (int i = 0; i < 1000; ++i) t += w[i] / s * (y[i] - mean);
    return t;
  };
  const double t0 = target(y0);
  const auto muts = saturation_mutations(seq, (L - 6) / 2, (L - 6) / 2 + 6);
  const auto truth = brute_force(*model, seq, muts);
  const int64_t n = model->output_size();
  for (std::size_t k = 0; k < muts.size(); ++k) {
    std::vector<float> y(truth.begin() + k * n, truth.begin() + (k + 1) * n);
    EXPECT_NEAR(z["ism"].values[muts[k].base * L + muts[k].pos], target(y) - t0, 1e-5);
  }
}

TEST(CliIsm, Errors) {
  auto r = test::run_cli("ism -m " + kModel + " --genome " + kGenome + " --regions x.bed");
  EXPECT_EQ(r.exit_code, 1) << r.err;  // no output
  const std::string fa = test::write_file("short_ism.fa", ">s\nACGT\n");
  r = test::run_cli("ism -m " + kModel + " --fasta " + fa + " --npz " + test::temp_dir() +
                    "/e.npz");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = test::run_cli("ism -m " + kModel + " --fasta " + fa + " --target profile:nope --npz " +
                    test::temp_dir() + "/e.npz");
  EXPECT_EQ(r.exit_code, 1) << r.err;
}

}  // namespace
}  // namespace seqlift
