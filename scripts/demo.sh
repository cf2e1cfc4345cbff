#!/bin/sh
# The README's demo command: installs dependencies, builds, runs the quickstart example.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
[ -d build ] || meson setup build
meson compile -C build
./build/examples/quickstart
