// score's genome outputs: bigWig (read back with libBigWig's reader), bedGraph, modisco
// files, shards + merge, determinism, and failures that leave no output behind.
#include <bigWig.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>

#include "seqlift/npy.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

using test::run_cli;

const std::string kData = SEQLIFT_DATA;
const std::string kScore = "score -m " + kData + "/example_model.onnx --genome " + kData +
                           "/example_genome.fa --n-refs 3 --seed 1 ";

std::vector<float> bigwig_values(const std::string& path, const std::string& chrom, uint32_t start,
                                 uint32_t end) {
  static bool init = (bwInit(1 << 17), true);
  (void)init;
  bigWigFile_t* fp = bwOpen(path.c_str(), nullptr, "r");
  EXPECT_NE(fp, nullptr) << path;
  if (!fp) return {};
  bwOverlappingIntervals_t* o = bwGetValues(fp, chrom.c_str(), start, end, 1);
  std::vector<float> v;
  if (o) v.assign(o->value, o->value + o->l);
  bwDestroyOverlappingIntervals(o);
  bwClose(fp);
  return v;
}

// Per-base sum over ACGT of proj[i, 0] from an npz.
std::vector<float> npz_track(const NpzReader& z, int64_t i) {
  const auto& s = z.shape("proj");
  const int64_t L = s[3];
  auto p = z.read_rows("proj", i, 1);
  std::vector<float> v(L, 0.0f);
  for (int c = 0; c < 4; ++c)
    for (int64_t j = 0; j < L; ++j) v[j] += p[c * L + j];
  return v;
}

TEST(CliTracks, BigwigEqualsNpzAtEveryBaseIncludingMinusStrand) {
  const std::string dir = test::temp_dir();
  const auto bed =
      test::write_file("tr.bed", "chr1\t20000\t21000\ta\t0\t+\nchr2\t30000\t31000\tb\t0\t-\n");
  auto r = run_cli(kScore + "--regions " + bed + " --npz " + dir + "/tr.npz --bigwig " + dir +
                   "/tr.bw --bedgraph " + dir + "/tr.bg");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  NpzReader z(dir + "/tr.npz");
  EXPECT_EQ(z.read_strings("coords_chrom"), (std::vector<std::string>{"chr1", "chr2"}));
  EXPECT_EQ(z.read_all("coords_start"), (std::vector<double>{20000, 30000}));
  const char* chroms[] = {"chr1", "chr2"};
  const uint32_t starts[] = {20000, 30000};
  for (int i = 0; i < 2; ++i) {
    auto expect = npz_track(z, i);
    auto got = bigwig_values(dir + "/tr.bw", chroms[i], starts[i], starts[i] + 1000);
    ASSERT_EQ(got.size(), 1000u);
    for (int j = 0; j < 1000; ++j) ASSERT_FLOAT_EQ(got[j], expect[j]) << chroms[i] << " base " << j;
  }
  // bedGraph: a '#' provenance line, then one line per base, same values (6 significant
  // digits).
  const std::string bg = test::slurp(dir + "/tr.bg");
  EXPECT_EQ(std::count(bg.begin(), bg.end(), '\n'), 2001);
  EXPECT_EQ(bg.rfind("# {\"program\":\"seqlift\"", 0), 0u) << bg.substr(0, 200);
  EXPECT_NE(bg.find("\nchr1\t20000\t20001\t"), std::string::npos);
}

TEST(CliTracks, OverlappingWindowsTakeTheNearestCentre) {
  const std::string dir = test::temp_dir();
  // Windows [50000, 51000) (centre 50500) and [50600, 51600) (centre 51100): bases below
  // 50800 come from the first, from 50800 on from the second.
  const auto bed = test::write_file("ov.bed", "chr1\t50000\t51000\tw1\nchr1\t50600\t51600\tw2\n");
  ASSERT_EQ(
      run_cli(kScore + "--regions " + bed + " --npz " + dir + "/ov.npz --bigwig " + dir + "/ov.bw")
          .exit_code,
      0);
  NpzReader z(dir + "/ov.npz");
  auto w1 = npz_track(z, 0), w2 = npz_track(z, 1);
  auto got = bigwig_values(dir + "/ov.bw", "chr1", 50000, 51600);
  ASSERT_EQ(got.size(), 1600u);
  for (int p = 0; p < 1600; ++p) {
    const float expect = p < 800 ? w1[p] : w2[p - 600];
    ASSERT_FLOAT_EQ(got[p], expect) << "base " << 50000 + p;
  }
}

