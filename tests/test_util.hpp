// Helpers for tests: temp dirs, writing files, running the CLI.
#pragma once
#include <string>

namespace seqlift::test {

/// A fresh directory under /tmp, removed at exit of the test binary.
std::string temp_dir();
std::string write_file(const std::string& name, const std::string& content);
std::string test_data(const std::string& rel);  ///< path under tests/data

/// The folder of files that came from other projects (never committed): $SEQLIFT_SHARED,
/// else ../shared beside the checkout.
std::string shared_dir();
/// Path of `rel` under shared_dir() ("" when it does not exist).
std::string shared_path(const std::string& rel);
/// True under CI=true, where a missing shared folder fails instead of skipping.
bool in_ci();
std::string slurp(const std::string& path);
bool file_exists(const std::string& path);

struct RunResult {
  int exit_code;
  std::string out, err;
};
/// Empty when two npz archives hold the same members with identical dtype, shape and
/// values, ignoring `provenance` (it records the command line, which differs between
/// runs); else a description of the first difference.
std::string npz_difference(const std::string& a, const std::string& b);

/// Runs the built seqlift binary with `args` (a shell-quoted string).
RunResult run_cli(const std::string& args);

/// Starts a score run over the example genome writing o.npz, o.bw and o.tsv into the
/// folder `out`, sends it SIG`signal` ("INT", "TERM", ...) after `seconds` and returns its
/// exit status (128 + the signal's number when the signal ended it).
int interrupted_score_status(const std::string& out, const std::string& signal,
                             const std::string& seconds);

}  // namespace seqlift::test

/// Sets `var` to the path of `rel` under the shared folder, or ends the test: SKIPPED with a
/// message naming the folder, but FAILED under CI=true (CI always has ../shared).
#define SEQLIFT_REQUIRE_SHARED(var, rel)                                          \
  const std::string var = ::seqlift::test::shared_path(rel);                      \
  if (var.empty()) {                                                              \
    if (::seqlift::test::in_ci())                                                 \
      FAIL() << "missing " << ::seqlift::test::shared_dir() << "/" << (rel)       \
             << " (CI must have ../shared; set SEQLIFT_SHARED to its folder)";    \
    GTEST_SKIP() << "needs " << ::seqlift::test::shared_dir() << "/" << (rel)     \
                 << " (files from other projects are not in the repository; set " \
                    "SEQLIFT_SHARED to the shared folder)";                       \
  }
