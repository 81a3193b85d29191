// Progress on stderr: regions done / total, rate and ETA. Redrawn in place on a
// terminal; one line every 30 s otherwise (when forced with --progress).
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "seqlift/log.hpp"

namespace seqlift {

class Progress {
 public:
  Progress(int64_t total, bool forced)
      : total_(total), tty_(isatty(STDERR_FILENO)), on_(tty_ || forced) {
    start_ = last_ = elapsed_seconds();
  }
  void update(int64_t done) {
    if (!on_) return;
    const double now = elapsed_seconds();
    if (done < total_ && now - last_ < (tty_ ? 0.5 : 30.0)) return;
    last_ = now;
    const double rate = done / std::max(1e-9, now - start_);
    const double eta = rate > 0 ? (total_ - done) / rate : 0;
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "%s[seqlift] %lld/%lld regions (%.1f%%), %.2f regions/s, ETA %s%s",
                  tty_ ? "\r" : "", (long long)done, (long long)total_,
                  total_ ? 100.0 * done / total_ : 100.0, rate, duration(eta).c_str(),
                  tty_ ? (done == total_ ? "\n" : "") : "\n");
    std::fputs(buf, stderr);
    std::fflush(stderr);
  }

 private:
  static std::string duration(double s) {
    char b[32];
    const long t = static_cast<long>(s + 0.5);
    if (t >= 3600)
      std::snprintf(b, sizeof b, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else
      std::snprintf(b, sizeof b, "%ldm%02lds", t / 60, t % 60);
    return b;
  }
  int64_t total_;
  bool tty_, on_;
  double start_ = 0, last_ = 0;
};

}  // namespace seqlift
