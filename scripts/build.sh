#!/usr/bin/env bash
# Configures and builds seqlift in ./build (Release). Usage: scripts/build.sh [cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j "$(bash scripts/cores.sh)"
