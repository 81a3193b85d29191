#include "seqlift/output.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "seqlift/cleanup.hpp"
#include "seqlift/error.hpp"

namespace seqlift {

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  if (path_.empty() || path_ == "-") {
    is_stdout_ = true;
    fp_ = stdout;
    return;
  }
  tmp_path_ = path_ + ".tmp." + std::to_string(getpid());
  register_temp_file(tmp_path_);
  fp_ = std::fopen(tmp_path_.c_str(), "w");
  if (!fp_) {
    unregister_temp_file(tmp_path_);
    throw IoError(path_ + ": cannot open for writing: " + std::strerror(errno));
  }
}

OutputFile::~OutputFile() {
  if (fp_ && !is_stdout_) {
    std::fclose(fp_);
    std::remove(tmp_path_.c_str());
  }
  if (!is_stdout_) unregister_temp_file(tmp_path_);
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
  fp_ = nullptr;
  if (error || !closed) {
    std::remove(tmp_path_.c_str());
    throw IoError(path_ + ": write failed: " + std::strerror(errno));
  }
  rename_into_place(tmp_path_, path_);
}

}  // namespace seqlift
