#!/bin/sh
# The README's demo command: installs dependencies, builds, trains a character-level LSTM on the
# bundled tinyshakespeare for 2 minutes (2 cores), then samples from the best checkpoint.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
# Its own build folder, build-demo, and only what the demo runs (the library, the char-LM wing and
# xrnn-charlm; no tests, examples or benchmarks): the demo never reconfigures build/, which
# scripts/test.sh builds with -Werror.
[ -d build-demo ] || meson setup build-demo -Dtests=false -Dexamples=false -Dbenchmarks=false
meson compile -C build-demo tools/xrnn-charlm
rm -rf runs/demo
./build-demo/tools/xrnn-charlm train --data examples/data/tinyshakespeare.txt --time-budget "${DEMO_SECONDS:-120}" --out runs/demo
echo
echo "== sample (temperature 0.8) from runs/demo/best.ckpt"
./build-demo/tools/xrnn-charlm sample --checkpoint runs/demo/best.ckpt --prime "ROMEO:" --length 600 --temperature 0.8
