#!/usr/bin/env bash
# Fresh machine to first result: installs dependencies, builds, and scores the bundled
# example (data/): a synthetic genome, 129 peaks and a BPNet-style model, with 20
# dinucleotide shuffles per peak.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
mkdir -p out
./build/seqlift --version
./build/seqlift score --model data/example_model.onnx \
  --genome data/example_genome.fa --regions data/example_peaks.bed --width 1000 \
  --references dinuc --n-refs 20 --seed 0 --npz out/example_scores.npz
./build/seqlift predict --model data/example_model.onnx \
  --genome data/example_genome.fa --regions data/example_peaks.bed --width 1000 \
  -o out/example_predictions.tsv
echo "quickstart: wrote out/example_scores.npz (contributions) and out/example_predictions.tsv"
