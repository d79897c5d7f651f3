#!/usr/bin/env bash
# Adds NVIDIA's CUDA packages for Debian 12 to an image (the nvidia/cuda images are
# Ubuntu-based and do not match the Debian 12 libraries Harvis is built against).
#   install-cuda.sh devel   VERSION   # builder: nvcc, cudart and cuBLAS headers (VERSION e.g. 12-6)
#   install-cuda.sh runtime VERSION   # runtime: cudart and cuBLAS shared libraries only
# The driver (libcuda.so.1) and NVML (libnvidia-ml.so.1) come from the host through the
# NVIDIA container toolkit (NVIDIA_DRIVER_CAPABILITIES=compute,utility).
set -euo pipefail
kind="${1:?devel or runtime}"
ver="${2:?CUDA version, e.g. 12-6}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends ca-certificates curl
tmp="$(mktemp -d)"
curl -fsSL -o "$tmp/cuda-keyring.deb" \
  https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/cuda-keyring_1.1-1_all.deb
dpkg -i "$tmp/cuda-keyring.deb"
rm -rf "$tmp"
apt-get update -qq
case "$kind" in
  devel)   apt-get install -y -qq --no-install-recommends "cuda-nvcc-$ver" "cuda-cudart-dev-$ver" "libcublas-dev-$ver" ;;
  runtime) apt-get install -y -qq --no-install-recommends "cuda-cudart-$ver" "libcublas-$ver" ;;
  *) echo "install-cuda.sh: unknown kind '$kind' (devel or runtime)" >&2; exit 2 ;;
esac
rm -rf /var/lib/apt/lists/*
