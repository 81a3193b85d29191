#!/usr/bin/env bash
# ISM benchmark (issue #22): saturation mutagenesis of one 2114-bp window with the
# BPNet-like model of tests/data/peer/bpnet (64 channels, 9 dilated residual convs),
# all 3 x 2114 = 6342 single-base mutants, three ways on the same cores:
#   cone   seqlift ism (receptive-cone recomputation of the conv trunk)
#   full   seqlift ism --no-cone (every mutant through the whole network, batched)
#   torch  PyTorch batched forward of all mutants (bench/ism_torch.py: the ONNX graph
#          run by torch functional ops, batch 64), torch.set_num_threads(THREADS)
# Times cover the mutant forward passes only (not model loading). Each runs REPEAT
# times (default 3), the fastest is reported. The outputs of the three are compared.
# Needs Debian python3-torch, python3-onnx, python3-numpy.
# Usage: [REPEAT=N] [THREADS=T] [WINDOW=W] [TORCH=0 to skip torch] bench/ism.sh
set -euo pipefail
cd "$(dirname "$0")/.."
T=${THREADS:-$(bash scripts/cores.sh)}
REPEAT=${REPEAT:-3}
WINDOW=${WINDOW:-0}
PY=/usr/bin/python3
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j 2 --target seqlift_cli >/dev/null
B=build/seqlift
M=tests/data/peer/bpnet/model.onnx
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
printf "chr1\t9200\t10200\tpeak1\n" > "$W/r.bed"
$B -q extract --genome data/example_genome.fa --regions "$W/r.bed" --width 2114 -o "$W/x.fa"
echo "# CPU: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores," \
  "ISA flags: $(grep -o -w -E 'avx2|fma|avx512f' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs may share the machine)"
echo "# threads $T, repeat $REPEAT (best of), window ${WINDOW} (0 = all 2114 positions)"
best() { sort -g | head -1; }
# One line per run: "<wall seconds of the mutant passes> <process CPU seconds>"; the
# best run is the one with the least wall time. CPU seconds (user + sys) are reported
# too: on a shared machine they show the work done when the wall clock is inflated.
seqlift_run() {  # tag, extra flags...
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f "cpu %U %S" -o "$W/time" $B ism --model $M --fasta "$W/x.fa" --target all \
      --no-deeplift --window "$WINDOW" --threads "$T" --npz "$W/out$1.npz" "${@:2}" 2> "$W/log"
    echo "$(sed -n 's/.* mutants in \([0-9.]*\) s .*/\1/p' "$W/log") $(awk '/^cpu/ {print $2 + $3}' "$W/time")"
  done | best
}
cone=$(seqlift_run cone)
full=$(seqlift_run full --no-cone)
torch=""
if [ "${TORCH:-1}" = 1 ] && $PY -c "import torch, onnx, numpy" 2>/dev/null; then
  [ "$WINDOW" = 0 ] || echo "# note: torch always runs all positions"
  torch=$(for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f "cpu %U %S" -o "$W/time" $PY bench/ism_torch.py $M "$W/x.fa" "$T" 64 "$W/torch.npy" > "$W/tlog"
    echo "$(awk '{print $2}' "$W/tlog") $(awk '/^cpu/ {print $2 + $3}' "$W/time")"
  done | best)
else
  echo "# torch: python3-torch / python3-onnx not installed, skipped"
fi
mutants=$((3 * 2114))
[ "$WINDOW" = 0 ] || mutants=$((3 * WINDOW))
printf "%-8s %10s %12s %10s %12s\n" method wall_s mutants/s vs_full cpu_s
fw=${full%% *}
for row in "cone $cone" "full $full" "torch $torch"; do
  set -- $row
  [ -n "${2:-}" ] || continue
  n=$mutants
  [ "$1" = torch ] && n=$((3 * 2114))
  awk -v m="$1" -v s="$2" -v c="$3" -v n="$n" -v f="$fw" -v nf="$mutants" \
    'BEGIN { printf "%-8s %10.2f %12.1f %9.2fx %12.2f\n", m, s, n / s, (n / s) / (nf / f), c }'
done
# The three agree: max |difference| of the mutant outputs (seqlift stores effects =
# mutant - unmutated, so compare effects).
$PY - "$W" "$WINDOW" <<'EOF'
import sys, os, numpy as np
w, window = sys.argv[1], int(sys.argv[2])
a, b = np.load(w + "/outcone.npz"), np.load(w + "/outfull.npz")
print("# max |cone - full| effect: %.3g (max |effect| %.3g)" % (np.abs(a["ism"] - b["ism"]).max(), np.abs(b["ism"]).max()))
if os.path.exists(w + "/torch.npy") and window == 0:
    y = np.load(w + "/torch.npy")                      # [3L, 2] mutant outputs
    ohe = a["ohe"][0]; L = ohe.shape[1]
    obs = ohe.argmax(0)
    rows = [(j, c) for j in range(L) for c in range(4) if c != obs[j]]
    eff = a["ism"][0]                                  # [T, 4, L]
    pred = a["pred"][0]
    d = max(abs((y[k, t] - pred[t]) - eff[t, c, j]) for k, (j, c) in enumerate(rows) for t in range(2))
    print("# max |torch - seqlift| effect: %.3g" % d)
EOF
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