TEST(CliTracks, PaddedWindowAtChromosomeEnd) {
  const std::string dir = test::temp_dir();
  // chr2 is 250 kb: a 1000 bp window centred 100 bp before the end runs 350 bp off it.
  const auto bed = test::write_file("edge.bed", "chr2\t249800\t249900\tedge\n");
  ASSERT_EQ(run_cli(kScore + "--regions " + bed + " --width 1000 --npz " + dir +
                    "/e.npz --bigwig " + dir + "/e.bw")
                .exit_code,
            0);
  NpzReader z(dir + "/e.npz");
  auto ohe = z.read_rows("ohe", 0, 1);
  for (int j = 650; j < 1000; ++j)  // padded N: all-zero columns
    for (int c = 0; c < 4; ++c) ASSERT_EQ(ohe[c * 1000 + j], 0.0f) << j;
  auto got = bigwig_values(dir + "/e.bw", "chr2", 249350, 250000);
  ASSERT_EQ(got.size(), 650u);
  EXPECT_FALSE(std::isnan(got[0]));
  // With --edge skip the window is dropped (with a warning) and nothing is written.
  auto r =
      run_cli(kScore + "--regions " + bed + " --width 1000 --edge skip --npz " + dir + "/skip.npz");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no regions to score"), std::string::npos) << r.err;
}

TEST(CliTracks, ShardsMergedEqualTheUnshardedRunAndThreadsAgree) {
  const std::string dir = test::temp_dir(), peaks = kData + "/example_peaks.bed";
  const std::string base = kScore + "--regions " + peaks + " --width 1000 ";
  ASSERT_EQ(run_cli(base + "--threads 1 --bigwig " + dir + "/all1.bw --npz " + dir + "/all1.npz")
                .exit_code,
            0);
  ASSERT_EQ(run_cli(base + "--threads 2 --bigwig " + dir + "/all2.bw --npz " + dir + "/all2.npz")
                .exit_code,
            0);
  EXPECT_EQ(test::slurp(dir + "/all1.bw"), test::slurp(dir + "/all2.bw"));
  EXPECT_EQ(test::npz_difference(dir + "/all1.npz", dir + "/all2.npz"), "");
  for (int s = 0; s < 3; ++s)
    ASSERT_EQ(run_cli(base + "--shard " + std::to_string(s) + "/3 --npz " + dir + "/s" +
                      std::to_string(s) + ".npz")
                  .exit_code,
              0);
  auto r = run_cli("merge --genome " + kData + "/example_genome.fa --bigwig " + dir +
                   "/merged.bw " + dir + "/s0.npz " + dir + "/s1.npz " + dir + "/s2.npz");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("merge: 129 regions from 3 files"), std::string::npos) << r.err;
  for (const char* chrom : {"chr1", "chr2", "chrX"}) {
    auto a = bigwig_values(dir + "/all1.bw", chrom, 0, 150000),
         b = bigwig_values(dir + "/merged.bw", chrom, 0, 150000);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (std::isnan(a[i]) && std::isnan(b[i])) continue;
      ASSERT_EQ(a[i], b[i]) << chrom << ":" << i;
    }
  }
  EXPECT_EQ(run_cli(base + "--shard 3/3 --npz x.npz").exit_code, 1);
}

