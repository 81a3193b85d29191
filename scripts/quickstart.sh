#!/usr/bin/env bash
# Fresh machine to first result: installs dependencies, builds, and scores the bundled
# example (data/): a synthetic genome, 129 peaks and a small dilated CNN with one scalar
# output (BPNet-like trunk, no profile head), with 20 dinucleotide shuffles per peak;
# writes a bigWig, the arrays and a per-region table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
mkdir -p out
./build/seqlift score --model data/example_model.onnx \
  --genome data/example_genome.fa --regions data/example_peaks.bed --width 1000 \
  --references dinuc --n-refs 20 --seed 0 --progress \
  --bigwig out/example_contributions.bw --npz out/example_scores.npz \
  --regions-out out/example_regions.tsv
echo "quickstart: wrote out/example_contributions.bw, out/example_scores.npz, out/example_regions.tsv"
