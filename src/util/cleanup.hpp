// Internal: the staging behind OutputFile and OutputTransaction (seqlift/output.hpp).
//
// - register/unregister: temporary files unlinked by the signal handlers. Thread-safe,
//   any number of files; the handler only calls unlink().
// - stage_output / finish_output: how one output reaches its path (see output.hpp).
// - note_input / claim_outputs: the inputs and outputs of the running transaction, which
//   must all be different files.
#pragma once
#include <string>
#include <vector>

#include "seqlift/output.hpp"

namespace seqlift {

void register_temp_file(const std::string& path);
void unregister_temp_file(const std::string& path);

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

/// For the commit phase (used by OutputTransaction): signals arriving between begin and
/// end are held; end_signal_hold() re-raises one that arrived.
void begin_signal_hold();
void end_signal_hold();

}  // namespace seqlift
