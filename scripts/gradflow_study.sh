#!/bin/sh
# The gradient-flow study recorded in benchmarks/RESULTS.md (issue 4): probes of untrained
# networks (E1, E4 and the README picture) and the adding-problem sweep (E2), then the plots.
#   scripts/gradflow_study.sh            # everything (about 45 minutes on 2 cores)
#   STUDY=probe scripts/gradflow_study.sh  # the probes only (seconds)
# OUT (default runs/study) holds the CSV / JSONL / PNG files; STEPS caps each training run.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh python3-matplotlib
[ -d build ] || meson setup build
meson compile -C build tools/xrnn-gradflow
GF=build/tools/xrnn-gradflow
OUT=${OUT:-runs/study}
STEPS=${STEPS:-5000}
PLOT="/usr/bin/python3 scripts/plot_gradflow.py"
mkdir -p $OUT

echo "== probe: cells and activations at their default initialisation, T = 200"
$GF probe --cell rnn --activation tanh,relu --seq-len 200 --out $OUT/probe_cells_rnn
$GF probe --cell rnn --activation relu --init identity --seq-len 200 --out $OUT/probe_cells_irnn
$GF probe --cell gru,lstm --seq-len 200 --out $OUT/probe_cells_gated
$GF probe --cell lstm --forget-bias 1,2 --seq-len 200 --out $OUT/probe_cells_lstm_bf
$PLOT probe $OUT/probe_cells_rnn $OUT/probe_cells_irnn $OUT/probe_cells_gated $OUT/probe_cells_lstm_bf \
  --out $OUT/probe_cells.png

echo "== probe (E1): vanilla RNN, W_hh orthogonal scaled to sigma_max * gamma, per activation"
$GF probe --cell rnn --activation tanh,relu,sigmoid,softsign,hard_sigmoid,elu,swish,mish,identity \
  --init orthogonal --sigma-gamma 0.9,1.0,1.1,1.5 --seq-len 200 --out $OUT/probe_e1
$PLOT probe $OUT/probe_e1

echo "== probe (E4): LSTM forget bias and gate / candidate activations"
$GF probe --cell lstm --forget-bias 0,1,2 --recurrent-activation sigmoid,hard_sigmoid \
  --activation tanh,softsign,relu --seq-len 100 --out $OUT/probe_e4
[ "${STUDY:-all}" = probe ] && exit 0

echo "== train (E2): adding problem, H = 128, B = 50, Adam 1e-3, clip 1, 3 seeds, up to $STEPS steps"
common="train --task adding --hidden-size 128 --batch-size 50
  --lr 1e-3 --clip-norm 1 --eval-every 100 --monitor-every 100 --stop-when-solved"
# two single-threaded sweeps side by side (small GEMMs: two processes beat two BLAS threads);
# the LSTM needs more than 5,000 steps at T = 200, so it gets 12,000 there (two seeds)
{
  $GF $common --seq-len 50,100 --seed 1,2,3 --steps $STEPS --cell lstm --forget-bias 1 --out $OUT/e2_lstm > $OUT/e2_lstm.txt 2> $OUT/e2_lstm.log
  $GF $common --seq-len 200 --seed 1,2 --steps 12000 --cell lstm --forget-bias 1 --out $OUT/e2_lstm200 > $OUT/e2_lstm200.txt 2> $OUT/e2_lstm200.log
} &
common="$common --seq-len 50,100,200 --seed 1,2,3 --steps $STEPS"
{
  $GF $common --cell gru --out $OUT/e2_gru > $OUT/e2_gru.txt 2> $OUT/e2_gru.log
  $GF $common --cell rnn --activation relu --init identity --out $OUT/e2_irnn > $OUT/e2_irnn.txt 2> $OUT/e2_irnn.log
  $GF $common --cell rnn --activation tanh --out $OUT/e2_tanh > $OUT/e2_tanh.txt 2> $OUT/e2_tanh.log
}
wait
cat $OUT/e2_lstm.txt $OUT/e2_lstm200.txt $OUT/e2_gru.txt $OUT/e2_irnn.txt $OUT/e2_tanh.txt
$PLOT train $OUT/e2_lstm $OUT/e2_lstm200 $OUT/e2_gru $OUT/e2_irnn $OUT/e2_tanh --out $OUT/e2_adding.png
