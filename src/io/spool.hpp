// Inputs that can be read only once (stdin as "-", /dev/stdin, a FIFO such as the shell's
// <(...)) copied to a temporary file, for readers that pass over an input twice.
#pragma once
#include <string>

namespace seqlift {

/// True for "-" and for paths that are not regular files (FIFO, character device, socket).
bool is_stream_input(const std::string& path);

class SpooledInput {
 public:
  /// A regular file (or "") is used in place; a stream is copied now. Throws IoError.
  explicit SpooledInput(const std::string& path);
  ~SpooledInput();  ///< removes the copy
  SpooledInput(const SpooledInput&) = delete;
  SpooledInput& operator=(const SpooledInput&) = delete;
  /// The path to read from.
  const std::string& path() const { return path_; }

 private:
  std::string path_, copy_;
};

}  // namespace seqlift
