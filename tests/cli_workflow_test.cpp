// The workflow of chrombpnet / bpnet-lite / tangermeme users, run as they would type it:
// targets by name in one run, per-target tracks, the chrombpnet h5 (opened with h5py),
// provenance, width from the model, --region / --chroms, help, progress, sharded
// seqlets/motifs, PyTorch files given as models.
#include <bigWig.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "seqlift/npy.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

using test::run_cli;

const std::string kData = SEQLIFT_DATA;
const std::string kGenome = kData + "/example_genome.fa";

std::string chrombpnet() {
  return test::test_data("keras/chrombpnet.h5");
}

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

std::map<std::string, NpyArray> load_npz(const std::string& path) {
  std::map<std::string, NpyArray> m;
  for (auto& [k, v] : read_npz(path)) m[k] = v;
  return m;
}

// Two narrowPeak-free BED regions (one on '-'), scored with the model's own width.
std::string two_regions() {
  return test::write_file("wf_two.bed",
                          "chr1\t20000\t21000\tp1\t0\t+\nchr2\t30000\t31000\tp2\t0\t-\n");
}
// The 2114 bp windows chrombpnet scores around the midpoints of two_regions().
const uint32_t kStart1 = 20500 - 1057, kStart2 = 30500 - 1057, kL = 2114;

TEST(CliWorkflow, OneRunCountsProfileEqualsTwoSingleTargetRuns) {
  const std::string dir = test::temp_dir(), bed = two_regions();
  const std::string base =
      "score -m " + chrombpnet() + " --genome " + kGenome + " --regions " + bed + " --n-refs 3 ";
  auto both = run_cli(base + "--target counts,profile --bigwig " + dir + "/both.bw --npz " + dir +
                      "/both.npz");
  ASSERT_EQ(both.exit_code, 0) << both.err;
  // The summary names every file written.
  EXPECT_NE(both.err.find("wrote " + dir + "/both.npz, " + dir + "/both.counts.bw, " + dir +
                          "/both.profile.bw"),
            std::string::npos)
      << both.err;
  auto counts = run_cli(base + "--target counts --bigwig " + dir + "/counts.bw");
  ASSERT_EQ(counts.exit_code, 0) << counts.err;
  auto profile = run_cli(base + "--target profile --bigwig " + dir + "/profile.bw");
  ASSERT_EQ(profile.exit_code, 0) << profile.err;
  EXPECT_FALSE(test::file_exists(dir + "/both.bw"));
  for (auto [one_run, single] : {std::pair<std::string, std::string>{"both.counts.bw", "counts.bw"},
                                 {"both.profile.bw", "profile.bw"}})
    for (auto [chrom, start] :
         {std::pair<std::string, uint32_t>{"chr1", kStart1}, {"chr2", kStart2}}) {
      const auto a = bigwig_values(dir + "/" + one_run, chrom, start, start + kL);
      const auto b = bigwig_values(dir + "/" + single, chrom, start, start + kL);
      ASSERT_EQ(a.size(), kL) << one_run;
      ASSERT_EQ(b.size(), kL) << single;
      for (uint32_t j = 0; j < kL; ++j)
        ASSERT_EQ(a[j], b[j]) << one_run << " " << chrom << " " << j;
    }
  // The two tracks differ (they explain different heads), and the npz holds both by name.
  const auto c = bigwig_values(dir + "/counts.bw", "chr1", kStart1, kStart1 + kL);
  const auto p = bigwig_values(dir + "/profile.bw", "chr1", kStart1, kStart1 + kL);
  EXPECT_NE(c, p);
  auto z = load_npz(dir + "/both.npz");
  EXPECT_EQ(z["target_names"].strings, (std::vector<std::string>{"counts", "profile"}));
  EXPECT_EQ(z["targets"].values, (std::vector<double>{1000, -1}));  // counts = element 1000
  EXPECT_EQ(z["hyp"].shape, (std::vector<int64_t>{2, 2, 4, kL}));
  // merge picks a target of the npz by its name.
  auto m = run_cli("merge --genome " + kGenome + " --target profile --bigwig " + dir +
                   "/merged.bw " + dir + "/both.npz");
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_EQ(bigwig_values(dir + "/merged.bw", "chr1", kStart1, kStart1 + kL), p);
  auto bad = run_cli("merge --genome " + kGenome + " --target nope --bigwig " + dir +
                     "/m2.bw " + dir + "/both.npz");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("named counts, profile"), std::string::npos) << bad.err;
}

