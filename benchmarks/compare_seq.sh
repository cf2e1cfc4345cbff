#!/bin/sh
# Bidirectional packed sequences, xrnn vs PyTorch, side by side in one run (issue 12).
# 2x256 bidirectional GRU and LSTM on x (T = 100, B = 32, F = 40), one training step each
# (zero_grad, forward with lengths, loss sum(y * r), backward; xrnn-seq-bench against
# benchmarks/torch_packed.py), with equal lengths (all 100) and with lengths uniform in 10..100
# (the same LCG draw in both programs). For each (cell, lengths) it first gives PyTorch its best
# thread setting: one run each of torch.set_num_threads 1 or 2 x OPENBLAS_NUM_THREADS 1 or 2,
# with OMP_NUM_THREADS=1, and keeps the fastest. Then, per cell, it runs REPEATS times (default 3)
# xrnn-seq-bench (2 threads) and the peer on equal, then both on uniform lengths, and prints a
# markdown table of the medians and their ratio; then each side's mixed/equal ms-per-step ratio
# (the issue's <= 0.65), both of the medians and as the median of the back-to-back pairs (less
# exposed to the shared machine's drifts), and the medians of each program's forward / backward split.
# usage: benchmarks/compare_seq.sh [REPEATS]     (BUILD=build-dir, default build)
set -eu
cd "$(dirname "$0")/.."
reps=${1:-3}
build=${BUILD:-build}
[ -x "$build"/benchmarks/xrnn-seq-bench ] || { [ -d "$build" ] || meson setup "$build"; meson compile -C "$build"; }
bench=$build/benchmarks/xrnn-seq-bench
peer=benchmarks/torch_packed.py
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# both print "sequences/s: N", "ms/step: M", "forward ms: F  backward ms: B"; fields() -> "N M F B"
fields() { awk '/^sequences\/s:/ {s=$2} /^ms\/step:/ {m=$2} /^forward ms:/ {f=$3; b=$6} END {print s, m, f, b}'; }
# xrnn_run CELL LENGTHS / torch_run TORCH_THREADS OPENBLAS_THREADS CELL LENGTHS
xrnn_run() { $bench --cell "$1" --lengths "$2" --hidden-size 256 --num-layers 2 --batch-size 32 --seq-len 100 --features 40 --threads 2 | fields; }
torch_run() { OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=$2 /usr/bin/python3 "$peer" "$3" "$4" "$1" 256 2 32 100 40 | fields; }
col() { echo "$1" | tr ';' '\n' | grep . | awk -v k="$2" '{print $k}' | median; }
list() { echo "$1" | tr ';' '\n' | grep . | awk -v k="$2" '{printf "%s%s", (NR > 1 ? " " : ""), $k}'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
echo "lengths (uniform): $($bench --lengths uniform --seconds 0 | sed -n 's/^lengths: //p')"
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "(no torch in /usr/bin/python3)"; exit 1; }
echo
echo "| config | lengths | xrnn seq/s | torch seq/s | ratio | torch setting (torch threads, OpenBLAS threads) | runs (xrnn / torch) |"
echo "|---|---|---|---|---|---|---|"
summary="" pairs=""
for cell in gru lstm; do
  for kind in equal uniform; do
    best=0 bt=1 bo=2
    for tt in 1 2; do for ob in 1 2; do
      v=$(torch_run $tt $ob $cell $kind | awk '{print $1}')
      if awk "BEGIN {exit !(${v:-0} > $best)}"; then best=$v bt=$tt bo=$ob; fi
    done; done
    eval "set_$kind=\"$bt $bo\""
  done
  # equal and uniform alternate inside each repeat, so each mixed/equal pair is ~30 s apart
  xe="" te="" xu="" tu="" xr="" tr=""
  for i in $(seq "$reps"); do
    a=$(xrnn_run $cell equal); b=$(torch_run $set_equal $cell equal)
    c=$(xrnn_run $cell uniform); d=$(torch_run $set_uniform $cell uniform)
    xe="$xe;$a" te="$te;$b" xu="$xu;$c" tu="$tu;$d"
    xr="$xr;$(echo "$a $c" | awk '{printf "%.3f", $6 / $2}')"
    tr="$tr;$(echo "$b $d" | awk '{printf "%.3f", $6 / $2}')"
  done
  for kind in equal uniform; do
    if [ $kind = equal ]; then xs=$xe ts=$te set=$set_equal; else xs=$xu ts=$tu set=$set_uniform; fi
    xm=$(col "$xs" 1) tm=$(col "$ts" 1)
    echo "| bi-$cell 2x256 (T 100, B 32, F 40) | $kind | $xm | $tm | $(awk "BEGIN {printf \"%.2fx\", $xm / $tm}") | $(echo $set | tr ' ' ',' | sed 's/,/, /') | $(list "$xs" 1) / $(list "$ts" 1) |"
    summary="$summary;$cell $kind $(col "$xs" 2) $(col "$xs" 3) $(col "$xs" 4) $(col "$ts" 2) $(col "$ts" 3) $(col "$ts" 4)"
  done
  pairs="$pairs;$cell $(col "$xr" 1) $(col "$tr" 1) $(list "$xr" 1 | tr ' ' ,) $(list "$tr" 1 | tr ' ' ,)"
done
echo
echo "mixed/equal = uniform ms/step over equal ms/step (valid-step fraction $($bench --lengths uniform --seconds 0 | sed -n 's/.*valid-step fraction //p'); issue 12: xrnn <= 0.65)"
echo
echo "| config | xrnn ms/step equal / uniform (medians) | xrnn mixed/equal: of the medians | paired (median; pairs) | torch ms/step equal / uniform | torch mixed/equal: of the medians | paired (median; pairs) |"
echo "|---|---|---|---|---|---|---|"
for cell in gru lstm; do
  p=$(echo "$pairs" | tr ';' '\n' | awk -v c=$cell '$1 == c')
  echo "$summary" | tr ';' '\n' | awk -v c=$cell -v p="$p" '$1 == c {m[$2] = $0} END {
    split(m["equal"], e, " "); split(m["uniform"], u, " "); split(p, q, " ");
    gsub(",", " ", q[4]); gsub(",", " ", q[5]);
    printf "| bi-%s 2x256 | %s / %s | %.2f | %.2f (%s) | %s / %s | %.2f | %.2f (%s) |\n", c, e[3], u[3], u[3] / e[3], q[2], q[4], e[6], u[6], u[6] / e[6], q[3], q[5] }'
done
echo
echo "| config | lengths | xrnn forward / backward ms | torch forward / backward ms |"
echo "|---|---|---|---|"
echo "$summary" | tr ';' '\n' | grep . | awk '{printf "| bi-%s 2x256 | %s | %s / %s | %s / %s |\n", $1, $2, $4, $5, $7, $8}'
