#include "io/line_reader.hpp"

#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "seqlift/error.hpp"
#include "util/cleanup.hpp"

namespace seqlift {

struct LineReader::Impl {
  BGZF* fp = nullptr;
  kstring_t buf = {0, 0, nullptr};
  ~Impl() {
    if (fp) bgzf_close(fp);
    free(buf.s);
  }
};

LineReader::LineReader(const std::string& path) : impl_(new Impl), path_(path) {
  note_input(path);
  impl_->fp = bgzf_open(path.c_str(), "r");
  if (!impl_->fp) throw IoError(path + ": cannot open for reading: " + std::strerror(errno));
}

LineReader::~LineReader() = default;

bool LineReader::next(std::string& line) {
  const int ret = bgzf_getline(impl_->fp, '\n', &impl_->buf);
  if (ret == -1) return false;
  if (ret < -1) throw ParseError(path_, line_no_ + 1, "truncated or corrupt compressed data");
  ++line_no_;
  line.assign(impl_->buf.s, impl_->buf.l);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return true;
}

}  // namespace seqlift
