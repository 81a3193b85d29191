#include "test_util.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace seqlift::test {

std::string temp_dir() {
  static std::string dir = [] {
    char tmpl[] = "/tmp/seqlift_test_XXXXXX";
    std::string d = mkdtemp(tmpl);
    static std::string cleanup = d;
    std::atexit([] { std::system(("rm -rf '" + cleanup + "'").c_str()); });
    return d;
  }();
  return dir;
}

std::string write_file(const std::string& name, const std::string& content) {
  const std::string path = temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::string test_data(const std::string& rel) {
  return std::string(SEQLIFT_TEST_DATA) + "/" + rel;
}

std::string shared_dir() {
  const char* env = std::getenv("SEQLIFT_SHARED");
  return env && *env ? std::string(env) : std::string(SEQLIFT_SHARED_DEFAULT);
}

std::string shared_path(const std::string& rel) {
  const std::string path = shared_dir() + "/" + rel;
  return file_exists(path) ? path : std::string();
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool file_exists(const std::string& path) {
  return access(path.c_str(), F_OK) == 0;
}

RunResult run_cli(const std::string& args) {
  static int counter = 0;
  const std::string base = temp_dir() + "/cli" + std::to_string(counter++);
  const std::string cmd =
      std::string(SEQLIFT_BINARY) + " " + args + " >" + base + ".out 2>" + base + ".err";
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  return r;
}

}  // namespace seqlift::test
