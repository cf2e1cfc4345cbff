#!/bin/sh
# Training-step throughput, xrnn vs PyTorch, side by side in one run (issue 5).
# For each config it first gives PyTorch its best thread and kernel setting: one run each of
# torch.set_num_threads 1 or 2 (the peer's THREADS argument) x OPENBLAS_NUM_THREADS 1 or 2, with
# OMP_NUM_THREADS=1, x kernels: the environment as given, OPENBLAS_CORETYPE set to the CPU's widest
# OpenBLAS core (SkylakeX on AVX-512, Haswell on AVX2: the kernel class xrnn runs), and that plus
# ATEN_CPU_CAPABILITY=avx512 (PyTorch 1.13's own loops stop at AVX2 otherwise); keeps the fastest. Then it alternates xrnn-bench (2 threads) and the
# peer with that setting REPEATS times (default 3) and prints a markdown table of the medians and
# their ratio. Last, xrnn with non-default activations against xrnn's defaults, alternated.
# usage: benchmarks/compare_torch.sh [REPEATS]     (PEER=path/to/peer_torch.py to override)
set -eu
cd "$(dirname "$0")/.."
reps=${1:-3}
peer=${PEER:-../shared/bench/peer_torch.py}
[ -x build/benchmarks/xrnn-bench ] || { [ -d build ] || meson setup build; meson compile -C build; }
bench=build/benchmarks/xrnn-bench
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
xrnn_tps() { $bench --cell "$1" --hidden-size "$2" --num-layers "$3" --batch-size "$4" --seq-len "$5" --threads 2 ${6:+--recurrent-activation "$6"} ${7:+--activation "$7"} | sed -n 's/^tokens\/s: //p'; }
if grep -qw avx512f /proc/cpuinfo; then core=SkylakeX; elif grep -qw avx2 /proc/cpuinfo; then core=Haswell; else core=""; fi
kernels="env"
[ -n "$core" ] && kernels="env core"
[ "$core" = SkylakeX ] && kernels="env core core+avx512"
# torch_tps TORCH_THREADS OPENBLAS_THREADS KERNEL CELL H L B T
torch_tps() {
  case $3 in
    env) set -- "$1" "$2" "" "$4" "$5" "$6" "$7" "$8" ;;
    core) set -- "$1" "$2" "OPENBLAS_CORETYPE=$core" "$4" "$5" "$6" "$7" "$8" ;;
    core+avx512) set -- "$1" "$2" "OPENBLAS_CORETYPE=$core ATEN_CPU_CAPABILITY=avx512" "$4" "$5" "$6" "$7" "$8" ;;
  esac
  env $3 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=$2 /usr/bin/python3 "$peer" "$4" "$5" "$6" "$7" "$8" "$1" | sed -n 's/.*: \([0-9]*\) tokens\/s.*/\1/p'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
$bench --cell rnn --hidden-size 8 --num-layers 1 --batch-size 1 --seq-len 2 --seconds 0.01 --threads 1 2>/dev/null | grep -m1 '^kernels' || true
echo
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "| config (cell H layers B T) | xrnn tok/s | PyTorch tok/s | ratio | PyTorch setting (torch threads, OpenBLAS threads, kernel) | runs (xrnn / torch) |"
  echo "|---|---|---|---|---|---|"
  for cfg in "lstm 512 2 32 64" "lstm 128 2 50 50" "gru 256 2 32 64" "rnn 256 1 32 64" "lstm 512 1 32 64"; do
    best=0 bt=1 bo=2 bk=env
    for tt in 1 2; do for ob in 1 2; do for k in $kernels; do
      v=$(torch_tps $tt $ob $k $cfg)
      if [ "${v:-0}" -gt "$best" ]; then best=$v bt=$tt bo=$ob bk=$k; fi
    done; done; done
    xs="" ts=""
    for i in $(seq "$reps"); do
      xs="$xs $(xrnn_tps $cfg)"
      ts="$ts $(torch_tps $bt $bo $bk $cfg)"
    done
    xm=$(echo $xs | tr ' ' '\n' | median); tm=$(echo $ts | tr ' ' '\n' | median)
    echo "| $cfg | $xm | $tm | $(awk "BEGIN {printf \"%.2fx\", $xm / $tm}") | $bt, $bo, $bk | $xs / $ts |"
  done
else
  echo "(no torch in /usr/bin/python3: PyTorch columns skipped)"
fi
echo
echo "| config | activations (gate / candidate) | xrnn tok/s | vs defaults |"
echo "|---|---|---|---|"
for cfg in "lstm 512 2 32 64" "gru 256 2 32 64"; do
  base="" hs="" rl=""
  for i in $(seq "$reps"); do
    base="$base $(xrnn_tps $cfg)"
    hs="$hs $(xrnn_tps $cfg hard_sigmoid)"
    rl="$rl $(xrnn_tps $cfg sigmoid relu)"
  done
  bm=$(echo $base | tr ' ' '\n' | median)
  echo "| $cfg | sigmoid / tanh (default) | $bm | 1.00 |"
  for pair in "hard_sigmoid / tanh:$hs" "sigmoid / relu:$rl"; do
    m=$(echo "${pair#*:}" | tr ' ' '\n' | grep . | median)
    echo "| $cfg | ${pair%%:*} | $m | $(awk "BEGIN {printf \"%.2f\", $m / $bm}") |"
  done
done
