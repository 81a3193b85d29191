// Output files written under a temporary name and moved into place on commit() (with the
// enclosing OutputTransaction, see cleanup.hpp), so a failed run never leaves a
// half-written file under the final name. "-" streams to stdout.
#pragma once
#include <cstdio>
#include <string>

#include "seqlift/cleanup.hpp"

namespace seqlift {

class OutputFile {
 public:
  explicit OutputFile(std::string path);
  ~OutputFile();  ///< without commit(): closes and removes the temporary file
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  std::FILE* get() const { return fp_; }
  /// Flushes, checks every write, closes and renames. Throws IoError on failure.
  void commit();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  StagedOutput staged_;
  std::FILE* fp_ = nullptr;
  bool is_stdout_ = false, committed_ = false;
};

}  // namespace seqlift
