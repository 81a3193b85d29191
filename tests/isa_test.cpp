// Run-time ISA choice (seqlift/isa.hpp): the default binary hands over to its AVX-512 twin
// where the CPU has it, SEQLIFT_ISA=avx2 caps it, and both paths give the same scores.
#include "seqlift/isa.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "seqlift/npy.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

std::string twin_path() {
  std::string self = SEQLIFT_BINARY;
  return self.substr(0, self.rfind('/') + 1) + "seqlift-x86-64-v4";
}
bool twin_built() {
  return access(twin_path().c_str(), X_OK) == 0;
}

struct ScopedIsa {
  explicit ScopedIsa(const char* v) { setenv("SEQLIFT_ISA", v, 1); }
  ~ScopedIsa() { unsetenv("SEQLIFT_ISA"); }
};

TEST(Isa, VersionAndSummaryNameTheIsaThatRan) {
  const std::string expected = cpu_has_avx512() && twin_built() ? "avx512" : "avx2";
  auto r = test::run_cli("--version");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(" + expected + ")"), std::string::npos) << r.out;
  {
    ScopedIsa cap("avx2");
    r = test::run_cli("--version");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("(avx2)"), std::string::npos) << r.out;
  }
  r = test::run_cli("shuffle --fasta " + test::test_data("peer/zoo/x.fa") + " -n 1 -o /dev/null");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("; " + expected), std::string::npos) << r.err;
}

TEST(Isa, UnknownCapIsAUsageError) {
  ScopedIsa cap("avx1024");
  auto r = test::run_cli("--version");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("SEQLIFT_ISA='avx1024': expected auto, avx2 or avx512"), std::string::npos)
      << r.err;
}

TEST(Isa, TwinRunsOnlyWhereTheCpuHasAvx512) {
  if (!twin_built()) GTEST_SKIP() << "no " << twin_path() << " (SEQLIFT_MULTI_ISA=OFF build)";
  const std::string cmd = twin_path() + " --version > " + test::temp_dir() + "/twin.out 2> " +
                          test::temp_dir() + "/twin.err";
  const int status = std::system(cmd.c_str());
  const std::string out = test::slurp(test::temp_dir() + "/twin.out");
  const std::string err = test::slurp(test::temp_dir() + "/twin.err");
  if (cpu_has_avx512()) {
    EXPECT_EQ(WEXITSTATUS(status), 0) << err;
    EXPECT_NE(out.find("(avx512)"), std::string::npos) << out;
  } else {
    EXPECT_EQ(WEXITSTATUS(status), 1);
    EXPECT_NE(err.find("this CPU lacks it; run seqlift"), std::string::npos) << err;
  }
}

// The same scores from the widest ISA and from the AVX2 path, to 1e-5 of the largest value
// (bit-identical on a CPU without AVX-512, where both runs take the AVX2 path).
TEST(Isa, WidestAndAvx2PathsAgree) {
  const std::string dir = test::temp_dir();
  const std::string args = "-q score -m " + test::test_data("peer/bpnet/model.onnx") + " --fasta " +
                           test::test_data("peer/bpnet/x.fa") + " --n-refs 3 --target all --npz ";
  ASSERT_EQ(test::run_cli(args + dir + "/isa_best.npz").exit_code, 0);
  {
    ScopedIsa cap("avx2");
    ASSERT_EQ(test::run_cli(args + dir + "/isa_avx2.npz").exit_code, 0);
  }
  NpzReader best(dir + "/isa_best.npz"), avx2(dir + "/isa_avx2.npz");
  for (const char* name : {"hyp", "pred", "delta"}) {
    const auto a = best.read_all(name), b = avx2.read_all(name);
    ASSERT_EQ(a.size(), b.size()) << name;
    ASSERT_FALSE(a.empty()) << name;
    double scale = 0, diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      scale = std::max(scale, std::fabs(b[i]));
      diff = std::max(diff, std::fabs(a[i] - b[i]));
    }
    if (std::string(name) != "delta")
      EXPECT_LE(diff, 1e-5 * scale) << name;
    else
      EXPECT_LE(diff, 1e-4) << name;  // summation-to-delta errors themselves
  }
}

}  // namespace
}  // namespace seqlift
