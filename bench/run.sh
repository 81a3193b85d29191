#!/usr/bin/env bash
# seqlift speed benchmark (issue: reach the hardware's limit). Builds Release, then for
# each workload and thread count prints regions/s, s/region, achieved GFLOP/s and that
# as a fraction of this machine's Eigen sgemm throughput measured in the same run.
#   W1 BPNet-like: peer/bpnet.onnx (2114 bp), 64 regions, 20 dinuc shuffles, target 0
#   W2 Basset-like: peer/basset.onnx (600 bp), 256 regions, 20 shuffles, targets 0,1,2
#   W3 W1 with --target all (2 targets): the shared forward pays
#   W4 Enformer-like hybrid (bench/w4_model.py: conv tower to 128 tokens of width 64, 2
#      pre-norm transformer layers with 4 heads, attention pooling, 2 outputs; random
#      weights), 2048 bp, W4_REGIONS regions (default 4), 20 shuffles, --target all; next
#      to it, in the same run, PyTorch's forward+backward floor for the same passes
#      (1 + K forward rows, one backward per target) on the same threads. Needs Debian's
#      python3-torch and python3-onnx (skipped without them).
# FLOPs = forward FLOPs per sequence (seqlift inspect) x passes:
#   (1 + K) forward rows + K x T backward rows (a backward costs about one forward).
# Each workload runs REPEAT times (default 3) and the fastest run is reported: this
# machine is a shared VM whose timings drift by 10-20% between runs.
# The ISA is the one seqlift picks at run time (AVX-512 through its x86-64-v4 twin where the
# CPU has it; SEQLIFT_ISA=avx2 caps it) and the sgemm probe is built for that same ISA.
# The peer: when tangermeme is importable (PYTHONPATH=DIR holding the tangermeme package,
# fetched outside the repository; Debian's python3-torch, -numba, -tqdm, -pandas) W1 and W2
# also run tangermeme's deep_lift_shap on the same architecture, shuffles and targets,
# same threads, on the first PEER_REGIONS sequences (default 8), and print the ratio.
# Usage: [REPEAT=N] [ONLY="W1 W4"] bench/run.sh [THREADS...]   (default: 1 2)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=("${@:-1 2}")
[ $# -eq 0 ] && THREADS=(1 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(bash scripts/cores.sh)" --target seqlift_cli sgemm_probe >/dev/null
B=build/seqlift
ISA=$($B --version | sed -n 's/.*(\(.*\)).*/\1/p')
PROBE=build/sgemm_probe
if [ "$ISA" = avx512 ]; then
  cmake --build build --target sgemm_probe_v4 >/dev/null
  PROBE=build/sgemm_probe_v4
fi
echo "# $(date -u +%FT%TZ) CPU: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'); seqlift ISA: $ISA; load: $(cut -d' ' -f1-3 /proc/loadavg)"
PEER=0
if /usr/bin/python3 -c "import tangermeme, torch" 2>/dev/null; then PEER=1; else
  echo "# tangermeme not importable: no peer column (see the header of this script)" >&2; fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
FIX=tests/data/peer
# Inputs: windows of the bundled example genome (deterministic).
awk 'BEGIN{srand(7); n=0; while (n < 256) {c = (n % 3 == 0) ? "chr2" : "chr1"; s = 5000 + int(rand() * 200000); printf "%s\t%d\t%d\tr%d\n", c, s, s + 1, n; n++}}' > "$W/regions.bed"
head -64 "$W/regions.bed" > "$W/regions64.bed"
$B -q extract --genome data/example_genome.fa --regions "$W/regions64.bed" --width 2114 -o "$W/w1.fa"
$B -q extract --genome data/example_genome.fa --regions "$W/regions.bed" --width 600 -o "$W/w2.fa"
flops() { $B -q inspect --model "$1" | awk -F'\t' '/^# total/ {split($4, a, "="); print a[2]}'; }
F_BPNET=$(flops $FIX/bpnet/model.onnx)
F_BASSET=$(flops $FIX/basset/model.onnx)
printf "%-4s %-7s %8s %10s %11s %9s %9s %8s\n" work threads regions regions/s s/region GFLOP/s sgemm frac_sgemm
run() {  # name threads model fasta n targets T
  local name=$1 t=$2 model=$3 fa=$4 n=$5 targets=$6 T=$7 F=$8 K=20
  local sg start end s
  secs=""
  sg=$($PROBE "$t" 2)
  for _ in $(seq "${REPEAT:-3}"); do
    start=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$W/rss" $B -q score --model "$model" --fasta "$fa" --n-refs $K \
      --target "$targets" --threads "$t" --npz "$W/out.npz"
    end=$(date +%s.%N)
    s=$(echo "$end - $start" | bc -l)
    if [ -z "$secs" ] || [ "$(echo "$s < $secs" | bc -l)" = 1 ]; then secs=$s; fi
  done
  awk -v name="$name" -v t="$t" -v n="$n" -v s="$secs" -v F="$F" -v K=$K -v T="$T" -v sg="$sg" -v rss="$(cat "$W/rss")" \
    'BEGIN { g = F * (1 + K + K * T) * n / s / 1e9;
             printf "%-4s %-7d %8d %10.2f %11.4f %9.1f %9.1f %8.2f   peak RSS %.0f MB\n", name, t, n, n / s, s / n, g, sg, g / sg, rss / 1024 }'
}
want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
W4_OK=0
if want W4 && /usr/bin/python3 -c "import torch, onnx" 2>/dev/null; then
  /usr/bin/python3 bench/w4_model.py export "$W/w4.onnx" 2>/dev/null
  head -"${W4_REGIONS:-4}" "$W/regions.bed" > "$W/regions_w4.bed"
  $B -q extract --genome data/example_genome.fa --regions "$W/regions_w4.bed" --width 2048 -o "$W/w4.fa"
  F_W4=$(flops "$W/w4.onnx")
  W4_OK=1
