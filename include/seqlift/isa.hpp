// The instruction set a binary was built for, and the hand-over from the default (AVX2)
// build to its AVX-512 twin on CPUs that have it.
//
// A default build makes two executables from the same sources: `seqlift` (x86-64-v3:
// AVX2, FMA) and `seqlift-x86-64-v4` (AVX-512 F/BW/CD/DQ/VL). Two whole binaries rather
// than per-ISA kernels in one: Eigen's templates and the standard library's inline
// functions compiled with different flags would be merged by the linker (one definition
// wins), so AVX-512 code could run on an AVX2 CPU. Results are bit-for-bit reproducible
// for one binary on one machine whatever the threads; the two ISAs may differ in the last
// bits (different FMA contraction and summation order in the GEMM kernels), which the tests
// bound at 1e-5 relative.
#pragma once

#include <string>

namespace seqlift {

/// The vector ISA this binary's kernels were compiled for: "avx512", "avx2" or "sse2".
const char* build_isa();

/// True when the CPU and the operating system can run x86-64-v4 code (AVX-512 F, BW, CD,
/// DQ and VL with the ZMM state enabled).
bool cpu_has_avx512();

/// The widest ISA seqlift may use here: "avx512" or "avx2", after the SEQLIFT_ISA cap
/// (unset or "auto": the CPU's best; "avx2": never AVX-512; "avx512": the CPU's best).
/// Throws UsageError naming the variable for any other value.
std::string wanted_isa();

/// Called first in main() of the default build. When wanted_isa() is "avx512", this binary
/// is not, and the twin `seqlift-x86-64-v4` is an executable beside it
/// (/proc/self/exe), replaces this process with the twin (execv, same arguments and
/// environment: never returns). Otherwise returns and this binary runs. The twin itself
/// refuses to start on a CPU without AVX-512 (exit 1, naming `seqlift`) before any of its
/// code runs.
void hand_over_to_widest_isa(char** argv);

}  // namespace seqlift
