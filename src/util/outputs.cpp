// Output staging and the all-or-nothing transaction (see util/cleanup.hpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "seqlift/error.hpp"
#include "util/cleanup.hpp"

namespace seqlift {
namespace {

// Identity of a path used as input or output: inode when it exists, else its absolute
// path (parent resolved). Character devices (/dev/null, a terminal) never conflict.
struct FileId {
  std::string path, canon;
  dev_t dev = 0;
  ino_t ino = 0;
  bool exists = false, chardev = false;
};

std::string dir_of(const std::string& p) {
  const auto slash = p.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}
std::string base_of(const std::string& p) {
  const auto slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string real_path(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) ? std::string(buf) : std::string();
}

FileId identify(const std::string& path, int fd = -1) {
  FileId id;
  id.path = path;
  struct stat st;
  const bool ok = fd >= 0 ? ::fstat(fd, &st) == 0 : ::stat(path.c_str(), &st) == 0;
  if (ok) {
    id.exists = true;
    id.dev = st.st_dev;
    id.ino = st.st_ino;
    id.chardev = S_ISCHR(st.st_mode);
    if (fd < 0) id.canon = real_path(path);
    return id;
  }
  const std::string dir = real_path(dir_of(path));
  id.canon = dir.empty() ? path : (dir == "/" ? "" : dir) + "/" + base_of(path);
  return id;
}

bool same_file(const FileId& a, const FileId& b) {
  if (a.chardev || b.chardev) return false;
  if (a.exists && b.exists) return a.dev == b.dev && a.ino == b.ino;
  return !a.canon.empty() && a.canon == b.canon;
}

struct OutputEntry {
  FileId id;
  bool staged = false;
};

struct Pending {
  StagedOutput out;
  bool finished = false;
};

struct State {
  std::mutex mutex;
  int depth = 0;
  std::vector<FileId> inputs;
  std::vector<OutputEntry> outputs;
  std::vector<Pending> pending;
};
State& state() {
  static State s;
  return s;
}

// "-", /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N name a descriptor.
int descriptor_of(const std::string& path) {
  if (path == "-" || path == "/dev/stdout") return 1;
  if (path == "/dev/stderr") return 2;
  for (const char* prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    const std::size_t n = std::strlen(prefix);
    if (path.compare(0, n, prefix) == 0 && path.size() > n) {
      char* end = nullptr;
      const long fd = std::strtol(path.c_str() + n, &end, 10);
      if (*end == '\0' && fd >= 0 && fd < INT_MAX) return static_cast<int>(fd);
    }
  }
  return -1;
}

std::string io_message(const std::string& path, const std::string& what, int err) {
  return path + ": " + what + ": " + std::strerror(err);
}

// Where a chain of symbolic links ending nowhere points (relative links resolved against
// their own directory). Throws IoError when that directory does not exist either.
std::string dangling_link_target(const std::string& path) {
  std::string p = path;
  for (int hops = 0; hops < 40; ++hops) {
    char buf[PATH_MAX];
    const ssize_t n = ::readlink(p.c_str(), buf, sizeof buf - 1);
    if (n < 0) {
      if (errno == EINVAL) break;  // not a link: the end of the chain
      if (errno == ENOENT) break;
      throw IoError(io_message(path, "cannot read the symbolic link", errno));
    }
    const std::string next(buf, static_cast<std::size_t>(n));
    p = next[0] == '/' ? next : dir_of(p) + "/" + next;
  }
  const std::string dir = real_path(dir_of(p));
  if (dir.empty())
    throw IoError(path + ": is a symbolic link to " + p + ", whose directory does not exist");
  return (dir == "/" ? "" : dir) + "/" + base_of(p);
}

void create_tmp(StagedOutput& o) {
  int fd = -1;
  if (o.write_through) {
    const char* dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/seqlift-out.XXXXXX";
    fd = ::mkstemp(tmpl.data());
    if (fd < 0)
      throw IoError(io_message(o.path, "cannot create a temporary file in " + tmpl, errno));
    o.tmp = tmpl;
  } else {
    const std::string stem = o.target + ".tmp." + std::to_string(::getpid());
    for (int n = 0; fd < 0; ++n) {
      o.tmp = n == 0 ? stem : stem + "." + std::to_string(n);
      fd = ::open(o.tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd < 0 && (errno != EEXIST || n > 100))
        throw IoError(io_message(o.path, "cannot open for writing", errno));
    }
  }
  ::close(fd);
  register_temp_file(o.tmp);
}

void remove_tmp(const StagedOutput& o) {
  if (o.tmp.empty()) return;
  ::unlink(o.tmp.c_str());
  unregister_temp_file(o.tmp);
}

void copy_into(const StagedOutput& o) {
  int out = o.fd;
  if (out < 0) {
    out = ::open(o.target.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (out < 0) throw IoError(io_message(o.path, "cannot open for writing", errno));
  }
  const int in = ::open(o.tmp.c_str(), O_RDONLY | O_CLOEXEC);
  std::string error;
  if (in < 0) error = io_message(o.tmp, "cannot reopen", errno);
  static thread_local char buf[1 << 16];
  while (error.empty()) {
    const ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = io_message(o.tmp, "read failed", errno);
    if (n <= 0) break;
    for (ssize_t done = 0; done < n && error.empty();) {
      const ssize_t w = ::write(out, buf + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0)
        error = io_message(o.path, "write failed", errno);
      else
        done += w;
    }
  }
  if (in >= 0) ::close(in);
  if (o.fd < 0 && ::close(out) != 0 && error.empty())
    error = io_message(o.path, "write failed", errno);
  if (!error.empty()) throw IoError(error);
}

// Moves one finished output into place; removes its temporary either way.
void commit_one(const StagedOutput& o) {
  try {
    if (o.write_through) {
      copy_into(o);
    } else if (::rename(o.tmp.c_str(), o.target.c_str()) != 0) {
      throw IoError(io_message(o.path, "cannot rename from " + o.tmp, errno));
    }
  } catch (...) {
    remove_tmp(o);
    throw;
  }
  if (o.write_through) ::unlink(o.tmp.c_str());
  unregister_temp_file(o.tmp);
}

void check_against(State& s, const FileId& id, const std::string& what) {
  for (const auto& in : s.inputs)
    if (same_file(in, id))
      throw UsageError(what + " '" + id.path + "' is the input '" + in.path +
                       "'; it would be overwritten");
}

}  // namespace

void note_input(const std::string& path) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.depth == 0 || path.empty()) return;
  FileId id = path == "-" ? identify("stdin", 0) : identify(path);
  if (!id.exists) return;  // the reader reports it
  for (const auto& out : s.outputs)
    if (same_file(out.id, id))
      throw UsageError("input '" + path + "' is also the output '" + out.id.path + "'");
  s.inputs.push_back(std::move(id));
}

