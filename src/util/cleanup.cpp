// Temporary-file table and signal handlers. The table is a list of fixed-size chunks that
// only grows (a new chunk is published with an atomic store), so the handler can walk it
// without locks and any number of temporaries can be registered.
#include "util/cleanup.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <mutex>

namespace seqlift {
namespace {

constexpr int kSlots = 64;
constexpr std::size_t kPathMax = 4096;

struct Chunk {
  char paths[kSlots][kPathMax];
  std::atomic<bool> used[kSlots];
  std::atomic<Chunk*> next{nullptr};
};
Chunk g_first;
std::mutex g_mutex;

std::atomic<int> g_hold{0};      // > 0: commit phase, signals are deferred
std::atomic<int> g_deferred{0};  // a signal that arrived during the hold

constexpr int kSignals[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGPIPE,   SIGUSR1,
                            SIGUSR2, SIGALRM, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF};

void unlink_all() {
  for (Chunk* c = &g_first; c; c = c->next.load())
    for (int i = 0; i < kSlots; ++i)
      if (c->used[i].load()) ::unlink(c->paths[i]);
}

void die(int sig) {
  unlink_all();
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, nullptr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  raise(sig);
}

void on_signal(int sig) {
  if (g_hold.load() > 0) {
    int expected = 0;
    g_deferred.compare_exchange_strong(expected, sig);
    return;
  }
  die(sig);
}

}  // namespace

void register_temp_file(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_mutex);
  // Longer than PATH_MAX: open() would have failed already, nothing to track.
  if (path.size() >= kPathMax) return;
  Chunk* last = &g_first;
  for (Chunk* c = &g_first; c; c = c->next.load()) {
    last = c;
    for (int i = 0; i < kSlots; ++i)
      if (!c->used[i].load()) {
        std::memcpy(c->paths[i], path.c_str(), path.size() + 1);
        c->used[i].store(true);
        return;
      }
  }
  Chunk* fresh = new Chunk;  // never freed: the handler may be walking the list
  std::memcpy(fresh->paths[0], path.c_str(), path.size() + 1);
  fresh->used[0].store(true);
  last->next.store(fresh);
}

void unregister_temp_file(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (Chunk* c = &g_first; c; c = c->next.load())
    for (int i = 0; i < kSlots; ++i)
      if (c->used[i].load() && path == c->paths[i]) {
        c->used[i].store(false);
        return;
      }
}

void install_signal_cleanup() {
  for (int sig : kSignals) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, nullptr);
  }
}

void begin_signal_hold() {
  g_hold.fetch_add(1);
}

void end_signal_hold() {
  if (g_hold.fetch_sub(1) == 1) {
    const int sig = g_deferred.exchange(0);
    if (sig != 0) die(sig);
  }
}

}  // namespace seqlift
