#!/bin/sh
# The 30-minute char-LM benchmark (issue 3's second target, best val <= 1.42 nats/char): trains
# the 30-minute recipe on tinyshakespeare for a fixed wall time (default 1800 s, evaluations
# included), prints each evaluation and the best validation loss, and, for a run with --ema,
# the last checkpoint scored on both its averaged and its raw weights.
# usage: benchmarks/charlm_30min.sh [SECONDS] [OUT] [extra xrnn-charlm train options...]
# (an option given again among the extras overrides the recipe's: the last one counts)
# Run it alone: on this 2-core machine anything else running costs steps.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-1800}
out=${2:-runs/charlm_30min}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
data=examples/data/tinyshakespeare.txt
[ -x build/tools/xrnn-charlm ] || { [ -d build ] || meson setup build; meson compile -C build; }
rm -rf "$out"
set -- --num-layers 2 --hidden-size 512 --dropout 0.35 --weight-decay 0.1 --ema 0.999 \
  --lr 2e-3 --lr-decay 0.85 --lr-decay-every 350 --lr-decay-start 1000 --lr-min 1e-4 \
  --eval-every 490 "$@"
echo "== xrnn-charlm train --time-budget $secs --out $out $*"
./build/tools/xrnn-charlm train --data "$data" --time-budget "$secs" --out "$out" "$@"
# the validation split as a file: the last floor(10%) bytes, as load_corpus cuts it
bytes=$(wc -c < "$data")
tail -c $((bytes / 10)) "$data" > "$out/val.txt"
echo "== the last checkpoint on the validation split: averaged weights (what validation used), raw weights"
./build/tools/xrnn-charlm eval --checkpoint "$out/last.ckpt" --data "$out/val.txt"
./build/tools/xrnn-charlm eval --checkpoint "$out/last.ckpt" --data "$out/val.txt" --raw-weights
