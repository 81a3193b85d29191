// Shared by the libFuzzer targets: the parsers read files, so each input is written to
// a per-process temporary file first. Only seqlift's own exceptions are expected; any
// other exception, crash, leak or hang is a finding.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace seqlift::fuzz {

inline std::string input_file(const uint8_t* data, size_t size, const char* ext) {
  const std::string path = "/tmp/seqlift_fuzz_" + std::to_string(getpid()) + ext;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  return path;
}

}  // namespace seqlift::fuzz
