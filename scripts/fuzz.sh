#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan), replays fuzz/regressions (past
# findings: any failure there fails the script), then runs each target for SECONDS
# (default 60, fixed seed) on seed corpora made from data/ and tests/data. A new crash,
# leak or hang is printed with its reproducer in build-fuzz/findings/; it fails the
# script only with FUZZ_STRICT=1 (CI keeps it non-fatal: a random short run must not
# block a submission; move the reproducer to fuzz/regressions once fixed).
# Usage: [FUZZ_STRICT=1] scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
# FUZZ_BUILD=DIR reuses a configured clang build that has SEQLIFT_FUZZ=ON (test.sh's
# sanitizer build, which also holds the test suite); default build-fuzz.
FB=${FUZZ_BUILD:-build-fuzz}
if [ ! -f "$FB/CMakeCache.txt" ]; then
  CXX=clang++ CC=clang cmake -S . -B "$FB" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" -DSEQLIFT_FUZZ=ON \
    -DSEQLIFT_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$FB" -j "$(bash scripts/cores.sh)" --target fuzz_fasta fuzz_bed fuzz_meme fuzz_onnx fuzz_npz fuzz_keras fuzz_fai >/dev/null
C=$FB/corpus
mkdir -p $C/fasta $C/bed $C/meme $C/onnx $C/npz $C/keras $C/fai $FB/findings
cp tests/data/peer/zoo/x.fa $C/fasta/zoo_x.fa
# Files from other projects (the DeepLIFT authors' model, JASPAR) come from the shared
# folder beside the checkout when it is there ($SEQLIFT_SHARED overrides).
SHARED=${SEQLIFT_SHARED:-../shared}
PAPER=$SHARED/fixtures/deeplift_paper
[ -d "$PAPER" ] || echo "fuzz.sh: $PAPER not found; running without the DeepLIFT paper seeds" >&2
[ -f "$PAPER/x.fa" ] && cp "$PAPER/x.fa" $C/fasta/paper_x.fa
head -c 4000 data/example_genome.fa > $C/fasta/genome_head.fa
cp data/example_peaks.bed $C/bed/
printf 'chr1\t18\t11\t10\t11\nchr2\t10\t38\t8\t10\n' > $C/fai/ok.fai
head -3 data/example_genome.fa.fai > $C/fai/example.fai 2>/dev/null || true
printf 'chr1\t0\t10\tp\t0\t-\t1\t1\t1\t5\n' > $C/bed/narrowpeak.bed
cp data/example_motifs.meme $C/meme/example.meme
cp tests/data/peer/zoo/model.onnx $C/onnx/zoo.onnx
[ -f "$PAPER/paper_logits.onnx" ] && cp "$PAPER/paper_logits.onnx" $C/onnx/paper.onnx
[ -d "$PAPER" ] && cp "$PAPER"/*_modelJson.json $C/keras/paper.json
cp fuzz/seeds/keras/*.json $C/keras/  # the architectures of tests/data/keras/*.h5
build/seqlift -q score -m tests/data/peer/zoo/model.onnx --fasta tests/data/peer/zoo/x.fa --n-refs 1 \
  --npz $C/npz/zoo.npz 2>/dev/null || true
status=0
# Past findings first: each must now run clean.
for t in onnx npz keras; do
  for f in fuzz/regressions/$t/*; do
    [ -f "$f" ] || continue
    if ! $FB/fuzz/fuzz_$t -rss_limit_mb=2048 "$f" > $FB/regression.log 2>&1; then
      echo "regression $f FAILED:"; tail -20 $FB/regression.log; status=1
    fi
  done
done
run_target() {  # one target; its log and verdict under build-fuzz/
  local t=$1
  if ASAN_OPTIONS=detect_leaks=1 $FB/fuzz/fuzz_$t -seed=1 -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -artifact_prefix=$FB/findings/$t- $C/$t > $FB/fuzz_$t.log 2>&1; then
    echo "fuzz_$t: ok, $(grep -E '^Done' $FB/fuzz_$t.log | tail -1)"
  else
    echo "fuzz_$t FINDING (reproducer in $FB/findings/):"; tail -30 $FB/fuzz_$t.log
    [ "${FUZZ_STRICT:-0}" = "1" ] && return 1
    return 0
  fi
}
# One target per core at a time.
jobs=$(bash scripts/cores.sh)
pids=()
for t in fasta bed meme onnx npz keras fai; do
  run_target "$t" & pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
