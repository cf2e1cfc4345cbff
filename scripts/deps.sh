#!/bin/sh
# Installs xrnn's Debian build and test dependencies when any is missing (needs root or sudo).
set -eu
# extra packages may be named as arguments (e.g. python3-matplotlib for the plots)
pkgs="g++ meson ninja-build pkg-config cmake libxtensor-dev libxtensor-blas-dev libopenblas-dev doctest-dev libcli11-dev nlohmann-json3-dev libzip-dev libsndfile1-dev libkissfft-dev espeak-ng sox python3-numpy python3-torch pybind11-dev python3-dev python3-pytest python3-matplotlib libopenmpi-dev openmpi-bin clang libclang-rt-14-dev libprotobuf-dev libonnx-dev python3-onnx nodejs $*"
# npm for tests/onnx (onnxruntime-node); NodeSource's nodejs bundles its own and conflicts with Debian's npm
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
