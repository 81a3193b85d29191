// End-to-end: the built binary, its exit codes and messages.
#include <gtest/gtest.h>

#include <algorithm>

#include "onnx_builder.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

using test::run_cli;

TEST(Cli, HelpAndVersion) {
  auto r = run_cli("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("predict"), std::string::npos);
  r = run_cli("help predict");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--model"), std::string::npos);
  r = run_cli("predict --help");
  EXPECT_EQ(r.exit_code, 0);
  r = run_cli("--version");
  EXPECT_EQ(r.exit_code, 0);
}

TEST(Cli, UsageErrorsExit1) {
  EXPECT_EQ(run_cli("").exit_code, 1);
  EXPECT_EQ(run_cli("frobnicate").exit_code, 1);
  auto r = run_cli("predict --fasta x.fa");  // --model missing
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--model"), std::string::npos);
  r = run_cli("extract --fasta a.fa --genome g.fa");
  EXPECT_EQ(r.exit_code, 1);
}

TEST(Cli, DataErrorsExit2WithMessageAndNoOutput) {
  const auto bad = test::write_file("cli_bad.fa", ">r1\nAC!T\n");
  const auto out = test::temp_dir() + "/cli_bad_out.fa";
  auto r = run_cli("extract --fasta " + bad + " -o " + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cli_bad.fa line 2"), std::string::npos) << r.err;
  EXPECT_FALSE(test::file_exists(out));
}

TEST(Cli, ExtractAndPredictOnExample) {
  const std::string data = SEQLIFT_DATA;
  const auto fa = test::temp_dir() + "/ex.fa";
  auto r = run_cli("extract --genome " + data + "/example_genome.fa --regions " + data +
                   "/example_peaks.bed --width 1000 -o " + fa);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("predict --model " + data + "/example_model.onnx --fasta " + fa + " --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("name\ty0\n", 0), 0u);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 130);  // header + 129 peaks
}

TEST(Cli, PredictLengthMismatchExit2) {
  const auto fa = test::write_file("short.fa", ">s\nACGT\n");
  auto r = run_cli("predict --model " + test::test_data("peer/zoo/model.onnx") + " --fasta " + fa);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("record 's' has length 4 but the model reads 200 bp"), std::string::npos)
      << r.err;
}

TEST(Cli, InspectPrintsRowsAndTotals) {
  auto r = run_cli("inspect --model " + test::test_data("peer/zoo/model.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Div+Erf+Add+Mul+Mul\tGelu"), std::string::npos);
  EXPECT_NE(r.out.find("maxpool-cross"), std::string::npos);
  EXPECT_NE(r.out.find("# total"), std::string::npos);
}

TEST(Cli, UnsupportedOpNamesNodeAndOp) {
  test::OnnxBuilder b(10);
  b.node("LpPool", {"x"}, "y");
  b.output("y");
  const auto path = b.save(test::temp_dir() + "/cli_lppool.onnx");
  auto r = run_cli("inspect --model " + path);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("(op LpPool) is not supported; supported ops: Add"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace seqlift
