#include "seqlift/log.hpp"

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>

namespace seqlift {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
const auto g_start = std::chrono::steady_clock::now();
}  // namespace

void set_log_level(LogLevel level) {
  g_level = static_cast<int>(level);
}
LogLevel log_level() {
  return static_cast<LogLevel>(g_level.load());
}

double elapsed_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - g_start).count();
}

long peak_rss_bytes() {
  struct rusage usage {};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return usage.ru_maxrss * 1024L;
}

void log_message(LogLevel level, const std::string& message) {
  if (static_cast<int>(level) > g_level.load()) return;
  static const char* const kTags[] = {"E", "W", "I", "D"};
  std::string line = "[seqlift:" + std::string(kTags[static_cast<int>(level)]) + ":";
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%.3f", elapsed_seconds());
  line += stamp;
  line += "] " + message + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace seqlift
