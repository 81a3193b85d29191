#include "seqlift/output.hpp"

#include <cerrno>
#include <cstring>

#include "seqlift/error.hpp"
#include "util/cleanup.hpp"

namespace seqlift {

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  if (path_.empty() || path_ == "-") {
    is_stdout_ = true;
    fp_ = stdout;
    return;
  }
  staged_ = stage_output(path_);
  fp_ = std::fopen(staged_.tmp.c_str(), "w");
  if (!fp_) {
    const int err = errno;
    discard_output(staged_);
    throw IoError(path_ + ": cannot open for writing: " + std::strerror(err));
  }
}

OutputFile::~OutputFile() {
  if (is_stdout_) return;
  if (fp_) std::fclose(fp_);
  if (!committed_) discard_output(staged_);
}

void OutputFile::commit() {
  if (!fp_) return;
  const bool error = std::ferror(fp_) != 0;
  if (is_stdout_) {
    if (std::fflush(fp_) != 0 || error)
      throw IoError("stdout: write failed: " + std::string(std::strerror(errno)));
    fp_ = nullptr;
    return;
  }
  const bool closed = std::fclose(fp_) == 0;
  const int err = errno;
  fp_ = nullptr;
  if (error || !closed) throw IoError(path_ + ": write failed: " + std::strerror(err));
  committed_ = true;
  finish_output(staged_);
}

}  // namespace seqlift
