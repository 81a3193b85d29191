#!/bin/bash
# seqlift modisco vs tfmodisco-lite on the same input and cores, in one run: wall and CPU
# time, peak RSS (GNU time), patterns found and their annotation (bench/modisco_compare.py,
# independent of both tools).
#
# usage: bench/modisco_vs_tfmodisco.sh TFMODISCO_DIR [WORKDIR]
#   TFMODISCO_DIR: a scratch checkout of github:jmschrei/tfmodisco-lite (outside the repo),
#   run with Debian's python3 packages (numba, igraph, leidenalg, h5py, scipy, sklearn,
#   hdf5plugin, tqdm, pandas). logomaker and memelite (only imported for `modisco report`)
#   are not packaged by Debian: set STUBS to a folder with empty stand-ins if needed.
set -euo pipefail
TFM=$1
WORK=${2:-/tmp/seqlift_modisco_bench}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SEQLIFT=${SEQLIFT:-$ROOT/build/seqlift}
DB=${DB:-$ROOT/data/example_motifs.meme}
PY=/usr/bin/python3
mkdir -p "$WORK"
cd "$WORK"
echo "# $(date -u) $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2); load: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -f s.npz ]; then
  "$SEQLIFT" score -q --model "$ROOT/data/example_model.onnx" --genome "$ROOT/data/example_genome.fa" \
    --regions "$ROOT/data/example_peaks.bed" --width 1000 --n-refs 20 --npz s.npz --modisco mo
fi
measure() {  # label, command...: prints wall, user+sys, peak RSS
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o time.txt "$@" > "$label.log" 2>&1
  read -r wall user sys rss < time.txt
  printf '%-28s wall %7.1f s  cpu %7.1f s  peak RSS %7.1f MB\n' "$label" "$wall" \
    "$(echo "$user + $sys" | bc)" "$(echo "$rss / 1024" | bc -l)"
}
for run in 1 2 3; do
  measure "seqlift-modisco-npz-$run" "$SEQLIFT" modisco --npz s.npz -o seqlift.h5 --motifs "$DB"
done
measure "seqlift-modisco-pair" "$SEQLIFT" modisco --ohe mo.ohe.npz --hyp mo.hyp.npz -o seqlift_pair.h5
measure "tfmodisco-lite" env PYTHONPATH="$TFM${STUBS:+:$STUBS}" $PY "$TFM/modisco" motifs \
  -s mo.ohe.npz -a mo.hyp.npz -n 20000 -w 1000 -o tfmodisco.h5
$PY "$ROOT/bench/modisco_compare.py" "$DB" GATA1,TEAD3,SOX2,CEBPB,CTCF seqlift.h5 tfmodisco.h5
