// Temporary output files removed when the process is interrupted (SIGINT, SIGTERM,
// SIGHUP), so an interrupted run leaves neither a final-named nor a temporary file.
// register/unregister are thread-safe; the handler only calls unlink().
#pragma once
#include <string>

namespace seqlift {

void register_temp_file(const std::string& path);
void unregister_temp_file(const std::string& path);
/// Renames a finished temporary file to its final name (removing it on failure) and
/// forgets it; throws IoError naming `path`.
void rename_into_place(const std::string& tmp, const std::string& path);

/// Installs the handlers (main() calls it once). After cleaning up, the signal is
/// re-raised with its default action, so the exit status reports it.
void install_signal_cleanup();

}  // namespace seqlift
