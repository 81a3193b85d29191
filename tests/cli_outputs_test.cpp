// Issue 19: outputs that are not plain files, all-or-nothing outputs, inputs read from
// streams, empty shards, shard-order independence, batch independence of gc-genome, NaN
// reporting. Each test runs the real binary.
#include <bigWig.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>

#include "onnx_builder.hpp"
#include "seqlift/npy.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

const std::string kData = SEQLIFT_DATA;

std::string zoo_model() {
  return test::test_data("peer/zoo/model.onnx");
}
std::string zoo_fasta() {
  return test::test_data("peer/zoo/x.fa");
}

std::string fresh_dir(const std::string& name) {
  const std::string d = test::temp_dir() + "/" + name;
  EXPECT_EQ(std::system(("rm -rf " + d + " && mkdir -p " + d).c_str()), 0);
  return d;
}

int count_entries(const std::string& dir) {
  int n = 0;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") ++n;
    closedir(d);
  }
  return n;
}

mode_t lmode(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 ? st.st_mode : 0;
}

// ---- outputs that are not regular files ----

TEST(NonFileOutputs, DevNullIsWrittenThroughNeverReplaced) {
  for (const char* args : {"extract --fasta {X} -o /dev/null",
                           "score -m {M} --fasta {X} --n-refs 2 --npz /dev/null --regions-out "
                           "/dev/null"}) {
    std::string a = args;
    a.replace(a.find("{X}"), 3, zoo_fasta());
    if (a.find("{M}") != std::string::npos) a.replace(a.find("{M}"), 3, zoo_model());
    auto r = test::run_cli(a);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(S_ISCHR(lmode("/dev/null"))) << "/dev/null was replaced by: " << args;
  }
  // No temporary left beside /dev/null either.
  EXPECT_NE(std::system("ls /dev/null.tmp.* >/dev/null 2>&1"), 0);
}

TEST(NonFileOutputs, DevStdoutSymlinkKeptAndNpzStreamed) {
  const std::string dir = fresh_dir("stdout_npz");
  const mode_t before = lmode("/dev/stdout");
  auto r = test::run_cli("score -m " + zoo_model() + " --fasta " + zoo_fasta() +
                         " --n-refs 2 --npz /dev/stdout");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lmode("/dev/stdout"), before);
  // stdout carried the whole archive: the same bytes as a file output.
  auto f = test::run_cli("score -m " + zoo_model() + " --fasta " + zoo_fasta() +
                         " --n-refs 2 --npz " + dir + "/o.npz");
  ASSERT_EQ(f.exit_code, 0) << f.err;
  // stdout carried a whole archive with the same arrays (provenance names the command).
  ASSERT_GT(r.out.size(), 1000u);
  EXPECT_EQ(r.out.substr(0, 4), std::string("PK\x03\x04"));
  std::ofstream(dir + "/from_stdout.npz", std::ios::binary) << r.out;
  EXPECT_EQ(NpzReader(dir + "/from_stdout.npz").read_all("hyp"),
            NpzReader(dir + "/o.npz").read_all("hyp"));
  // "-" for text outputs streams the same FASTA as /dev/stdout and /dev/fd/1.
  auto a = test::run_cli("extract --fasta " + zoo_fasta() + " -o -");
  auto b = test::run_cli("extract --fasta " + zoo_fasta() + " -o /dev/stdout");
  auto c = test::run_cli("extract --fasta " + zoo_fasta() + " -o /dev/fd/1");
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.out, c.out);
  EXPECT_FALSE(a.out.empty());
}

TEST(NonFileOutputs, FifoReaderGetsTheOutputAndTheFifoStays) {
  const std::string dir = fresh_dir("fifo_out");
  ASSERT_EQ(std::system(("mkfifo " + dir + "/pipe").c_str()), 0);
  const std::string cmd = "cat " + dir + "/pipe > " + dir + "/got & " +
                          std::string(SEQLIFT_BINARY) + " extract --fasta " + zoo_fasta() + " -o " +
                          dir + "/pipe 2>/dev/null; echo $? > " + dir + "/rc; wait";
  ASSERT_EQ(std::system(("timeout 60 bash -c '" + cmd + "'").c_str()), 0);
  EXPECT_EQ(std::atoi(test::slurp(dir + "/rc").c_str()), 0);
  EXPECT_TRUE(S_ISFIFO(lmode(dir + "/pipe")));
  auto ref = test::run_cli("extract --fasta " + zoo_fasta());
  EXPECT_EQ(test::slurp(dir + "/got"), ref.out);
  EXPECT_EQ(count_entries(dir), 3);  // pipe, got, rc: no temporary left
}

