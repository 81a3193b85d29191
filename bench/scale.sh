#!/usr/bin/env bash
# Scale check (issue: memory-flat at scale): N random 200 bp windows on the bundled
# example genome through `score --npz --bigwig` (zoo-sized model, 2 dinucleotide
# shuffles), reporting peak RSS and wall time per N, and whether thread counts give
# byte-identical outputs. Usage: bench/scale.sh [N ...]   (default: 10000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(bash scripts/cores.sh)" --target seqlift_cli >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000)
printf 'regions\tthreads\twall_s\tpeak_rss_MB\n'
for n in "${sizes[@]}"; do
  awk -v n="$n" 'BEGIN { srand(17); split("chr1 chr2 chrX", c, " ");
                         split("400000 250000 150000", len, " ");
                         for (i = 0; i < n; i++) { k = 1 + int(rand() * 3);
                           s = int(rand() * (len[k] - 200));
                           printf "%s\t%d\t%d\tw%d\n", c[k], s, s + 200, i } }' > "$out/w.bed"
  for t in 2 1; do
    [ "$t" = 1 ] && [ "$n" -gt 10000 ] && continue  # single-thread check at the small size
    /usr/bin/time -f '%e %M' -o "$out/time" build/seqlift -q score \
      -m tests/data/peer/zoo/model.onnx --genome data/example_genome.fa --regions "$out/w.bed" \
      --references dinuc --n-refs 2 --threads "$t" --npz "$out/t$t.npz" --bigwig "$out/t$t.bw"
    read -r wall rss < "$out/time"
    printf '%s\t%s\t%s\t%.1f\n' "$n" "$t" "$wall" "$(echo "$rss / 1024" | bc -l)"
  done
  if [ -f "$out/t1.npz" ]; then
    # npz members compared without 'provenance' (it records the command line).
    /usr/bin/python3 -c 'import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
keys = [k for k in a.files if k != "provenance"]
sys.exit(0 if keys == [k for k in b.files if k != "provenance"] and all(np.array_equal(a[k], b[k]) for k in keys) else 1)' "$out/t1.npz" "$out/t2.npz" && cmp -s "$out/t1.bw" "$out/t2.bw" &&
      echo "# $n regions: threads 1 and 2 byte-identical (npz, bigWig)" ||
      echo "# $n regions: threads 1 and 2 DIFFER"
    rm -f "$out/t1.npz" "$out/t1.bw"
  fi
done
