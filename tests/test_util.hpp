// Helpers for tests: temp dirs, writing files, running the CLI.
#pragma once
#include <string>

namespace seqlift::test {

/// A fresh directory under /tmp, removed at exit of the test binary.
std::string temp_dir();
std::string write_file(const std::string& name, const std::string& content);
std::string test_data(const std::string& rel);  ///< path under tests/data
std::string slurp(const std::string& path);
bool file_exists(const std::string& path);

struct RunResult {
  int exit_code;
  std::string out, err;
};
/// Runs the built seqlift binary with `args` (a shell-quoted string).
RunResult run_cli(const std::string& args);

}  // namespace seqlift::test
