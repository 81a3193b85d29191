// Progress on stderr: regions done / total, rate and ETA, updated as each region
// finishes (tick() is thread-safe; the thread that finds the interval elapsed prints).
// On a terminal the line is redrawn in place every 0.5 s; otherwise (when forced with
// --progress) one line every `interval` seconds (default 30) and a final line.
#pragma once
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

#include "seqlift/log.hpp"

namespace seqlift {

class Progress {
 public:
  Progress(int64_t total, bool forced, double interval = 30.0)
      : total_(total),
        tty_(isatty(STDERR_FILENO)),
        on_(tty_ || forced),
        interval_(tty_ ? 0.5 : interval) {
    start_ = last_ = elapsed_seconds();
  }
  /// One more region done (any thread).
  void tick() {
    const int64_t done = ++done_;
    if (!on_) return;
    if (elapsed_seconds() - last_ < interval_) return;
    std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) return;  // another thread is printing
    const double now = elapsed_seconds();
    if (now - last_ < interval_) return;
    last_ = now;
    print(done, now, false);
  }
  /// The final line (all regions done).
  void finish() {
    if (!on_) return;
    std::lock_guard<std::mutex> lock(mu_);
    print(done_.load(), elapsed_seconds(), true);
  }

 private:
  void print(int64_t done, double now, bool last) {
    const double rate = done / std::max(1e-9, now - start_);
    const double eta = rate > 0 ? (total_ - done) / rate : 0;
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "%s[seqlift] %lld/%lld regions (%.1f%%), %.2f regions/s, %s %s%s",
                  tty_ ? "\r" : "", (long long)done, (long long)total_,
                  total_ ? 100.0 * done / total_ : 100.0, rate, last ? "took" : "ETA",
                  duration(last ? now - start_ : eta).c_str(), tty_ && !last ? "" : "\n");
    std::fputs(buf, stderr);
    std::fflush(stderr);
  }
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
  double interval_;
  double start_ = 0;
  std::atomic<double> last_{0};
  std::atomic<int64_t> done_{0};
  std::mutex mu_;
};

}  // namespace seqlift