TEST(CliWorkflow, OutputNamesIndicesAndAliasesAgree) {
  const std::string dir = test::temp_dir(), bed = two_regions();
  const std::string base = "score -m " + chrombpnet() + " --genome " + kGenome + " --regions " +
                           bed + " --n-refs 2 --regions-out ";
  std::map<std::string, std::string> tsv;
  for (const std::string t :
       {"counts", "logcount_predictions", "1000", "profile:logits_profile_predictions"}) {
    const std::string out = dir + "/names_" + std::to_string(tsv.size()) + ".npz";
    auto r = run_cli(base + dir + "/n.tsv --target " + t + " --npz " + out);
    ASSERT_EQ(r.exit_code, 0) << t << ": " << r.err;
    tsv[t] = out;
  }
  auto hyp = [&](const std::string& t) { return load_npz(tsv[t])["hyp"].values; };
  EXPECT_EQ(hyp("counts"), hyp("logcount_predictions"));
  EXPECT_EQ(hyp("counts"), hyp("1000"));
  EXPECT_EQ(load_npz(tsv["logcount_predictions"])["target_names"].strings,
            std::vector<std::string>{"logcount_predictions"});
  // TSV headers carry the names; an unknown name lists the outputs (exit 1).
  auto r = run_cli(base + "- --target counts,profile");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\nname\tchrom\tstart\tend\tstrand\tgc\tpred_counts\tpred_profile\t"),
            std::string::npos)
      << r.out.substr(0, 400);
  auto bad = run_cli(base + "- --target nope");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("logcount_predictions (1 element, indices 1000..1000)"), std::string::npos)
      << bad.err;
  EXPECT_NE(bad.err.find("logits_profile_predictions (1000 elements"), std::string::npos);
  auto dup = run_cli(base + "- --target counts,counts");
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_NE(dup.err.find("names 'counts' twice"), std::string::npos) << dup.err;
}

