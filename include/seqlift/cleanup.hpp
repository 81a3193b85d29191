// Outputs are written under temporary names and committed all together, so a failed or
// interrupted run leaves neither a final-named nor a temporary file, and a successful run
// leaves every output.
//
// - register/unregister: temporary files unlinked by the signal handlers (SIGINT, SIGTERM,
//   SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1/2, SIGALRM, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF).
//   Thread-safe, any number of files; the handler only calls unlink().
// - stage_output / finish_output: how one output reaches its path. A regular (or new) file
//   is written beside it and renamed onto it; a symbolic link to a regular file is followed
//   (the link stays); a character device, FIFO, /dev/stdout or /dev/fd/N is written through
//   (the temporary is copied into it at commit), never replaced. Directories, block
//   devices, sockets and dangling links are refused.
// - OutputTransaction: while one is open (main() opens one per command; run_score and
//   run_merge open their own, which join an enclosing one), finished outputs wait for
//   commit(), which verifies and renames them all (signals deferred meanwhile). Inputs
//   noted with note_input() and the outputs of the transaction must all be different
//   files: an output equal to an input or to another output is a UsageError.
#pragma once
#include <string>
#include <vector>

namespace seqlift {

void register_temp_file(const std::string& path);
void unregister_temp_file(const std::string& path);

/// Installs the handlers (main() calls it once). After cleaning up, the signal is
/// re-raised with its default action, so the exit status reports it.
void install_signal_cleanup();

/// One output being written.
struct StagedOutput {
  std::string path;    ///< as given (for messages)
  std::string target;  ///< final file: `path` with symbolic links resolved, or written through
  std::string tmp;     ///< where the writer writes (already created, empty)
  bool write_through = false;  ///< copy tmp into target (device, FIFO, stdout) at commit
  int fd = -1;                 ///< write-through into this open descriptor (1 for "-")
};

/// Checks `path` as an output (kind, conflicts with the transaction's inputs and outputs)
/// and creates its empty temporary file. Throws UsageError (conflict) or IoError.
StagedOutput stage_output(const std::string& path);
/// The writer has closed `out.tmp` without error: commits it now, or with the enclosing
/// transaction. Throws IoError (the temporary is removed).
void finish_output(const StagedOutput& out);
/// Removes the temporary of an output that will not be committed.
void discard_output(const StagedOutput& out);

/// Records `path` as an input of the running transaction (no-op outside one; "-" is stdin).
void note_input(const std::string& path);
/// Checks up front that `paths` (outputs to be written later; empty entries ignored) are
/// distinct from each other and from the noted inputs. Throws UsageError naming both uses.
void claim_outputs(const std::vector<std::string>& paths);

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

/// For the commit phase (used by OutputTransaction): signals arriving between begin and
/// end are held; end_signal_hold() re-raises one that arrived.
void begin_signal_hold();
void end_signal_hold();

}  // namespace seqlift