TEST(NonFileOutputs, SymlinkToFileIsFollowedAndKept) {
  const std::string dir = fresh_dir("symlink_out");
  std::ofstream(dir + "/target.fa") << "old\n";
  ASSERT_EQ(std::system(("ln -s target.fa " + dir + "/link.fa").c_str()), 0);
  ASSERT_EQ(std::system(("ln -s made.fa " + dir + "/dangling.fa").c_str()), 0);
  auto r = test::run_cli("extract --fasta " + zoo_fasta() + " -o " + dir + "/link.fa");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto d = test::run_cli("extract --fasta " + zoo_fasta() + " -o " + dir + "/dangling.fa");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  auto ref = test::run_cli("extract --fasta " + zoo_fasta());
  EXPECT_TRUE(S_ISLNK(lmode(dir + "/link.fa")));
  EXPECT_TRUE(S_ISLNK(lmode(dir + "/dangling.fa")));
  EXPECT_EQ(test::slurp(dir + "/target.fa"), ref.out);
  EXPECT_EQ(test::slurp(dir + "/made.fa"), ref.out);
  EXPECT_EQ(count_entries(dir), 4);
}

TEST(NonFileOutputs, FullDeviceIsAnErrorNotATruncatedSuccess) {
  if (!S_ISCHR(lmode("/dev/full"))) GTEST_SKIP() << "no /dev/full";
  auto r = test::run_cli("score -m " + zoo_model() + " --fasta " + zoo_fasta() +
                         " --n-refs 2 --npz /dev/full");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
}

TEST(NonFileOutputs, InputIsLeftIntactWhenNamedAsOutput) {
  const std::string dir = fresh_dir("intact");
  const std::string genome = test::slurp(kData + "/example_genome.fa");
  std::ofstream(dir + "/g.fa") << genome;
  std::ofstream(dir + "/r.bed") << "chr1\t0\t1000\n";
  for (const std::string& out : {dir + "/g.fa", dir + "/./g.fa", dir + "/r.bed"}) {
    auto r = test::run_cli("score -m " + kData + "/example_model.onnx --genome " + dir +
                           "/g.fa --regions " + dir + "/r.bed --n-refs 2 --npz " + out);
    EXPECT_EQ(r.exit_code, 1) << out << ": " << r.err;
  }
  EXPECT_EQ(test::slurp(dir + "/g.fa"), genome);
  EXPECT_EQ(test::slurp(dir + "/r.bed"), "chr1\t0\t1000\n");
  EXPECT_EQ(count_entries(dir), 2);  // g.fa, r.bed: refused before the index was built
}

// ---- all or nothing ----

TEST(AllOrNothing, FailingLastOutputLeavesNoEarlierOne) {
  const std::string dir = fresh_dir("aon");
  std::ofstream(dir + "/r.bed") << "chr1\t0\t1000\nchr2\t0\t1000\n";
  // The bedGraph is written after the npz and the bigWig; its directory vanishes mid-run
  // (it is a file named like a directory), so only it fails.
  std::ofstream(dir + "/notadir") << "x";
  auto r = test::run_cli("score -m " + kData + "/example_model.onnx --genome " + kData +
                         "/example_genome.fa --regions " + dir + "/r.bed --n-refs 2 --npz " + dir +
                         "/o.npz --bigwig " + dir + "/o.bw --regions-out " + dir +
                         "/o.tsv --bedgraph " + dir + "/notadir/o.bg");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(count_entries(dir), 2) << "outputs left beside r.bed and notadir";
}

TEST(AllOrNothing, SignalsLeaveNoOutput) {
  for (const char* sig : {"HUP", "QUIT", "USR1", "USR2", "ALRM", "PIPE"}) {
    const std::string out = fresh_dir(std::string("sig19_") + sig);
    const int status = test::interrupted_score_status(out, sig, "1");
    EXPECT_GT(status, 128) << sig;
    EXPECT_EQ(count_entries(out), 0) << sig << ": files left in " << out;
  }
}

