#!/bin/sh
# tests/seq/cli.sh -- xrnn-seq as a user runs it: generate data, train, resume, eval, predict,
# and bad input answered by one line naming the file and exit status 2, with nothing written.
# usage: cli.sh path/to/xrnn-seq scratch-dir
set -eu
X=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: the script changes folder
d=$2/seq_cli
rm -rf "$d"; mkdir -p "$d"; cd "$d"
fail() { echo "FAIL: $*"; exit 1; }

$X make-data --kind temporal_order --count 300 --min-len 5 --max-len 25 --out data >/dev/null
$X train --train data/list.txt --cell gru --hidden-size 16 --bidirectional --epochs 2 --lr 0.01 \
  --batch-size 16 --threads 1 --out run 2>train.log
[ -f run/best.ckpt ] && [ -f run/last.ckpt ] || fail "no checkpoints"
[ "$(grep -c '"val_loss"' run/metrics.jsonl)" -eq 2 ] || fail "metrics.jsonl should hold 2 epochs"
$X train --resume run/last.ckpt --epochs 3 2>>train.log
[ "$(grep -c '"val_loss"' run/metrics.jsonl)" -eq 3 ] || fail "resume should add epoch 3"
grep -q "resuming at step" train.log || fail "no resume line"
$X eval --model run/best.ckpt --data data/list.txt >eval.txt
grep -q "^accuracy " eval.txt && grep -q "confusion matrix" eval.txt || fail "eval output: $(cat eval.txt)"
$X predict --model run/best.ckpt --data data/list.txt --out pred.csv 2>/dev/null
[ "$(head -n 1 pred.csv)" = "source,prediction,p_XX,p_XY,p_YX,p_YY" ] || fail "CSV header: $(head -n 1 pred.csv)"
[ "$(wc -l <pred.csv)" -eq 301 ] || fail "CSV rows"

# bad input: exit 2, one line naming the file and line, no output folder, no half-written CSV
printf 'data/seq_00000.npy\n' >nolabel.txt
printf 'data/seq_00000.npy\tXX\nmissing.npy\tXY\n' >missing.txt
for list in nolabel missing; do
  set +e; $X train --train $list.txt --out bad_$list 2>err.txt; rc=$?; set -e
  [ $rc -eq 2 ] || fail "$list: exit $rc, expected 2"
  [ "$(wc -l <err.txt)" -eq 1 ] || fail "$list: more than one line: $(cat err.txt)"
  grep -q "$list.txt:[12]:" err.txt || fail "$list: the message does not name the line: $(cat err.txt)"
  [ ! -e bad_$list ] || fail "$list: an output folder was created"
done
set +e; $X predict --model run/best.ckpt --data missing.txt --out bad.csv 2>err.txt; rc=$?; set -e
[ $rc -eq 2 ] && [ ! -e bad.csv ] && ! ls bad.csv.tmp* >/dev/null 2>&1 || fail "predict on bad data: exit $rc or a CSV was left"
set +e; $X eval --model data/list.txt --data data/list.txt 2>err.txt; rc=$?; set -e
[ $rc -eq 2 ] && grep -q "not an xrnn checkpoint" err.txt || fail "eval of a non-model: exit $rc, $(cat err.txt)"
echo "xrnn-seq CLI: train, resume, eval, predict and bad input behave"
