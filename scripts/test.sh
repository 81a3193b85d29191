#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite with ctest.
# With CI=true (as CI runs it) or SEQLIFT_FULL_TESTS=1 it then also runs the suite
# under AddressSanitizer + UndefinedBehaviorSanitizer and every libFuzzer target for
# FUZZ_SECONDS (default 20) each (scripts/fuzz.sh). Those two stages keep the whole run
# inside TEST_BUDGET_MIN minutes (default 40): a stage that would not fit after a slow
# build is skipped with a message (the Release suite always runs and always decides).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
jobs=$(bash scripts/cores.sh)
echo "== $(date -u +%H:%M:%S) built after $((SECONDS / 60)) min; $jobs usable cores (nproc $(nproc), cpu.max $(cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo none)) =="
# In-process tests use OpenMP's default team: one thread per usable core, not per CPU
# the container can see.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$jobs}
# Tests run side by side (ctest -j): idle OpenMP threads sleep instead of spinning on
# cores another test needs.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
(cd build && ctest --output-on-failure -j "$jobs")
if [ "${CI:-}" = "true" ] || [ "${SEQLIFT_FULL_TESTS:-0}" = "1" ]; then
  budget=$(( ${TEST_BUDGET_MIN:-40} * 60 ))
  echo "== Release suite done after $((SECONDS / 60)) min =="
  # The sanitizer build is optimised lightly (-O1, line tables only) and skips the slowest numeric tests, which exercise the same code as
  # the Release suite on bigger inputs (published models, motif discovery, workflows).
  # It is skipped when less than twice the time spent so far remains.
  if [ $(( SECONDS * 3 )) -lt "$budget" ]; then
    echo "== $(date -u +%H:%M:%S) ASan + UBSan test suite =="
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g1" \
      -DSEQLIFT_SANITIZE=ON >/dev/null
    cmake --build build-asan -j "$jobs" >/dev/null
    (cd build-asan && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      ctest --output-on-failure -j "$jobs" \
        -E '^(ModiscoCli|MotifWorld|Modisco|Workflow)\.|^Shared/RealModel|ExportPytorch|BpnetLiteTangermeme')
  else
    echo "== ASan + UBSan suite SKIPPED: $((SECONDS / 60)) min spent of a ${TEST_BUDGET_MIN:-40} min budget =="
  fi
  fuzz=${FUZZ_SECONDS:-20}
  if [ $(( SECONDS + 7 * fuzz + 300 )) -lt "$budget" ]; then
    echo "== $(date -u +%H:%M:%S) fuzzers ($fuzz s each) =="
    bash scripts/fuzz.sh "$fuzz"
  else
    echo "== fuzzers SKIPPED: $((SECONDS / 60)) min spent of a ${TEST_BUDGET_MIN:-40} min budget =="
  fi
  echo "== all stages done after $((SECONDS / 60)) min on $jobs cores (nproc $(nproc)) =="
fi