void claim_outputs(const std::vector<std::string>& paths) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.depth == 0) return;
  for (const auto& p : paths) {
    if (p.empty()) continue;
    const int fd = descriptor_of(p);
    FileId id = fd >= 0 ? identify(p, fd) : identify(p);
    check_against(s, id, "output");
    for (const auto& o : s.outputs)
      if (same_file(o.id, id))
        throw UsageError("two outputs are the same file: '" + o.id.path + "' and '" + p + "'");
    // Fail now rather than after the work: the directory must take the temporary file.
    struct stat st;
    if (fd < 0 && ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      throw IoError(p + ": is a directory");
    if (fd < 0 && ::lstat(p.c_str(), &st) != 0 && ::access(dir_of(p).c_str(), W_OK | X_OK) != 0)
      throw IoError(io_message(p, "cannot open for writing", errno));
    s.outputs.push_back({std::move(id), false});
  }
}

StagedOutput stage_output(const std::string& path) {
  if (path.empty()) throw UsageError("empty output path");
  StagedOutput o;
  o.path = path;
  o.target = path;
  o.fd = descriptor_of(path);
  struct stat lst, st;
  if (o.fd >= 0) {
    if (::fstat(o.fd, &st) != 0)
      throw IoError(io_message(path, "descriptor " + std::to_string(o.fd) + " is not open", errno));
    o.write_through = true;
  } else if (::lstat(path.c_str(), &lst) == 0) {
    const bool link = S_ISLNK(lst.st_mode);
    if (link && ::stat(path.c_str(), &st) != 0) {
      if (errno != ENOENT)
        throw IoError(io_message(path, "cannot follow the symbolic link", errno));
      // A link to a file not made yet: the file is created where the link points.
      o.target = dangling_link_target(path);
      st.st_mode = S_IFREG;
    } else if (!link) {
      st = lst;
    }
    if (S_ISDIR(st.st_mode)) throw IoError(path + ": is a directory");
    if (S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode))
      throw IoError(path + ": is a block device or socket; refusing to write to it");
    if (S_ISREG(st.st_mode)) {
      if (link && o.target == path) o.target = real_path(path);  // the file it points to
      if (o.target.empty()) throw IoError(io_message(path, "cannot resolve", errno));
    } else {
      o.write_through = true;  // character device, FIFO
    }
  }
  {
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.depth > 0) {
      FileId id = o.fd >= 0 ? identify(path, o.fd) : identify(o.target);
      check_against(s, id, "output");
      bool claimed = false;
      for (auto& e : s.outputs)
        if (same_file(e.id, id)) {
          if (e.staged || claimed)
            throw UsageError("two outputs are the same file: '" + e.id.path + "' and '" + path +
                             "'");
          e.staged = claimed = true;
        }
      if (!claimed) s.outputs.push_back({std::move(id), true});
    }
  }
  create_tmp(o);
  return o;
}

