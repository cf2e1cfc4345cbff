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

# ctc: the spelled words, a list file of token sequences; eval reports the token error rate
$X make-data --kind spelled --count 100 --out spelled >/dev/null
$X train --train spelled/list.txt --task ctc --cell gru --hidden-size 8 --bidirectional --epochs 1 \
  --batch-size 16 --threads 1 --out ctc_run 2>ctc.log || fail "ctc train: $(cat ctc.log)"
$X eval --model ctc_run/best.ckpt --data spelled/list.txt --beam 2 >ctc_eval.txt
grep -q "^token error rate " ctc_eval.txt && grep -q "^sequence accuracy " ctc_eval.txt || fail "ctc eval output: $(cat ctc_eval.txt)"
$X predict --model ctc_run/best.ckpt --data spelled/list.txt --out ctc.csv 2>/dev/null
[ "$(head -n 1 ctc.csv)" = "source,tokens" ] && [ "$(wc -l <ctc.csv)" -eq 101 ] || fail "ctc CSV: $(head -n 2 ctc.csv)"
printf 'spelled/seq_00000.npy\tone six\n' >ctc_bad.txt
set +e; $X eval --model ctc_run/best.ckpt --data ctc_bad.txt 2>err.txt; rc=$?; set -e
[ $rc -eq 2 ] && grep -q "ctc_bad.txt:1: token 'six' was not seen in training" err.txt || fail "ctc unknown token: exit $rc, $(cat err.txt)"
echo "xrnn-seq CLI: train, resume, eval, predict and bad input behave"
