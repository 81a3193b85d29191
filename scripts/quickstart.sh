#!/usr/bin/env bash
# Fresh machine to first result: installs dependencies, builds, and runs seqlift on the
# bundled example (data/): a synthetic genome, 129 peaks and a BPNet-style model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
mkdir -p out
./build/seqlift --version
./build/seqlift extract --genome data/example_genome.fa --regions data/example_peaks.bed \
  --width 1000 -o out/example_windows.fa
./build/seqlift predict --model data/example_model.onnx --fasta out/example_windows.fa \
  -o out/example_predictions.tsv
echo "quickstart: wrote out/example_windows.fa and out/example_predictions.tsv ($(($(wc -l < out/example_predictions.tsv) - 1)) regions)"
