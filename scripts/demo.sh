#!/bin/sh
# The README's demo command: installs dependencies, builds, trains a character-level LSTM on the
# bundled tinyshakespeare for 2 minutes (2 cores), then samples from the best checkpoint.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
[ -d build ] || meson setup build
meson compile -C build
rm -rf runs/demo
./build/tools/xrnn-charlm train --data examples/data/tinyshakespeare.txt --time-budget "${DEMO_SECONDS:-120}" --out runs/demo
echo
echo "== sample (temperature 0.8) from runs/demo/best.ckpt"
./build/tools/xrnn-charlm sample --checkpoint runs/demo/best.ckpt --prime "ROMEO:" --length 600 --temperature 0.8