TEST(AllOrNothing, BigWigOnFullDiskIsNotCommitted) {
  const std::string dir = test::temp_dir() + "/tinyfs_bw";
  ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  // 600 KiB of a ~680 KiB bigWig. Where the disk fills up (while the values are added, or
  // in the zoom levels and index that bwClose() writes without reporting a failure)
  // depends on the kernel's tmpfs accounting; either way the run fails and leaves nothing.
  if (std::system(("mount -t tmpfs -o size=600k tmpfs " + dir + " 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here";
  auto r = test::run_cli("score -m " + kData + "/example_model.onnx --genome " + kData +
                         "/example_genome.fa --regions " + kData +
                         "/example_peaks.bed --n-refs 2 --bigwig " + dir + "/o.bw");
  const int left = count_entries(dir);
  std::system(("umount " + dir).c_str());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(dir + "/o.bw: the bigWig was not written completely"), std::string::npos)
      << r.err;
  EXPECT_EQ(left, 0);
}

TEST(AllOrNothing, BigWigOverTheFileSizeLimitIsNotCommitted) {
  // The same failure without root or a tmpfs: a 600 KiB file-size limit (ulimit -f). The
  // kernel then signals SIGXFSZ, which seqlift handles like any fatal signal.
  const std::string dir = fresh_dir("fsize_bw");
  const std::string cmd = "bash -c 'ulimit -f 600; " + std::string(SEQLIFT_BINARY) +
                          " -q score -m " + kData + "/example_model.onnx --genome " + kData +
                          "/example_genome.fa --regions " + kData +
                          "/example_peaks.bed --n-refs 2 --bigwig " + dir +
                          "/o.bw 2>/dev/null; echo $? > " + dir + ".status'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const int status = std::atoi(test::slurp(dir + ".status").c_str());
  EXPECT_TRUE(status == 2 || status == 128 + SIGXFSZ) << "exit status " << status;
  EXPECT_EQ(count_entries(dir), 0) << "files left in " << dir;
}

// ---- inputs that can be read only once ----

TEST(StreamInputs, StdinDevStdinAndProcessSubstitutionGiveTheFileResult) {
  const std::string dir = fresh_dir("stream_in");
  auto ref = test::run_cli("score -m " + zoo_model() + " --fasta " + zoo_fasta() +
                           " --n-refs 2 --npz " + dir + "/ref.npz");
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  const std::string base = "score -m " + zoo_model() + " --n-refs 2 --npz ";
  for (const std::string& args :
       {base + dir + "/a.npz --fasta - < " + zoo_fasta(),
        base + dir + "/b.npz --fasta /dev/stdin < " + zoo_fasta(),
        "--quiet " + base + dir + "/c.npz --fasta <(cat " + zoo_fasta() + ")"}) {
    const std::string cmd = "bash -c '" + std::string(SEQLIFT_BINARY) + " " + args + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << args;
  }
  auto same = [](const std::string& a, const std::string& b) {  // arrays, not provenance
    NpzReader x(a), y(b);
    return x.read_all("hyp") == y.read_all("hyp") && x.read_all("delta") == y.read_all("delta");
  };
  for (const char* n : {"a", "b", "c"})
    EXPECT_TRUE(same(dir + "/" + n + ".npz", dir + "/ref.npz")) << n;
  // BED regions and a references FASTA from process substitution.
  auto shuf = test::run_cli("shuffle --fasta " + zoo_fasta() + " -n 2 -o " + dir + "/refs.fa");
  ASSERT_EQ(shuf.exit_code, 0) << shuf.err;
  auto rf = test::run_cli("score -m " + zoo_model() + " --fasta " + zoo_fasta() + " --references " +
                          dir + "/refs.fa --npz " + dir + "/rf.npz");
  ASSERT_EQ(rf.exit_code, 0) << rf.err;
  ASSERT_EQ(std::system(("bash -c '" + std::string(SEQLIFT_BINARY) + " -q score -m " + zoo_model() +
                         " --fasta " + zoo_fasta() + " --references <(cat " + dir +
                         "/refs.fa) --npz " + dir + "/rf2.npz'")
                            .c_str()),
            0);
  EXPECT_TRUE(same(dir + "/rf2.npz", dir + "/rf.npz"));
  std::ofstream(dir + "/r.bed") << "chr1\t5000\t6000\tp0\nchr2\t1000\t2000\tp1\n";
  const std::string g = "score -m " + kData + "/example_model.onnx --genome " + kData +
                        "/example_genome.fa --n-refs 2 --npz ";
  ASSERT_EQ(test::run_cli(g + dir + "/g1.npz --regions " + dir + "/r.bed").exit_code, 0);
  ASSERT_EQ(std::system(("bash -c '" + std::string(SEQLIFT_BINARY) + " -q " + g + dir +
                         "/g2.npz --regions <(cat " + dir + "/r.bed)'")
                            .c_str()),
            0);
  EXPECT_TRUE(same(dir + "/g2.npz", dir + "/g1.npz"));
}

// ---- shards ----

std::string tie_bed(const std::string& dir) {
  // 24 windows; regions i, i+8, i+16 share a window (ties broken by input order), so
  // shard files 2, 10 and 6 hold windows that tie.
  std::ofstream bed(dir + "/tie.bed");
  for (int i = 0; i < 24; ++i) {
    const int s = 1000 + 700 * (i % 8);
    bed << "chr1\t" << s << "\t" << s + 1000 << "\tr" << i << "\n";
  }
  return dir + "/tie.bed";
}

TEST(Shards, EmptyShardExitsZeroWithValidEmptyOutputs) {
  const std::string dir = fresh_dir("empty_shard");
  std::ofstream(dir + "/r.bed") << "chr1\t5000\t6000\tp0\nchr2\t1000\t2000\tp1\n";
  auto r = test::run_cli("score -m " + kData + "/example_model.onnx --genome " + kData +
                         "/example_genome.fa --regions " + dir +
                         "/r.bed --n-refs 2 --shard 5/7"
                         " --npz " +
                         dir + "/e.npz --bigwig " + dir + "/e.bw --bedgraph " + dir +
                         "/e.bg --regions-out " + dir + "/e.tsv --modisco " + dir + "/m");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  NpzReader z(dir + "/e.npz");
  EXPECT_EQ(z.shape("proj"), (std::vector<int64_t>{0, 1, 4, 1000}));
  EXPECT_EQ(z.shape("names")[0], 0);
  NpzReader m(dir + "/m.hyp.npz");
  EXPECT_EQ(m.shape("arr_0")[0], 0);
  auto data_lines = [](const std::string& text) {  // '#' provenance lines aside
    int n = 0;
    for (std::size_t p = 0; p < text.size(); p = text.find('\n', p) + 1) {
      if (text[p] != '#') ++n;
      if (text.find('\n', p) == std::string::npos) break;
    }
    return n;
  };
  EXPECT_EQ(data_lines(test::slurp(dir + "/e.bg")), 0);
  EXPECT_EQ(data_lines(test::slurp(dir + "/e.tsv")), 1);  // the header
  bigWigFile_t* bw = bwOpen((dir + "/e.bw").c_str(), nullptr, "r");
  ASSERT_NE(bw, nullptr) << "empty bigWig does not open";
  EXPECT_EQ(bw->cl->nKeys, 3);
  bwClose(bw);
  // Merged with the shards that have regions, it gives the unsharded track.
  std::string inputs = dir + "/e.npz";
  for (int i : {0, 1}) {
    auto s =
        test::run_cli("score -m " + kData + "/example_model.onnx --genome " + kData +
                      "/example_genome.fa --regions " + dir + "/r.bed --n-refs 2 --shard " +
                      std::to_string(i) + "/7 --npz " + dir + "/s" + std::to_string(i) + ".npz");
    ASSERT_EQ(s.exit_code, 0) << s.err;
    inputs += " " + dir + "/s" + std::to_string(i) + ".npz";
  }
  auto full = test::run_cli("score -m " + kData + "/example_model.onnx --genome " + kData +
                            "/example_genome.fa --regions " + dir + "/r.bed --n-refs 2 --bigwig " +
                            dir + "/full.bw");
  ASSERT_EQ(full.exit_code, 0) << full.err;
  auto mg = test::run_cli("merge --genome " + kData + "/example_genome.fa --bigwig " + dir +
                          "/m.bw " + inputs);
  ASSERT_EQ(mg.exit_code, 0) << mg.err;
  EXPECT_EQ(test::slurp(dir + "/m.bw"), test::slurp(dir + "/full.bw"));
}

TEST(Shards, MergeDoesNotDependOnShardFileOrder) {
  const std::string dir = fresh_dir("merge_order");
  const std::string bed = tie_bed(dir);
  const std::string score = "score -m " + kData + "/example_model.onnx --genome " + kData +
                            "/example_genome.fa --regions " + bed + " --n-refs 2 ";
  auto full = test::run_cli(score + "--bigwig " + dir + "/full.bw");
  ASSERT_EQ(full.exit_code, 0) << full.err;
  std::vector<std::string> shards;
  for (int i = 0; i < 12; ++i) {
    shards.push_back(dir + "/shard" + std::to_string(i) + ".npz");
    auto s = test::run_cli(score + "--shard " + std::to_string(i) + "/12 --npz " + shards.back());
    ASSERT_EQ(s.exit_code, 0) << s.err;
  }
  std::vector<std::string> orders(3);
  for (int i = 0; i < 12; ++i) orders[0] += " " + shards[i];                          // numeric
  for (int i = 11; i >= 0; --i) orders[1] += " " + shards[i];                         // reversed
  for (int i : {0, 1, 10, 11, 2, 3, 4, 5, 6, 7, 8, 9}) orders[2] += " " + shards[i];  // ls order
  for (std::size_t k = 0; k < orders.size(); ++k) {
    const std::string out = dir + "/m" + std::to_string(k) + ".bw";
    auto m =
        test::run_cli("merge --genome " + kData + "/example_genome.fa --bigwig " + out + orders[k]);
    ASSERT_EQ(m.exit_code, 0) << m.err;
    EXPECT_EQ(test::slurp(out), test::slurp(dir + "/full.bw")) << "order " << k;
  }
}

// ---- references ----

TEST(GcGenome, RegionAloneEqualsRegionInBatch) {
  const std::string dir = fresh_dir("gc_alone");
  const std::string peaks = kData + "/example_peaks.bed";
  std::ifstream in(peaks);
  std::string first;
  std::getline(in, first);
  std::ofstream(dir + "/one.bed") << first << "\n";
  const std::string score = "score -m " + kData + "/example_model.onnx --genome " + kData +
                            "/example_genome.fa --references gc-genome --n-refs 3 --npz ";
  auto batch = test::run_cli(score + dir + "/batch.npz --regions " + peaks);
  auto alone = test::run_cli(score + dir + "/alone.npz --regions " + dir + "/one.bed");
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  NpzReader b(dir + "/batch.npz"), a(dir + "/alone.npz");
  ASSERT_GT(b.shape("proj")[0], 1);
  EXPECT_EQ(b.read_rows("hyp", 0, 1), a.read_rows("hyp", 0, 1));
  EXPECT_EQ(b.read_rows("delta", 0, 1), a.read_rows("delta", 0, 1));
}

// ---- numbers ----

TEST(Numbers, ThreadsAboveCoresAreCappedWithAWarning) {
  auto r = test::run_cli("score -m " + zoo_model() + " --fasta " + zoo_fasta() +
                         " --n-refs 2 --threads 4096 --regions-out -");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("more than the"), std::string::npos) << r.err;
}

TEST(Numbers, SymbolicLengthModelTakesLengthOrWidth) {
  const std::string dir = fresh_dir("dynamic");
  test::OnnxBuilder b(200);
  b.node("Conv", {"x", b.init("w", {1, 4, 3}, std::vector<float>(12, 0.1f))}, "c");
  b.node("GlobalAveragePool", {"c"}, "p");
  b.node("Flatten", {"p"}, "y");
  b.output("y");
  b.symbolic_length();
  b.save(dir + "/dyn.onnx");
  auto r = test::run_cli("score -m " + dir + "/dyn.onnx --fasta " + zoo_fasta() +
                         " --length 200 --n-refs 2 --npz " + dir + "/a.npz");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(NpzReader(dir + "/a.npz").shape("ohe"), (std::vector<int64_t>{3, 4, 200}));
  std::ofstream(dir + "/r.bed") << "chr1\t5000\t6000\n";
  auto w = test::run_cli("score -m " + dir + "/dyn.onnx --genome " + kData +
                         "/example_genome.fa --regions " + dir +
                         "/r.bed --width 300 --n-refs 2 --npz " + dir + "/w.npz");
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_EQ(NpzReader(dir + "/w.npz").shape("ohe"), (std::vector<int64_t>{1, 4, 300}));
  auto p =
      test::run_cli("predict -m " + dir + "/dyn.onnx --fasta " + zoo_fasta() + " --length 200");
  EXPECT_EQ(p.exit_code, 0) << p.err;
  // Sequences of another length than --length are refused as before.
  auto bad = test::run_cli("score -m " + dir + "/dyn.onnx --fasta " + zoo_fasta() +
                           " --length 150 --n-refs 2 --npz " + dir + "/b.npz");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

TEST(Numbers, NanOutputsReportNanSummationToDelta) {
  const std::string dir = fresh_dir("nan_s2d");
  // A model whose outputs are NaN for every input: the log of a negative number.
  test::OnnxBuilder b(200);
  b.node("Conv", {"x", b.init("w", {1, 4, 3}, std::vector<float>(12, -0.1f))}, "c");
  b.node("Log", {"c"}, "l");
  b.node("Flatten", {"l"}, "y");
  b.output("y");
  b.save(dir + "/nan.onnx");
  auto r = test::run_cli("score -m " + dir + "/nan.onnx --fasta " + zoo_fasta() +
                         " --n-refs 2 --regions-out " + dir + "/o.tsv");
  EXPECT_NE(r.err.find("summation-to-delta error nan"), std::string::npos) << r.err;
  const std::string tsv = test::slurp(dir + "/o.tsv");
  EXPECT_NE(tsv.find("\tnan\n"), std::string::npos) << tsv;
}

}  // namespace
}  // namespace seqlift
