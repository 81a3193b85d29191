// End-to-end `seqlift score` and `seqlift shuffle`.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "seqlift/fasta.hpp"
#include "seqlift/npy.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

using test::run_cli;

std::map<std::string, NpyArray> load_npz(const std::string& path) {
  std::map<std::string, NpyArray> m;
  for (auto& [k, v] : read_npz(path)) m[k] = v;
  return m;
}

TEST(CliScore, PeerReferencesFileMatchesTangermeme) {
  const std::string dir = test::test_data("peer/basset");
  const std::string out = test::temp_dir() + "/basset.npz";
  auto r = run_cli("score -m " + dir + "/model.onnx --fasta " + dir + "/x.fa --references " + dir +
                   "/refs.fa --target all --threads 2 --npz " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("3 regions x 4 references x 3 targets"), std::string::npos) << r.err;
  auto z = load_npz(out);
  EXPECT_EQ(z["hyp"].shape, (std::vector<int64_t>{3, 3, 4, 600}));
  EXPECT_EQ(z["delta"].shape, (std::vector<int64_t>{3, 3, 4}));
  EXPECT_EQ(z["ohe"].shape, (std::vector<int64_t>{3, 4, 600}));
  EXPECT_EQ(z["pred"].shape, (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(z["targets"].values, (std::vector<double>{0, 1, 2}));
  for (int t = 0; t < 3; ++t) {
    NpyArray tm = read_npy(dir + "/tm_hyp_t" + std::to_string(t) + ".npy");
    double mx = 0, worst = 0;
    for (double v : tm.values) mx = std::max(mx, std::fabs(v));
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 2400; ++j)
        worst = std::max(
            worst, std::fabs(z["hyp"].values[(i * 3 + t) * 2400 + j] - tm.values[i * 2400 + j]));
    EXPECT_LE(worst, 1e-4 * mx) << t;
  }
  // proj = hyp * ohe
  for (int j = 0; j < 2400; ++j)
    EXPECT_FLOAT_EQ(z["proj"].values[j], z["hyp"].values[j] * z["ohe"].values[j]);
}

TEST(CliScore, ReferenceCountMismatchIsDataError) {
  const std::string dir = test::test_data("peer/zoo");
  const auto refs = test::write_file("short_refs.fa", ">a\n" + std::string(200, 'A') + "\n");
  const std::string out = test::temp_dir() + "/mismatch.npz";
  auto r = run_cli("score -m " + dir + "/model.onnx --fasta " + dir + "/x.fa --references " + refs +
                   " --npz " + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("1 reference records for 3 input regions"), std::string::npos) << r.err;
  EXPECT_FALSE(test::file_exists(out));
  auto bad_len = test::write_file("len_refs.fa", ">a\nACGT\n>b\nACGT\n>c\nACGT\n");
  r = run_cli("score -m " + dir + "/model.onnx --fasta " + dir + "/x.fa --references " + bad_len +
              " --npz " + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("has length 4 but region 'seq0' has length 200"), std::string::npos)
      << r.err;
}

TEST(CliScore, UsageErrors) {
  const std::string m = test::test_data("peer/zoo/model.onnx"),
                    x = test::test_data("peer/zoo/x.fa");
  EXPECT_EQ(run_cli("score -m " + m + " --fasta " + x).exit_code, 1);  // no output
  EXPECT_EQ(run_cli("score -m " + m + " --fasta " + x + " --npz o.npz --target 7").exit_code, 1);
  EXPECT_EQ(run_cli("score -m " + m + " --fasta " + x + " --npz o.npz --rule magic").exit_code, 1);
  EXPECT_EQ(
      run_cli("score -m " + m + " --fasta " + x + " --npz o.npz --references flat:1,2").exit_code,
      1);
}

// Same references and results for 1 and 2 threads, and for a region scored alone.
TEST(CliScore, DeterministicAcrossThreadsAndSubsets) {
  const std::string data = SEQLIFT_DATA, dir = test::temp_dir();
  const std::string bed = test::write_file("five.bed", [&] {
    std::string s;
    for (int i = 0; i < 5; ++i)
      s += "chr1\t" + std::to_string(20000 + 3000 * i) + "\t" + std::to_string(21000 + 3000 * i) +
           "\tr" + std::to_string(i) + "\t0\t" + (i == 2 ? "-" : "+") + "\n";
    return s;
  }());
  const std::string one = test::write_file("one.bed", "chr1\t26000\t27000\tr2\t0\t-\n");
  const std::string base = "score -m " + data + "/example_model.onnx --genome " + data +
                           "/example_genome.fa --n-refs 4 --seed 3 ";
  ASSERT_EQ(run_cli(base + "--regions " + bed + " --threads 1 --npz " + dir + "/t1.npz").exit_code,
            0);
  ASSERT_EQ(run_cli(base + "--regions " + bed + " --threads 2 --npz " + dir + "/t2.npz").exit_code,
            0);
  EXPECT_EQ(test::npz_difference(dir + "/t1.npz", dir + "/t2.npz"), "");
  ASSERT_EQ(
      run_cli(base + "--regions " + one + " --threads 2 --npz " + dir + "/alone.npz").exit_code, 0);
  auto all = load_npz(dir + "/t1.npz"), alone = load_npz(dir + "/alone.npz");
  const int64_t n = 4 * 1000;
  for (int64_t j = 0; j < n; ++j)
    ASSERT_EQ(alone["hyp"].values[j], all["hyp"].values[2 * n + j]) << j;
  // The '-' region is reported in + orientation: its ohe equals the + strand genome.
  auto fwd = test::write_file("one_plus.bed", "chr1\t26000\t27000\tr2p\t0\t+\n");
  ASSERT_EQ(run_cli(base + "--regions " + fwd + " --npz " + dir + "/plus.npz").exit_code, 0);
  auto plus = load_npz(dir + "/plus.npz");
  EXPECT_EQ(plus["ohe"].values, alone["ohe"].values);
}

TEST(CliShuffle, WritesKConsecutiveRecordsUsableByScore) {
  const std::string dir = test::test_data("peer/zoo");
  const std::string refs = test::temp_dir() + "/zoo_refs.fa";
  auto r = run_cli("shuffle --fasta " + dir + "/x.fa --kind dinuc --n 3 --seed 5 -o " + refs);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto recs = read_fasta(refs);
  ASSERT_EQ(recs.size(), 9u);
  EXPECT_EQ(recs[0].name, "seq0_ref0");
  EXPECT_EQ(recs[5].name, "seq1_ref2");
  // score with the written references == score generating them itself
  const std::string a = test::temp_dir() + "/via_file.npz", b = test::temp_dir() + "/generated.npz";
  ASSERT_EQ(run_cli("score -m " + dir + "/model.onnx --fasta " + dir + "/x.fa --references " +
                    refs + " --npz " + a)
                .exit_code,
            0);
  ASSERT_EQ(run_cli("score -m " + dir + "/model.onnx --fasta " + dir +
                    "/x.fa --n-refs 3 --seed 5 --npz " + b)
                .exit_code,
            0);
  EXPECT_EQ(load_npz(a)["hyp"].values, load_npz(b)["hyp"].values);
  for (const char* kind : {"dinuc-uniform", "gc"})
    EXPECT_EQ(run_cli("shuffle --fasta " + dir + "/x.fa --kind " + kind + " --n 2").exit_code, 0)
        << kind;
  EXPECT_EQ(run_cli("shuffle --fasta " + dir + "/x.fa --kind flat:0.3,0.2,0.2,0.3").exit_code, 1);
}

TEST(CliShuffle, GcGenomeFromRegions) {
  const std::string data = SEQLIFT_DATA;
  auto r = run_cli("shuffle --genome " + data + "/example_genome.fa --regions " + data +
                   "/example_peaks.bed --width 500 --kind gc-genome --n 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '>'), 2 * 129);
}

}  // namespace
}  // namespace seqlift