// Writes a Python script and runs it with Debian's python3 (h5py, numpy); returns its exit
// status, or -1 when h5py is missing.
int run_python(const std::string& name, const std::string& code, std::string& output) {
  if (std::system("/usr/bin/python3 -c 'import h5py, numpy' >/dev/null 2>&1") != 0) return -1;
  const std::string script = test::write_file(name, code);
  const std::string log = script + ".log";
  const int status = std::system(("/usr/bin/python3 " + script + " >" + log + " 2>&1").c_str());
  output = test::slurp(log);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(CliWorkflow, ChrombpnetH5OpensInH5pyAsModiscoReadsIt) {
  const std::string dir = test::temp_dir(), bed = two_regions();
  auto r = run_cli("score -m " + chrombpnet() + " --genome " + kGenome + " --regions " + bed +
                   " --n-refs 2 --seed 5 --target counts,profile --h5 " + dir + "/cb.h5 --npz " +
                   dir + "/cb.npz");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Independent reader: h5py. The slicing is tfmodisco-lite's `modisco motifs -i` reader
  // (modisco CLI: scores['shap']['seq'][:, :, start:end].transpose(0, 2, 1), likewise
  // raw/seq), which needs [N, 4, L].
  const std::string code = R"(import h5py, json, numpy as np, sys
d = sys.argv[1] if len(sys.argv) > 1 else ")" +
                           dir + R"("
z = np.load(d + "/cb.npz")
for t, name in enumerate(["counts", "profile"]):
    with h5py.File(d + "/cb." + name + ".h5", "r") as f:
        assert f["raw/seq"].dtype == np.int8 and f["raw/seq"].shape == (2, 4, 2114), f["raw/seq"]
        for k in ["shap/seq", "projected_shap/seq"]:
            assert f[k].dtype == np.float32 and f[k].shape == (2, 4, 2114), k
        center = f["shap"]["seq"].shape[2] // 2
        start, end = center - 200, center + 200
        attributions = f["shap"]["seq"][:, :, start:end].transpose(0, 2, 1)
        sequences = f["raw"]["seq"][:, :, start:end].transpose(0, 2, 1)
        assert attributions.shape == (2, 400, 4) and sequences.shape == (2, 400, 4)
        assert np.array_equal(f["raw/seq"][:], z["ohe"].astype(np.int8))
        assert np.array_equal(f["shap/seq"][:], z["hyp"][:, t])
        assert np.array_equal(f["projected_shap/seq"][:], z["proj"][:, t])
        assert np.allclose(f["projected_shap/seq"][:], f["shap/seq"][:] * f["raw/seq"][:])
        assert [c.decode() for c in f["coords_chrom"][:]] == ["chr1", "chr2"]
        assert list(f["coords_start"][:]) == [20500 - 1057, 30500 - 1057]
        assert list(f["coords_end"][:]) == [20500 + 1057, 30500 + 1057]
        assert [n.decode() for n in f["names"][:]] == ["p1", "p2"]
        prov = json.loads(f.attrs["provenance"])
        assert f.attrs["target"] == name
        assert prov["targets"] == ["counts", "profile"] and prov["seed"] == 5, prov
        assert prov["n_refs"] == 2 and prov["references"] == "dinuc" and prov["rule"] == "rescale"
        assert len(prov["model_sha256"]) == 64
print("ok")
)";
  std::string out;
  const int status = run_python("wf_h5.py", code, out);
  if (status < 0) {
    if (test::in_ci()) FAIL() << "CI needs Debian python3-h5py (scripts/install-deps.sh)";
    GTEST_SKIP() << "needs /usr/bin/python3 with h5py (Debian python3-h5py)";
  }
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

TEST(CliWorkflow, ProvenanceInNpzMatchesSha256sumOfTheModel) {
  const std::string dir = test::temp_dir(), model = kData + "/example_model.onnx";
  auto r = run_cli("score -m " + model + " --region chr1:20001-21000 --genome " + kGenome +
                   " --n-refs 2 --seed 9 --npz " + dir + "/prov.npz");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto z = load_npz(dir + "/prov.npz");
  ASSERT_EQ(z["provenance"].strings.size(), 1u);
  ASSERT_TRUE(z["provenance"].shape.empty());  // a 0-d array: str(z['provenance'])
  const std::string prov = z["provenance"].strings[0];
  ASSERT_EQ(std::system(("sha256sum " + model + " > " + dir + "/sum.txt").c_str()), 0);
  const std::string sum = test::slurp(dir + "/sum.txt").substr(0, 64);
  EXPECT_NE(prov.find("\"model_sha256\":\"" + sum + "\""), std::string::npos) << prov;
  for (const char* key : {"\"version\":\"", "\"command\":\"", "--seed 9", "\"seed\":9",
                          "\"n_refs\":2", "\"references\":\"dinuc\"", "\"rule\":\"rescale\"",
                          "\"region\":[\"chr1:20001-21000\"]", "\"width\":1000"})
    EXPECT_NE(prov.find(key), std::string::npos) << key << " in " << prov;
}

TEST(CliWorkflow, RegionStringsAreOneBasedInclusiveAndWidthComesFromTheModel) {
  const std::string dir = test::temp_dir();
  // --region chr1:20001-21000 is BED chr1 20000 21000; without --width the window is the
  // model's 1000 bp, so the two runs score the same sequence.
  const auto bed = test::write_file("wf_one.bed", "chr1\t20000\t21000\n");
  const std::string base =
      "score -m " + kData + "/example_model.onnx --genome " + kGenome + " --n-refs 2 --npz ";
  auto a = run_cli(base + dir + "/ra.npz --region chr1:20,001-21,000");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.err.find("--width 1000 (the model's input length)"), std::string::npos) << a.err;
  auto b = run_cli(base + dir + "/rb.npz --regions " + bed + " --width 1000");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto za = load_npz(dir + "/ra.npz"), zb = load_npz(dir + "/rb.npz");
  EXPECT_EQ(za["ohe"].values, zb["ohe"].values);
  EXPECT_EQ(za["coords_start"].values, (std::vector<double>{20000}));
  EXPECT_EQ(za["coords_end"].values, (std::vector<double>{21000}));
  EXPECT_EQ(za["names"].strings, (std::vector<std::string>{"chr1:20,001-21,000"}));
  // A single base is chr:P; malformed strings and --region with --regions are usage errors.
  auto one = run_cli("extract --genome " + kGenome + " --region chr1:20001");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out,
            ">chr1:20001\n" + run_cli("extract --genome " + kGenome + " --region chr1:20001-20001")
                                  .out.substr(std::string(">chr1:20001-20001\n").size()));
  for (const std::string bad : {"chr1", "chr1:0-10", "chr1:20-10", "chr1:x-10"}) {
    auto r = run_cli("extract --genome " + kGenome + " --region " + bad);
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_NE(r.err.find("1-based inclusive"), std::string::npos) << r.err;
  }
  auto both = run_cli("extract --genome " + kGenome + " --regions " + bed + " --region chr1:1-10");
  EXPECT_EQ(both.exit_code, 1);
}