TEST(CliTracks, ModiscoFilesAndRegionsTsv) {
  const std::string dir = test::temp_dir();
  const auto bed =
      test::write_file("mo.bed", "chr1\t20000\t21000\ta\nchrX\t40000\t41000\tb\t0\t-\n");
  auto r = run_cli(kScore + "--regions " + bed + " --modisco " + dir + "/mo --regions-out " + dir +
                   "/mo.tsv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  NpzReader ohe(dir + "/mo.ohe.npz"), hyp(dir + "/mo.hyp.npz");
  EXPECT_EQ(ohe.shape("arr_0"), (std::vector<int64_t>{2, 4, 1000}));
  EXPECT_EQ(hyp.shape("arr_0"), (std::vector<int64_t>{2, 4, 1000}));
  EXPECT_EQ(test::slurp(dir + "/mo.regions.bed"),
            "chr1\t20000\t21000\ta\t0\t+\nchrX\t40000\t41000\tb\t0\t-\n");
  const std::string tsv = test::slurp(dir + "/mo.tsv");
  EXPECT_EQ(tsv.rfind("# {\"program\":\"seqlift\"", 0), 0u);
  EXPECT_NE(tsv.find("\nname\tchrom\tstart\tend\tstrand\tgc\tpred_0\tmax_delta_error\n"),
            std::string::npos);
  EXPECT_NE(tsv.find("\nb\tchrX\t40000\t41000\t-\t"), std::string::npos) << tsv;
}

TEST(CliTracks, FailuresLeaveNoOutputs) {
  const std::string dir = test::temp_dir();
  const auto bad = test::write_file("bad_tr.bed", "chr1\t20000\t21000\ta\nchr1\t900\t100\tb\n");
  const std::string outs = " --npz " + dir + "/f.npz --bigwig " + dir + "/f.bw --modisco " + dir +
                           "/f --regions-out " + dir + "/f.tsv";
  auto r = run_cli(kScore + "--regions " + bad + outs);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad_tr.bed line 2: end 100 < start 900"), std::string::npos) << r.err;
  const auto missing =
      test::write_file("missing_tr.bed", "chr1\t20000\t21000\ta\nchr9\t100\t900\tb\n");
  r = run_cli(kScore + "--regions " + missing + outs);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("missing_tr.bed line 2: chromosome 'chr9' is not in the genome"),
            std::string::npos)
      << r.err;
  for (const char* f : {"/f.npz", "/f.bw", "/f.ohe.npz", "/f.hyp.npz", "/f.regions.bed", "/f.tsv"})
    EXPECT_FALSE(test::file_exists(dir + f)) << f;
  EXPECT_EQ(test::run_cli("score -m " + kData + "/example_model.onnx --fasta " +
                          test::test_data("peer/zoo/x.fa") + " --bigwig " + dir + "/f.bw")
                .exit_code,
            1);
}

TEST(CliTracks, RevcompAverageIsStrandSymmetric) {
  const std::string dir = test::temp_dir();
  const auto plus = test::write_file("rc_plus.bed", "chr1\t20000\t21000\tp\t0\t+\n");
  const auto minus = test::write_file("rc_minus.bed", "chr1\t20000\t21000\tp\t0\t-\n");
  // Flat references are strand-symmetric, so both orientations must give the same result.
  const std::string base =
      "score -m " + kData + "/example_model.onnx --genome " + kData +
      "/example_genome.fa --references flat:0.25,0.25,0.25,0.25 --revcomp-average --regions ";
  ASSERT_EQ(run_cli(base + plus + " --npz " + dir + "/rcp.npz").exit_code, 0);
  ASSERT_EQ(run_cli(base + minus + " --npz " + dir + "/rcm.npz").exit_code, 0);
  NpzReader a(dir + "/rcp.npz"), b(dir + "/rcm.npz");
  auto ha = a.read_rows("hyp", 0, 1), hb = b.read_rows("hyp", 0, 1);
  double mx = 0;
  for (float v : ha) mx = std::max(mx, double(std::fabs(v)));
  for (std::size_t i = 0; i < ha.size(); ++i) ASSERT_NEAR(ha[i], hb[i], 1e-5 * mx) << i;
}

// examples/Snakefile on the bundled example: sharded scoring + merge, as in CI.
TEST(Workflow, SnakefileRunsShardedScoringMergeAndMotifs) {
  if (std::system("snakemake --version > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "snakemake is not installed";
  const std::string dir = test::temp_dir() + "/snake";
  const std::string repo = std::string(SEQLIFT_DATA) + "/..";
  const std::string cmd =
      "snakemake -s " + repo + "/examples/Snakefile --cores 2 --quiet --directory " + dir +
      " --config seqlift=" + SEQLIFT_BINARY + " model=" + kData +
      "/example_model.onnx genome=" + kData + "/example_genome.fa peaks=" + kData +
      "/example_peaks.bed motifs=" + kData +
      "/example_motifs.meme out=" + dir + "/out n_refs=2 shards=2 > " +
      dir + ".log 2>&1";
  ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  ASSERT_EQ(std::system(cmd.c_str()), 0) << test::slurp(dir + ".log");
  auto v = bigwig_values(dir + "/out/contributions.bw", "chr1", 5000, 6000);  // peak0
  ASSERT_EQ(v.size(), 1000u);
  EXPECT_FALSE(std::isnan(v[500]));
  EXPECT_NE(test::slurp(dir + "/out/motifs/report.html").find("<svg"), std::string::npos);
  EXPECT_TRUE(test::file_exists(dir + "/out/motifs/motifs.tsv"));
  // Seqlets come from every shard: peak0 is in shard 0/2, peak1 in shard 1/2.
  const std::string seqlets = test::slurp(dir + "/out/seqlets.bed");
  EXPECT_NE(seqlets.find("\tpeak0\n"), std::string::npos);
  EXPECT_NE(seqlets.find("\tpeak1\n"), std::string::npos);
}

}  // namespace
}  // namespace seqlift
