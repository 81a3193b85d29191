#include "io/spool.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "seqlift/error.hpp"
#include "util/cleanup.hpp"

namespace seqlift {

bool is_stream_input(const std::string& path) {
  if (path == "-") return true;
  struct stat st;
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) &&
         !S_ISDIR(st.st_mode);
}

SpooledInput::SpooledInput(const std::string& path) : path_(path) {
  if (!is_stream_input(path)) return;
  note_input(path);
  const int in = path == "-" ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw IoError(path + ": cannot open for reading: " + std::strerror(errno));
  const char* dir = std::getenv("TMPDIR");
  // Named after the input, so messages about the copy still point at it.
  std::string base = path == "-" ? "stdin" : path.substr(path.find_last_of('/') + 1);
  for (char& c : base)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_') c = '_';
  std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/" + base + ".XXXXXX";
  const int out = ::mkstemp(tmpl.data());
  if (out < 0) {
    const int err = errno;
    if (in != 0) ::close(in);
    throw IoError(path + ": cannot copy to a temporary file in " + tmpl + ": " +
                  std::strerror(err));
  }
  copy_ = tmpl;
  register_temp_file(copy_);
  std::string error;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = path + ": read failed: " + std::strerror(errno);
    if (n <= 0) break;
    for (ssize_t done = 0; done < n && error.empty();) {
      const ssize_t w = ::write(out, buf + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0)
        error = copy_ + ": write failed: " + std::strerror(errno);
      else
        done += w;
    }
    if (!error.empty()) break;
  }
  if (in != 0) ::close(in);
  if (::close(out) != 0 && error.empty()) error = copy_ + ": write failed: " + std::strerror(errno);
  if (!error.empty()) {
    ::unlink(copy_.c_str());
    unregister_temp_file(copy_);
    throw IoError(error);
  }
  path_ = copy_;
}

SpooledInput::~SpooledInput() {
  if (copy_.empty()) return;
  ::unlink(copy_.c_str());
  unregister_temp_file(copy_);
}

}  // namespace seqlift
