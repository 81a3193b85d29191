// The malformed-input catalogue, part 2: outputs. An output that is an input or another
// output (usage error, exit 1), one that cannot be written (exit 2 before any work), an
// interrupted run and a full disk: none leaves a final or temporary file behind.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "malformed_cases.hpp"
#include "test_util.hpp"

namespace seqlift::malformed {
namespace {

std::vector<Case> output_cases() {
  const std::string& gscore = kGenomeScore;
  return {
      // ---- issue 19: outputs that are inputs, or one path twice (usage errors, exit 1) ----
      {"output_is_the_genome",
       {{"ok.bed", "chr1\t0\t1000\n"}},
       "extract --genome {T}/cg.fa --regions {T}/ok.bed -o {T}/cg.fa",
       1,
       "is the input"},
      {"output_is_the_fai",
       {{"ok.bed", "chr1\t0\t1000\n"}},
       "extract --genome {T}/cg.fa --regions {T}/ok.bed -o {T}/cg.fa.fai",
       1,
       "is the input"},
      {"output_is_the_regions",
       {{"ok.bed", "chr1\t0\t1000\n"}},
       "score -m {D}/example_model.onnx --genome {T}/cg.fa --regions {T}/ok.bed --npz {O}/o.npz "
       "--regions-out {T}/ok.bed",
       1,
       "is the input"},
      {"output_is_the_model",
       {{"in.fa", kZoo200}},
       "score -m {T}/zoo_copy.onnx --fasta {T}/in.fa --npz {T}/zoo_copy.onnx",
       1,
       "is the input"},
      {"output_is_the_fasta",
       {{"in.fa", kZoo200}},
       "score -m {M} --fasta {T}/in.fa --regions-out {T}/in.fa",
       1,
       "is the input"},
      {"output_is_the_references_file",
       {{"in.fa", kZoo200}, {"refs2.fa", ">a_ref0\n" + seq(200) + "\n>b_ref0\n" + seq(200) + "\n"}},
       "score -m {M} --fasta {T}/in.fa --references {T}/refs2.fa --npz {T}/refs2.fa",
       1,
       "is the input"},
      {"output_is_the_input_through_a_symlink",
       {{"in.fa", kZoo200}},
       "score -m {M} --fasta {T}/in.fa --npz {T}/link_to_in.fa",
       1,
       "is the input"},
      {"output_is_a_merge_shard",
       {},
       "merge --genome {D}/example_genome.fa --bigwig {T}/nocoords.npz {T}/nocoords.npz",
       1,
       "is the input"},
      {"extract_output_is_the_fasta",
       {{"in.fa", kZoo200}},
       "extract --fasta {T}/in.fa -o {T}/in.fa",
       1,
       "is the input"},
      {"two_outputs_one_path",
       {{"in.fa", kZoo200}},
       "score -m {M} --fasta {T}/in.fa --npz {O}/same --regions-out {O}/same",
       1,
       "two outputs are the same file"},
      {"two_outputs_one_path_spelled_differently",
       {{"in.fa", kZoo200}},
       "score -m {M} --fasta {T}/in.fa --npz {O}/same --regions-out "
       "{O}/../out_two_outputs_one_path_spelled_differently/same",
       1,
       "two outputs are the same file"},
      {"modisco_member_is_the_npz",
       {{"in.fa", kZoo200}},
       "score -m {M} --fasta {T}/in.fa --npz {O}/m.ohe.npz --modisco {O}/m",
       1,
       "two outputs are the same file"},
      {"merge_bigwig_and_bedgraph_one_path",
       {},
       "merge --genome {D}/example_genome.fa --bigwig {O}/t --bedgraph {O}/t {T}/nocoords.npz",
       1,
       "two outputs are the same file"},
      // ---- outputs that cannot be written: exit 2 before any work, nothing left ----
      {"output_is_a_directory",
       {{"in.fa", kZoo200}},
       "score -m {M} --fasta {T}/in.fa --npz {O}",
       2,
       "is a directory"},
      {"output_directory_missing",
       {{"in.fa", kZoo200}},
       "score -m {M} --fasta {T}/in.fa --npz {O}/no/such/dir/o.npz",
       2,
       "cannot open for writing"},
      {"later_output_unwritable_leaves_no_earlier_output",
       {{"ok.bed", "chr1\t0\t1000\n"}},
       gscore + "--regions {T}/ok.bed --n-refs 2 --bedgraph {O}/missing/x.bg",
       2,
       "cannot open for writing"},
      {"score_bigwig_unopenable",
       {{"ok.bed", "chr1\t0\t1000\n"}},
       gscore + "--regions {T}/ok.bed --n-refs 2 --bigwig {O}/missing/x.bw",
       2,
       "cannot open for writing"},
      {"merge_bigwig_unopenable",
       {},
       "merge --genome {D}/example_genome.fa --bigwig {O}/missing/x.bw {T}/nocoords.npz",
       2,
       "cannot open for writing"},
      {"dangling_link_into_missing_directory",
       {{"in.fa", kZoo200}},
       "score -m {M} --fasta {T}/in.fa --npz {T}/dangling_link",
       2,
       "whose directory does not exist"},
      {"two_outputs_on_stdout",
       {{"in.fa", kZoo200}},
       "score -m {M} --fasta {T}/in.fa --regions-out - --npz /dev/stdout",
       1,
       "two outputs are the same file"},
      {"output_is_the_exclude_bed",
       {{"ok.bed", "chr1\t0\t1000\n"}, {"ex.bed", "chr2\t0\t1000\n"}},
       gscore + "--regions {T}/ok.bed --references gc-genome --n-refs 2 --exclude {T}/ex.bed "
                "--regions-out {T}/ex.bed",
       1,
       "is the input"},
      {"output_is_a_symlink_loop",
       {{"in.fa", kZoo200}},
       "score -m {M} --fasta {T}/in.fa --npz {T}/loop_a",
       2,
       "cannot follow the symbolic link"},
  };
}

INSTANTIATE_TEST_SUITE_P(Catalogue, Malformed, ::testing::ValuesIn(output_cases()), case_name);

// SIGINT / SIGTERM in the middle of a run leave neither final nor temporary outputs.
TEST(Signals, InterruptedRunLeavesNoOutput) {
  for (const char* sig : {"INT", "TERM"}) {
    const std::string out = test::temp_dir() + "/sig_" + sig;
    ASSERT_EQ(std::system(("mkdir -p " + out).c_str()), 0);
    const int status = test::interrupted_score_status(out, sig, "1.5");
    EXPECT_EQ(status, 128 + (std::string(sig) == "INT" ? 2 : 15)) << sig;
    EXPECT_TRUE(dir_empty(out)) << sig << ": files left in " << out;
  }
}

// Disk full: outputs on a 16 KiB tmpfs. Needs permission to mount (root); skipped otherwise.
TEST(DiskFull, WriteErrorExits2AndLeavesNothing) {
  const std::string dir = test::temp_dir() + "/tinyfs";
  ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  if (std::system(("mount -t tmpfs -o size=16k tmpfs " + dir + " 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here";
  auto r = test::run_cli("score -m " + test::test_data("peer/zoo/model.onnx") + " --fasta " +
                         test::test_data("peer/zoo/x.fa") + " --n-refs 2 --target all --npz " +
                         dir + "/out.npz --regions-out " + dir + "/out.tsv");
  const bool empty = dir_empty(dir);
  std::system(("umount " + dir).c_str());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_TRUE(empty);
}

}  // namespace
}  // namespace seqlift::malformed
