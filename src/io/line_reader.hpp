// Lines of a plain, gzip or bgzip text file through HTSlib's BGZF, without the line
// terminator (CRLF accepted). Errors name the file and line. Not thread-safe.
#pragma once
#include <memory>
#include <string>

namespace seqlift {

class LineReader {
 public:
  explicit LineReader(const std::string& path);  ///< IoError when it cannot be opened
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  /// Next line into `line`; false at end of file. ParseError on corrupt compressed data.
  bool next(std::string& line);
  long line_number() const { return line_no_; }
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  long line_no_ = 0;
};

}  // namespace seqlift
