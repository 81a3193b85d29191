// Build ISA, CPU detection and the hand-over to the AVX-512 twin (see seqlift/isa.hpp).
#include "seqlift/isa.hpp"

#include <limits.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "seqlift/error.hpp"

namespace seqlift {

namespace {
constexpr const char* kTwinName = "seqlift-x86-64-v4";
}

const char* build_isa() {
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
  return "avx512";
#elif defined(__AVX2__)
  return "avx2";
#else
  return "sse2";
#endif
}

bool cpu_has_avx512() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // libgcc also checks XCR0, so an OS that does not save the ZMM state reports false.
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512cd");
#else
  return false;
#endif
}

std::string wanted_isa() {
  const char* env = std::getenv("SEQLIFT_ISA");
  const std::string cap = env ? env : "";
  if (!cap.empty() && cap != "auto" && cap != "avx2" && cap != "avx512")
    throw UsageError("SEQLIFT_ISA='" + cap + "': expected auto, avx2 or avx512");
  if (cap == "avx2") return "avx2";
  return cpu_has_avx512() ? "avx512" : "avx2";
}

void hand_over_to_widest_isa(char** argv) {
  if (wanted_isa() != "avx512" || std::strcmp(build_isa(), "avx512") == 0) return;
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return;
  self[n] = '\0';
  std::string twin(self);
  const auto slash = twin.rfind('/');
  twin = (slash == std::string::npos ? std::string() : twin.substr(0, slash + 1)) + kTwinName;
  if (access(twin.c_str(), X_OK) != 0) return;  // an install without the twin: run AVX2
  execv(twin.c_str(), argv);
  // exec failed (e.g. a noexec mount): this binary still does the work.
}

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
// The twin started by hand on a CPU without AVX-512: say so before any static initializer
// (compiled for AVX-512) can die of SIGILL. Priority 101 runs ahead of them; the function
// itself is compiled for plain x86-64.
__attribute__((constructor(101), target("arch=x86-64"))) static void refuse_without_avx512() {
  if (cpu_has_avx512()) return;
  static const char msg[] =
      "seqlift: this binary was built for AVX-512 (x86-64-v4) and this CPU lacks it; run "
      "seqlift, which picks the widest ISA the CPU has\n";
  if (write(2, msg, sizeof msg - 1) < 0) _exit(1);
  _exit(1);
}
#endif

}  // namespace seqlift