elif want W4; then
  echo "W4 skipped: needs python3-torch and python3-onnx (apt-get install python3-torch python3-onnx)" >&2
fi
peer() {  # name threads kind fasta targets: tangermeme on the same workload, ratio to $secs/n
  local name=$1 t=$2 kind=$3 fa=$4 targets=$5 n=$6 best="" s
  [ "$PEER" = 1 ] || return 0
  for _ in $(seq "${PEER_REPEAT:-1}"); do
    s=$(/usr/bin/python3 bench/tangermeme_peer.py "$kind" "$fa" "$targets" 20 "$t" "${PEER_REGIONS:-8}")
    if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then best=$s; fi
  done
  awk -v name="$name" -v t="$t" -v a="$secs" -v n="$n" -v b="$best" -v isa="$ISA" \
    'BEGIN { printf "%-4s %-7d seqlift %.4f s/region (%s), tangermeme %.4f s/region: %.1fx\n", name, t, a / n, isa, b, b / (a / n) }'
}
for t in "${THREADS[@]}"; do
  if want W1; then
    run W1 "$t" $FIX/bpnet/model.onnx "$W/w1.fa" 64 0 1 "$F_BPNET"
    peer W1 "$t" bpnet "$W/w1.fa" 0 64
  fi
  if want W2; then
    run W2 "$t" $FIX/basset/model.onnx "$W/w2.fa" 256 all 3 "$F_BASSET"
    peer W2 "$t" basset "$W/w2.fa" 0,1,2 256
  fi
  if want W3; then run W3 "$t" $FIX/bpnet/model.onnx "$W/w1.fa" 64 all 2 "$F_BPNET"; fi
  if [ "$W4_OK" = 1 ]; then
    n4=$(grep -c '>' "$W/w4.fa")
    run W4 "$t" "$W/w4.onnx" "$W/w4.fa" "$n4" all 2 "$F_W4"
    s_seqlift=$(awk -v n="$n4" -v s="$secs" 'BEGIN {printf "%.4f", s / n}')
    s_torch=$(/usr/bin/python3 bench/w4_model.py floor "$W/w4.fa" 20 "$t" 2>/dev/null)
    s2d=$(/usr/bin/python3 -c "import numpy as np, sys; z = np.load(sys.argv[1]); print('%.3g %.3g' % (abs(z['delta']).max(), abs(z['pred']).max()))" "$W/out.npz")
    awk -v t="$t" -v a="$s_seqlift" -v b="$s_torch" -v d="$s2d" \
      'BEGIN { split(d, e, " "); printf "W4   %-7d seqlift %.4f s/region, PyTorch fwd+bwd floor %.4f s/region: %.2fx; max |s2d error| %s (max |pred| %s)\n", t, a, b, b / a, e[1], e[2] }'
  fi
done
