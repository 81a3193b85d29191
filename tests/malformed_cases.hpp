// The malformed-input catalogue, in two files by theme: cli_malformed_test.cpp (broken
// inputs and options) and cli_malformed_outputs_test.cpp (outputs that are inputs, outputs
// that cannot be written, interrupted runs). Each case: its exit code, a fragment of its
// message, and no output file left behind.
#pragma once
#include <dirent.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace seqlift::malformed {

struct Case {
  const char* name;
  std::vector<std::pair<std::string, std::string>> files;  // written under {T}
  std::string args;  // {T} inputs, {O} output directory, {D} data/, {M} zoo model, {X} zoo x.fa
  int exit_code;
  std::string fragment;
};

inline bool dir_empty(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (!d) return true;
  bool empty = true;
  while (dirent* e = readdir(d))
    if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") empty = false;
  closedir(d);
  return empty;
}

/// n pseudo-random bases (a fixed LCG, the same in every run).
inline std::string seq(std::size_t n) {
  std::string s;
  uint32_t st = 5;
  for (std::size_t i = 0; i < n; ++i) s += "ACGT"[(st = st * 1103515245u + 12345u) >> 30];
  return s;
}

inline const std::string kZoo200 = ">a\n" + seq(200) + "\n>b\n" + seq(200) + "\n";
/// Command prefixes: score the zoo model on --fasta, or the example model on the genome.
inline const std::string kScore = "score -m {M} --npz {O}/out.npz --regions-out {O}/out.tsv ";
inline const std::string kGenomeScore =
    "score -m {D}/example_model.onnx --genome {D}/example_genome.fa --npz {O}/out.npz ";

/// Runs a case and checks it. The files every case may read are made once per suite
/// (SetUpTestSuite, in cli_malformed_test.cpp).
class Malformed : public ::testing::TestWithParam<Case> {
 public:
  static void SetUpTestSuite();
};

inline std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return std::string(info.param.name);
}

}  // namespace seqlift::malformed
