#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite with ctest.
# With CI=true (as CI runs it) or SEQLIFT_FULL_TESTS=1 it then also builds with clang,
# AddressSanitizer + UndefinedBehaviorSanitizer, runs the suite there and every libFuzzer
# target for FUZZ_SECONDS (default 20) each (scripts/fuzz.sh). Those stages keep the
# whole run inside TEST_BUDGET_MIN minutes (default 40): a stage that would not fit after
# a slow build is skipped with a message (the Release suite always runs and decides).
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
  echo "== $(date -u +%H:%M:%S) Release suite done after $((SECONDS / 60)) min =="
  # One clang build serves both: the library, CLI and tests with AddressSanitizer +
  # UndefinedBehaviorSanitizer (and libFuzzer's coverage hooks), and the fuzz targets.
  # Lightly optimised (-O1, line tables only). The suite skips the slowest numeric tests,
  # which exercise the same code as the Release suite on bigger inputs (published models,
  # motif discovery, workflows). Skipped when less than twice the time spent remains.
  slow_under_asan='^(ModiscoCli|MotifWorld|Modisco|Workflow)\.|^Shared/RealModel|ExportPytorch'
  slow_under_asan+='|[Bb]pnet|MotifWorld|ShardsMerged|ReadAllShards|RegionAloneEqualsRegionInBatch'
  slow_under_asan+='|WidestAndAvx2|RescaleDinucleotide'
  if [ $(( SECONDS * 3 )) -lt "$budget" ]; then
    echo "== $(date -u +%H:%M:%S) ASan + UBSan build (clang) =="
    CXX=clang++ CC=clang cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" -DSEQLIFT_FUZZ=ON >/dev/null
    cmake --build build-san -j "$jobs" >/dev/null
    echo "== $(date -u +%H:%M:%S) ASan + UBSan test suite =="
    (cd build-san && ASAN_OPTIONS=detect_leaks=1 \
      LSAN_OPTIONS=suppressions="$PWD/../tests/lsan_suppressions.txt" \
      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j "$jobs" \
        -E "$slow_under_asan")
    fuzz=${FUZZ_SECONDS:-20}
    if [ $(( SECONDS + 7 * fuzz / jobs + 120 )) -lt "$budget" ]; then
      echo "== $(date -u +%H:%M:%S) fuzzers ($fuzz s each) =="
      FUZZ_BUILD=build-san bash scripts/fuzz.sh "$fuzz"
    else
      echo "== fuzzers SKIPPED: $((SECONDS / 60)) min spent of a ${TEST_BUDGET_MIN:-40} min budget =="
    fi
  else
    echo "== sanitizer suite and fuzzers SKIPPED: $((SECONDS / 60)) min spent of a ${TEST_BUDGET_MIN:-40} min budget =="
  fi
  echo "== $(date -u +%H:%M:%S) all stages done after $((SECONDS / 60)) min on $jobs cores (nproc $(nproc)) =="
fi