TEST(CliWorkflow, ChromsFilterKeepsOnlyThoseChromosomes) {
  const std::string peaks = kData + "/example_peaks.bed";
  auto all = run_cli("extract --genome " + kGenome + " --regions " + peaks + " --width 50");
  auto some = run_cli("extract --genome " + kGenome + " --regions " + peaks +
                      " --width 50 --chroms chr2,chrX");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  ASSERT_EQ(some.exit_code, 0) << some.err;
  // Every record of the filtered run, in order, is the chr2/chrX subset of the full run.
  std::istringstream peaks_in(test::slurp(peaks));
  std::string line, expect;
  std::istringstream all_in(all.out);
  std::string header, seq;
  while (std::getline(peaks_in, line) && std::getline(all_in, header) && std::getline(all_in, seq))
    if (line.rfind("chr2\t", 0) == 0 || line.rfind("chrX\t", 0) == 0)
      expect += header + "\n" + seq + "\n";
  EXPECT_FALSE(expect.empty());
  EXPECT_EQ(some.out, expect);
  auto none = run_cli("extract --genome " + kGenome + " --regions " + peaks + " --chroms chrZ");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no regions on the --chroms chromosomes"), std::string::npos) << none.err;
}

TEST(CliWorkflow, HelpWithoutArgumentsAndHelpCommand) {
  auto bare = run_cli("");
  EXPECT_EQ(bare.exit_code, 1);
  EXPECT_NE(bare.err.find("Subcommands:"), std::string::npos) << bare.err;
  EXPECT_NE(bare.err.find("score"), std::string::npos);
  auto help = run_cli("help score");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: seqlift score"), std::string::npos) << help.out;
  EXPECT_EQ(help.out, run_cli("score --help").out);
  // Options grouped, in this order.
  std::size_t last = 0;
  for (const char* g : {"\nInput:", "\nModel and targets:", "\nReferences:", "\nOutputs:",
                        "\nPerformance and logging:"}) {
    const auto at = help.out.find(g);
    ASSERT_NE(at, std::string::npos) << g;
    EXPECT_GT(at, last) << g;
    last = at;
  }
  // Per-subcommand wording of the shared input options.
  EXPECT_NE(run_cli("help extract").out.find("Sequences to extract"), std::string::npos);
  EXPECT_NE(run_cli("help shuffle").out.find("Sequences to shuffle"), std::string::npos);
  EXPECT_NE(help.out.find("Sequences to score"), std::string::npos);
  // -o/--output on every single-stream subcommand.
  for (const char* cmd : {"extract", "predict", "inspect", "shuffle", "seqlets", "motifs"})
    EXPECT_NE(run_cli(std::string("help ") + cmd).out.find("-o,--"), std::string::npos) << cmd;
}

