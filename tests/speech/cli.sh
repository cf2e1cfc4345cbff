#!/bin/sh
# tests/speech/cli.sh -- xrnn-speech as a user runs it: synthesise a small digit corpus
# (scripts/make_digits.py: espeak-ng + sox), prepare features, train a small BiGRU with CTC for
# a short budget, score the test sets, recognise a held-out file; and bad input (8 kHz, stereo,
# truncated, not WAV, silent, shorter than a frame, more digits than frames) answered by a line
# naming the file, exit status 2, nothing written.
# usage: cli.sh path/to/xrnn-speech path/to/scripts/make_digits.py scratch-dir
set -eu
X=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
MK=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
d=$3/speech_cli
rm -rf "$d"; mkdir -p "$d"; cd "$d"
fail() { echo "FAIL: $*"; exit 1; }
expect_error() { # expect_error PATTERN cmd...: exit 2 and PATTERN in the one-line message
  pat=$1; shift
  set +e; "$@" >out.txt 2>err.txt; rc=$?; set -e
  [ $rc -eq 2 ] || fail "$*: exit $rc, expected 2 ($(cat err.txt))"
  grep -q -- "$pat" err.txt || fail "$*: message without '$pat': $(cat err.txt)"
}

/usr/bin/python3 "$MK" --out corpus --seed 7 --train 400 --test 60 --isolated-train 100 --isolated-test 30 2>/dev/null
$X prepare --corpus corpus --out feat >prepare.txt 2>/dev/null
grep -q "feat: 680 utterances, 117 features per 30 ms step" prepare.txt || fail "prepare: $(cat prepare.txt)"
[ "$(wc -l <feat/train.list)" -eq 500 ] || fail "train.list should hold 400 connected + 100 isolated"
expect_error "feat exists" $X prepare --corpus corpus --out feat

$X train --features feat --hidden-size 48 --num-layers 1 --epochs 60 --lr 0.005 --threads 1 --out run 2>train.log
[ -f run/best.ckpt ] || fail "no best.ckpt: $(tail -c 300 train.log)"
$X eval --model run/best.ckpt --corpus corpus --json scores.json >eval.txt 2>/dev/null
cat eval.txt
# an untrained model scores ~100%; 60 epochs (900 steps) on 500 utterances get far below that
/usr/bin/python3 - <<'PY' || fail "scores: $(cat scores.json)"
import json
s = json.load(open("scores.json"))
assert set(s) == {"test", "test_isolated", "test_accent", "test_accent_isolated"}, s.keys()
assert s["test"]["utts"] == 60 and s["test_isolated"]["utts"] == 30
assert s["test"]["digit_error_rate"] < 0.35, s["test"]
assert s["test_isolated"]["string_accuracy"] > 0.6, s["test_isolated"]
PY

# predict: the digits of a held-out file, as the list says them (oh/zero -> 0)
w=$(sed -n 1p corpus/test_isolated.tsv | cut -f1)
$X predict --model run/best.ckpt "corpus/$w" >pred.txt
grep -q "^corpus/$w	[0-9]$" pred.txt || fail "predict: $(cat pred.txt)"

# bad WAV files: one line each naming the file, exit 2, the good file still recognised
src=corpus/$w
sox "$src" -r 8000 rate8k.wav
sox "$src" -c 2 stereo.wav
head -c 2000 "$src" >truncated.wav
echo "not audio" >text.wav
sox -n -r 16000 -b 16 -c 1 silent.wav trim 0 0.5
sox "$src" short.wav trim 0 0.01
mkfifo fifo.wav
set +e; timeout 60 $X predict --model run/best.ckpt rate8k.wav stereo.wav truncated.wav text.wav silent.wav short.wav fifo.wav "$src" >out.txt 2>err.txt; rc=$?; set -e
[ $rc -eq 2 ] || fail "predict on bad files: exit $rc"
[ "$(wc -l <out.txt)" -eq 1 ] || fail "the good file should still be recognised: $(cat out.txt)"
for pat in "rate8k.wav: sample rate is 8000 Hz, expected 16000" "stereo.wav: has 2 channels" "truncated.wav: truncated" \
           "text.wav: not a readable WAV" "fifo.wav: is not a regular file" "silent.wav: the audio is silent" "short.wav: 160 samples (10.00 ms) is shorter than one 25 ms frame"; do
  grep -q "$pat" err.txt || fail "no '$pat' in: $(cat err.txt)"
done
[ "$(wc -l <err.txt)" -eq 7 ] || fail "one line per bad file: $(cat err.txt)"

# more digits than frames allow under CTC: refused before training, naming the line; nothing written
mkdir -p tight/wav
sox "$src" tight/wav/a.wav trim 0 0.12
printf 'wav/a.wav\tone two three four five six seven\n' >tight/train.tsv
sed -n 1,20p corpus/train.tsv | sed 's|^wav/|../corpus/wav/|' >>tight/train.tsv
$X prepare --corpus tight --out tight_feat >/dev/null 2>&1
expect_error "train.list:1: 7 label tokens with 0 adjacent repeat(s) need at least 7 frames" \
  $X train --features tight_feat --out tight_run --epochs 1
[ ! -e tight_run ] || fail "a refused training created its output folder"
$X train --features tight_feat --out tight_run --epochs 1 --hidden-size 8 --ctc-zero-infinity 2>/dev/null \
  || fail "--ctc-zero-infinity should train on it"

# other bad input
expect_error "not a prepared feature folder" $X train --features corpus --out r2
expect_error "not an xrnn checkpoint" $X predict --model corpus/train.tsv "$src"
expect_error "not a corpus folder" $X eval --model run/best.ckpt --corpus nowhere
echo "speech cli: ok"
