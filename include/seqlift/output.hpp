// Output files written under a temporary name and moved into place on commit() (with the
// enclosing OutputTransaction), so a failed or interrupted run never leaves a half-written
// file under the final name, and a successful run leaves every output. "-" streams to
// stdout.
//
// How one output reaches its path: a regular (or new) file is written beside it and
// renamed onto it; a symbolic link to a regular file is followed (the link stays); a
// character device, FIFO, /dev/stdout or /dev/fd/N is written through (the temporary is
// copied into it at commit), never replaced. Directories, block devices, sockets and
// dangling links are refused.
#pragma once
#include <cstdio>
#include <string>

namespace seqlift {

/// Installs the handlers that unlink the temporary files of uncommitted outputs on
/// SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1/2, SIGALRM, SIGXCPU, SIGXFSZ,
/// SIGVTALRM and SIGPROF (main() calls it once). After cleaning up, the signal is
/// re-raised with its default action, so the exit status reports it.
void install_signal_cleanup();

/// While one is open (main() opens one per command; run_score and run_merge open their
/// own, which join an enclosing one), finished outputs wait for commit(), which verifies
/// and renames them all (signals deferred meanwhile). The inputs a run reads and the
/// outputs of the transaction must all be different files: an output equal to an input
/// or to another output is a UsageError.
class OutputTransaction {
 public:
  OutputTransaction();
  ~OutputTransaction();  ///< without commit(): every output staged in it is removed
  OutputTransaction(const OutputTransaction&) = delete;
  OutputTransaction& operator=(const OutputTransaction&) = delete;
  /// Outermost transaction: moves every finished output into place (write-throughs first,
  /// then renames), deferring signals until all are done. Nested: no-op.
  void commit();

 private:
  bool outermost_ = false, committed_ = false;
};

/// One output being written (the state OutputFile and the other writers keep; staged and
/// committed by the internal src/util/cleanup.hpp).
struct StagedOutput {
  std::string path;    ///< as given (for messages)
  std::string target;  ///< final file: `path` with symbolic links resolved, or written through
  std::string tmp;     ///< where the writer writes (already created, empty)
  bool write_through = false;  ///< copy tmp into target (device, FIFO, stdout) at commit
  int fd = -1;                 ///< write-through into this open descriptor (1 for "-")
};

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