TEST(CliWorkflow, ProgressEveryRegionWhenPiped) {
  const auto bed = test::write_file(
      "wf_prog.bed", "chr1\t20000\t21000\ta\nchr1\t22000\t23000\tb\nchr1\t24000\t25000\tc\n");
  const std::string base = "score -m " + kData + "/example_model.onnx --genome " + kGenome +
                           " --regions " + bed + " --n-refs 2 --threads 1 --regions-out - ";
  auto every = run_cli(base + "--progress --progress-interval 0");
  ASSERT_EQ(every.exit_code, 0) << every.err;
  for (const char* l : {"[seqlift] 1/3 regions", "[seqlift] 2/3 regions", "[seqlift] 3/3 regions"})
    EXPECT_NE(every.err.find(l), std::string::npos) << l << " in " << every.err;
  // Default cadence when piped: only the final line within 30 s.
  auto quiet = run_cli(base + "--progress");
  EXPECT_EQ(quiet.err.find("1/3 regions"), std::string::npos) << quiet.err;
  EXPECT_NE(quiet.err.find("3/3 regions (100.0%)"), std::string::npos) << quiet.err;
  // Without --progress nothing (stderr is not a terminal).
  EXPECT_EQ(run_cli(base).err.find("[seqlift] "), std::string::npos);
}

TEST(CliWorkflow, DashIsStdoutForStreamOutputsOnly) {
  const std::string base = "score -m " + kData + "/example_model.onnx --genome " + kGenome +
                           " --region chr1:20001-21000 --n-refs 2 ";
  auto bg = run_cli(base + "--bedgraph -");
  ASSERT_EQ(bg.exit_code, 0) << bg.err;
  EXPECT_EQ(bg.out.rfind("# {\"program\":\"seqlift\"", 0), 0u) << bg.out.substr(0, 100);
  EXPECT_EQ(std::count(bg.out.begin(), bg.out.end(), '\n'), 1001);
  EXPECT_NE(bg.err.find("wrote stdout"), std::string::npos) << bg.err;
  for (const char* flag : {"--npz", "--bigwig", "--h5", "--modisco"}) {
    auto r = run_cli(base + flag + " -");
    EXPECT_EQ(r.exit_code, 1) << flag;
    EXPECT_NE(r.err.find("cannot be '-'"), std::string::npos) << r.err;
  }
  auto two = run_cli(base + "--bedgraph - --regions-out -");
  EXPECT_EQ(two.exit_code, 1);
  auto inspect = run_cli("inspect -m " + kData + "/example_model.onnx -o -");
  EXPECT_EQ(inspect.exit_code, 0);
  EXPECT_NE(inspect.out.find("# total"), std::string::npos);
}

std::multiset<std::string> seqlet_rows(const std::string& bed) {
  // Seqlets without their running name (column 4), which depends on input order.
  std::multiset<std::string> rows;
  std::istringstream in(bed);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::istringstream ls(line);
    std::string tok;
    while (std::getline(ls, tok, '\t')) f.push_back(tok);
    if (f.size() >= 8) f[3] = "";
    std::string row;
    for (const auto& x : f) row += x + "\t";
    rows.insert(row);
  }
  return rows;
}

TEST(CliWorkflow, SeqletsAndMotifsReadAllShards) {
  const std::string dir = test::temp_dir(), peaks = kData + "/example_peaks.bed";
  const std::string base = "score -m " + kData + "/example_model.onnx --genome " + kGenome +
                           " --regions " + peaks + " --n-refs 2 --seed 1 --threads 2 ";
  ASSERT_EQ(run_cli(base + "--npz " + dir + "/whole.npz").exit_code, 0);
  std::string shards;
  for (int s = 0; s < 3; ++s) {
    const std::string p = dir + "/sh" + std::to_string(s) + ".npz";
    ASSERT_EQ(run_cli(base + "--shard " + std::to_string(s) + "/3 --npz " + p).exit_code, 0);
    shards += " " + p;
  }
  auto whole = run_cli("seqlets --sign positive --npz " + dir + "/whole.npz");
  auto sharded = run_cli("seqlets --sign positive --npz" + shards + " -o " + dir + "/sh.bed");
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  ASSERT_EQ(sharded.exit_code, 0) << sharded.err;
  EXPECT_GT(seqlet_rows(whole.out).size(), 50u);
  EXPECT_EQ(seqlet_rows(whole.out), seqlet_rows(test::slurp(dir + "/sh.bed")));
  auto motifs = run_cli("motifs --npz" + shards + " --seqlets " + dir + "/sh.bed --motifs " +
                        kData + "/example_motifs.meme -o " + dir + "/mo");
  ASSERT_EQ(motifs.exit_code, 0) << motifs.err;
  EXPECT_NE(motifs.err.find("wrote " + dir + "/mo/seqlets.tsv"), std::string::npos) << motifs.err;
  // Every seqlet of every shard was annotated (one row each, plus the header).
  const std::string tsv = test::slurp(dir + "/mo/seqlets.tsv");
  EXPECT_EQ(static_cast<std::size_t>(std::count(tsv.begin(), tsv.end(), '\n')),
            seqlet_rows(whole.out).size() + 1);
  // Shards that are not of one run are refused.
  auto mixed =
      run_cli("seqlets --npz " + dir + "/whole.npz " + test::test_data("peer/basset/model.onnx"));
  EXPECT_EQ(mixed.exit_code, 2);
}