void finish_output(const StagedOutput& out) {
  State& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.depth > 0) {
      for (auto& p : s.pending)
        if (p.out.tmp == out.tmp) {
          p.finished = true;
          return;
        }
      s.pending.push_back({out, true});
      return;
    }
  }
  commit_one(out);
}

void discard_output(const StagedOutput& out) {
  State& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    for (std::size_t i = 0; i < s.pending.size(); ++i)
      if (s.pending[i].out.tmp == out.tmp) {
        s.pending.erase(s.pending.begin() + static_cast<long>(i));
        break;
      }
  }
  remove_tmp(out);
}

OutputTransaction::OutputTransaction() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  outermost_ = s.depth++ == 0;
  if (outermost_) {
    s.inputs.clear();
    s.outputs.clear();
    s.pending.clear();
  }
}

OutputTransaction::~OutputTransaction() {
  State& s = state();
  std::vector<Pending> left;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    --s.depth;
    if (!outermost_) return;
    left.swap(s.pending);
    s.inputs.clear();
    s.outputs.clear();
  }
  for (const auto& p : left) remove_tmp(p.out);
}

void OutputTransaction::commit() {
  if (!outermost_ || committed_) return;
  committed_ = true;
  State& s = state();
  std::vector<Pending> all;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    all.swap(s.pending);
  }
  struct Hold {
    Hold() { begin_signal_hold(); }
    ~Hold() { end_signal_hold(); }
  } hold;
  std::size_t i = 0;
  try {
    // Verify: every output finished, every rename target still replaceable.
    for (const auto& p : all) {
      struct stat st;
      if (!p.finished) throw IoError(p.out.path + ": output was not completed");
      if (::stat(p.out.tmp.c_str(), &st) != 0)
        throw IoError(io_message(p.out.path, "temporary file " + p.out.tmp + " vanished", errno));
      if (!p.out.write_through && ::stat(p.out.target.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        throw IoError(p.out.path + ": is a directory");
    }
    // Write-throughs can fail (EPIPE, ENOSPC on a device) and cannot be undone: first.
    for (; i < all.size(); ++i)
      if (all[i].out.write_through) commit_one(all[i].out);
    for (auto& p : all)
      if (!p.out.write_through) {
        commit_one(p.out);
        p.out.tmp.clear();
      }
  } catch (...) {
    for (const auto& p : all)
      if (!p.out.write_through) remove_tmp(p.out);
    for (; i < all.size(); ++i)
      if (all[i].out.write_through) remove_tmp(all[i].out);
    throw;
  }
}

}  // namespace seqlift
