#!/bin/sh
# The char-LM quality benchmark: trains xrnn-charlm with its defaults on tinyshakespeare for a
# fixed wall time (default 180 s, evaluations included), prints the final validation loss; then,
# when /usr/bin/python3 has torch, trains the equivalent PyTorch model (same split, batching,
# optimizer, clipping) for the same wall time in the same run and prints both.
# usage: benchmarks/charlm_3min.sh [SECONDS] [extra xrnn-charlm train options...]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-180}
[ $# -gt 0 ] && shift
data=examples/data/tinyshakespeare.txt
[ -x build/tools/xrnn-charlm ] || { [ -d build ] || meson setup build; meson compile -C build; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "== xrnn-charlm train --time-budget $secs $*"
./build/tools/xrnn-charlm train --data "$data" --time-budget "$secs" --out "$out" "$@" 2>&1 | tr '\r' '\n' | grep -E "^xrnn-charlm|\[final\]|best val"
xval=$(tail -n 1 "$out/metrics.jsonl" | sed 's/.*"val_loss":\([0-9.]*\).*/\1/')
echo "xrnn final val loss: $xval nats/char"
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "== PyTorch, same model and recipe (read from xrnn's checkpoint), same wall time"
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=2 /usr/bin/python3 benchmarks/torch_charlm.py "$data" "$secs" --like "$out/last.ckpt"
fi
