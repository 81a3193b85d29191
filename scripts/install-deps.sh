#!/usr/bin/env bash
# Installs seqlift's build and test dependencies from Debian packages.
# Idempotent and quiet; run as root (or with sudo) on Debian 12.
# python3-h5py and python3-numpy are test-only: the chrombpnet-style --h5 output is
# checked with an independent reader.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libhts-dev libeigen3-dev libcli11-dev
      libgtest-dev libbigwig-dev libonnx-dev libprotobuf-dev protobuf-compiler
      zlib1g-dev libcurl4-gnutls-dev libhdf5-dev libigraph-dev nlohmann-json3-dev tabix bcftools python3 python3-numpy python3-h5py snakemake clang libomp-dev libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
