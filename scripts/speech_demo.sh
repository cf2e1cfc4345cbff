#!/bin/sh
# The speech demo: installs dependencies, builds xrnn-speech, synthesises the digit corpus
# (espeak-ng + sox, about 2 minutes on 2 cores), computes MFCCs, trains a bidirectional GRU with
# CTC with the default recipe (16 epochs, about 2 minutes), scores the held-out voices and the
# held-out accent, and recognises one held-out file. DEMO_EPOCHS changes the epochs; the corpus
# and its features are kept in data/.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
[ -d build-demo ] || meson setup build-demo -Dtests=false -Dexamples=false -Dbenchmarks=false
meson compile -C build-demo tools/xrnn-speech
X=./build-demo/tools/xrnn-speech
[ -d data/digits ] || /usr/bin/python3 scripts/make_digits.py --out data/digits
[ -d data/digits_feat ] || $X prepare --corpus data/digits --out data/digits_feat
rm -rf runs/speech_demo
$X train --features data/digits_feat --epochs "${DEMO_EPOCHS:-16}" --out runs/speech_demo
echo
echo "== scores of runs/speech_demo/best.ckpt (voices and an accent never heard in training)"
$X eval --model runs/speech_demo/best.ckpt --corpus data/digits
w=$(sed -n 1p data/digits/test.tsv)
echo
echo "== recognise data/digits/$(echo "$w" | cut -f1): said \"$(echo "$w" | cut -f2)\" by $(echo "$w" | cut -f3)"
$X predict --model runs/speech_demo/best.ckpt "data/digits/$(echo "$w" | cut -f1)"
