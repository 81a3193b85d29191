#include "test_util.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "seqlift/npy.hpp"

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

int interrupted_score_status(const std::string& out, const std::string& signal,
                             const std::string& seconds) {
  const std::string data = SEQLIFT_DATA;
  const std::string cmd = "bash -c '" + std::string(SEQLIFT_BINARY) + " score -m " + data +
                          "/example_model.onnx --genome " + data + "/example_genome.fa --regions " +
                          data + "/example_peaks.bed --n-refs 20 --threads 1 --npz " + out +
                          "/o.npz --bigwig " + out + "/o.bw --regions-out " + out +
                          "/o.tsv 2>/dev/null & pid=$!; sleep " + seconds + "; kill -" + signal +
                          " $pid; wait $pid; echo $? > " + out + ".status'";
  if (std::system(cmd.c_str()) != 0) return -1;
  return std::atoi(slurp(out + ".status").c_str());
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

std::string npz_difference(const std::string& a, const std::string& b) {
  std::map<std::string, NpyArray> ma, mb;
  for (auto& [k, v] : read_npz(a))
    if (k != "provenance") ma[k] = v;
  for (auto& [k, v] : read_npz(b))
    if (k != "provenance") mb[k] = v;
  for (const auto& [k, v] : ma) {
    auto it = mb.find(k);
    if (it == mb.end()) return "member '" + k + "' only in " + a;
    const NpyArray& w = it->second;
    if (v.dtype != w.dtype || v.shape != w.shape) return "member '" + k + "': dtype or shape";
    if (v.strings != w.strings) return "member '" + k + "': strings differ";
    for (std::size_t i = 0; i < v.values.size(); ++i)
      if (!(v.values[i] == w.values[i]) &&
          !(v.values[i] != v.values[i] && w.values[i] != w.values[i]))
        return "member '" + k + "' element " + std::to_string(i);
  }
  if (ma.size() != mb.size()) return "member counts differ";
  return "";
}

}  // namespace seqlift::test
