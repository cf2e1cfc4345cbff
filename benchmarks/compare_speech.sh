#!/bin/sh
# The connected-digit recogniser, xrnn vs PyTorch, side by side in one run (issue 14): the same
# prepared features, the same model (bidirectional GRU 2x128, a linear layer per step, CTC), the
# same recipe (Adam 2e-3, batch 32, clip 5, dropout 0.3 between the layers, feature noise 0.1 and
# two time masks of up to 5 steps, cosine decay of the lr to 0), the same validation fraction and
# the same wall-clock training time: xrnn-speech trains its default 16 epochs (or EPOCHS) with 2
# threads, and PyTorch then gets exactly the seconds xrnn took (its cosine runs over those
# seconds). Both keep the state of the lowest validation loss and decode greedily. PyTorch first
# gets its best thread setting: a 20 s run at each of torch.set_num_threads 1|2 x
# OPENBLAS_NUM_THREADS 1|2 (OMP_NUM_THREADS=1), keeping the fastest utterances/s.
# usage: benchmarks/compare_speech.sh FEATURES CORPUS [SEEDS="1"] [CELL=gru]
#   (FEATURES from `xrnn-speech prepare --corpus CORPUS`; BUILD=build-dir, default build;
#    OUT=dir, default runs/compare_speech; EPOCHS, default 16)
set -eu
cd "$(dirname "$0")/.."
feat=$1 corpus=$2 seeds=${3:-1} cell=${4:-gru}
build=${BUILD:-build} out=${OUT:-runs/compare_speech} epochs=${EPOCHS:-16}
X=$build/tools/xrnn-speech
[ -x "$X" ] || { [ -d "$build" ] || meson setup "$build"; meson compile -C "$build"; }
recipe="--dropout 0.3 --feature-noise 0.1 --time-masks 2 --time-mask-width 5 --lr-schedule cosine"
mkdir -p "$out"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
best=0 bt=1 bo=1
# TORCH_SETTING="T O" skips the search (e.g. "2 1", what it chose in every run here)
if [ -n "${TORCH_SETTING:-}" ]; then set -- $TORCH_SETTING; bt=$1 bo=$2; probes=""; else probes="1 2"; fi
for tt in $probes; do for ob in 1 2; do
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=$ob /usr/bin/python3 benchmarks/speech_torch.py --features "$feat" \
    --cell "$cell" $recipe --time-budget 20 --threads $tt --json "$out/probe.json" >/dev/null
  u=$(/usr/bin/python3 -c "import json; print(json.load(open('$out/probe.json'))['utts_per_s'])")
  echo "torch threads $tt, OpenBLAS threads $ob: $u utterances/s (20 s probe)"
  if awk -v u="$u" -v b="$best" 'BEGIN {exit !(u > b)}'; then best=$u bt=$tt bo=$ob; fi
done; done
pick() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(' '.join('%.2f' % (100 * d[k]['$1']) for k in ('test','test_isolated','test_accent','test_accent_isolated')))" "$2"; }
pickt() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['tests']; print(' '.join('%.2f' % (100 * d[k]['$1']) for k in ('test','test_isolated','test_accent','test_accent_isolated')))" "$2"; }
rows=""
for seed in $seeds; do
  echo
  echo "== seed $seed, xrnn: $epochs epochs"
  rm -rf "$out/xrnn_s$seed"
  $X train --features "$feat" --cell "$cell" --epochs "$epochs" --seed "$seed" --threads 2 --out "$out/xrnn_s$seed" 2>"$out/xrnn_s$seed.log"
  tr '\r' '\n' <"$out/xrnn_s$seed.log" | grep -E 'parameters|best validation' || true
  $X eval --model "$out/xrnn_s$seed/best.ckpt" --corpus "$corpus" --json "$out/xrnn_s$seed.json" 2>/dev/null
  secs=$(tail -n 1 "$out/xrnn_s$seed/metrics.jsonl" | sed 's/.*"seconds":\([0-9.]*\).*/\1/')
  steps=$(tail -n 1 "$out/xrnn_s$seed/metrics.jsonl" | sed 's/.*"step":\([0-9]*\).*/\1/')
  echo "xrnn: $steps steps in $secs s"
  echo "== seed $seed, PyTorch (torch threads $bt, OpenBLAS threads $bo): $secs s"
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=$bo /usr/bin/python3 benchmarks/speech_torch.py --features "$feat" \
    --cell "$cell" $recipe --seed "$seed" --time-budget "$secs" --threads $bt --json "$out/torch_s$seed.json" | grep -v '^{'
  tsteps=$(/usr/bin/python3 -c "import json; print(json.load(open('$out/torch_s$seed.json'))['steps'])")
  rows="$rows
| $seed | $secs | xrnn | $steps | $(pick digit_error_rate "$out/xrnn_s$seed.json" | awk '{print $1 " | " $3 " | " $2 " | " $4}') |
| $seed | $secs | PyTorch | $tsteps | $(pickt der "$out/torch_s$seed.json" | awk '{print $1 " | " $3 " | " $2 " | " $4}') |"
done
echo
echo "digit error rate % (isolated: 100 - accuracy)"
echo "| seed | seconds | | steps | held-out voices | held-out accent | isolated, voices | isolated, accent |"
echo "|---|---|---|---|---|---|---|---|"
echo "$rows" | grep .
