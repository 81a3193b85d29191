#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite with ctest.
# With CI=true (as CI runs it) or SEQLIFT_FULL_TESTS=1 it then also runs the suite
# under AddressSanitizer + UndefinedBehaviorSanitizer and every libFuzzer target for
# 60 s (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
(cd build && ctest --output-on-failure -j "$(nproc)")
if [ "${CI:-}" = "true" ] || [ "${SEQLIFT_FULL_TESTS:-0}" = "1" ]; then
  echo "== ASan + UBSan test suite =="
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEQLIFT_SANITIZE=ON >/dev/null
  cmake --build build-asan -j "$(nproc)" >/dev/null
  (cd build-asan && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j "$(nproc)")
  echo "== fuzzers (60 s each) =="
  bash scripts/fuzz.sh 60
fi