TEST(CliWorkflow, PytorchFileGivenAsModelShowsTheExportRecipe) {
  // What torch.save writes: a zip archive whose members live under ARCHIVE/ (data.pkl,
  // version, data/0, ...), or a bare pickle for the legacy format.
  std::string zip("PK\x03\x04", 4);
  zip += std::string(26, '\0') + "archive/data.pkl" + std::string(64, '\x01');
  const std::string pt = test::write_file("model.pt", zip);
  const std::string pkl =
      test::write_file("model.pth", std::string("\x80\x02\x8a\x0a") + std::string(40, '\x02'));
  for (const auto& f : {pt, pkl}) {
    auto r = run_cli("predict -m " + f + " --fasta " + test::test_data("keras/zoo_x.fa"));
    EXPECT_EQ(r.exit_code, 2) << f;
    EXPECT_NE(r.err.find("PyTorch"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("torch.onnx.export("), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("dynamic_axes"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("scripts/export_pytorch.py"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("protobuf"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace seqlift

namespace seqlift {
namespace {

// scripts/export_pytorch.py with Debian's python3-torch (optional: skipped without it).
TEST(CliWorkflow, ExportPytorchScriptMakesAModelScoredByName) {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "needs Debian python3-torch (optional; scripts/export_pytorch.py)";
  const std::string dir = test::temp_dir();
  const std::string script = std::string(SEQLIFT_DATA) + "/../scripts/export_pytorch.py";
  const std::string log = dir + "/export.log";
  const int status = std::system(("/usr/bin/python3 " + script + " --demo -o " + dir +
                                  "/demo.onnx --seqlift " + SEQLIFT_BINARY + " >" + log + " 2>&1")
                                     .c_str());
  ASSERT_EQ(status, 0) << test::slurp(log);
  EXPECT_NE(test::slurp(log).find("checked: seqlift predict vs PyTorch"), std::string::npos)
      << test::slurp(log);
  // A real torch.save() file given as --model gets the export recipe.
  const std::string save = test::write_file(
      "save.py", "import torch\ntorch.save(torch.nn.Conv1d(4, 2, 3), '" + dir + "/m.pt')\n");
  ASSERT_EQ(std::system(("/usr/bin/python3 " + save).c_str()), 0);
  auto pt = run_cli("inspect -m " + dir + "/m.pt");
  EXPECT_EQ(pt.exit_code, 2);
  EXPECT_NE(pt.err.find("PyTorch checkpoint"), std::string::npos) << pt.err;
  // The exported heads are addressed by their names in one run.
  std::string fa;
  for (int i = 0; i < 3; ++i) {
    fa += ">s" + std::to_string(i) + "\n";
    for (int j = 0; j < 500; ++j) fa += "ACGT"[(i * 7 + j * j) % 4];
    fa += "\n";
  }
  const auto in = test::write_file("demo.fa", fa);
  auto r = run_cli("score -m " + dir + "/demo.onnx --fasta " + in +
                   " --n-refs 2 --target counts,profile --npz " + dir + "/demo.npz");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto z = load_npz(dir + "/demo.npz");
  EXPECT_EQ(z["target_names"].strings, (std::vector<std::string>{"counts", "profile"}));
  EXPECT_NE(r.err.find("0 regions over tolerance"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace seqlift
