// Logging to stderr, minimap2-style: "[seqlift:LEVEL elapsed] message".
// stdout is reserved for data. Thread-safe (one write per line).
#pragma once
#include <string>

namespace seqlift {

enum class LogLevel { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

/// Messages above this level are dropped. Default: kInfo.
void set_log_level(LogLevel level);
LogLevel log_level();

void log_message(LogLevel level, const std::string& message);
inline void log_warn(const std::string& m) {
  log_message(LogLevel::kWarning, m);
}
inline void log_info(const std::string& m) {
  log_message(LogLevel::kInfo, m);
}

/// Seconds since the process started (first call to any log function).
double elapsed_seconds();
/// Peak resident set size of this process in bytes (0 when unknown).
long peak_rss_bytes();

}  // namespace seqlift
