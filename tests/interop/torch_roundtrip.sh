#!/bin/sh
# The PyTorch state_dict bridge both ways, with torch (Debian's python3-torch) as the oracle:
#   xrnn -> torch: state_dict_cases export writes char-LM and xrnn-seq models with random weights
#                  and xrnn's outputs; examples/torch_interop.py check runs the torch models on the
#                  same inputs (nn.RNN/GRU/LSTM, or the explicit loop for other activations).
#   torch -> xrnn: torch_interop.py make-cases writes torch models and torch's outputs;
#                  state_dict_cases import runs them in xrnn.
#   CLIs: xrnn-charlm train -> export -> torch scores the text as xrnn-charlm eval does; a torch
#         char-LM -> xrnn-charlm import -> eval gives torch's number; xrnn-seq export -> import keeps
#         eval's numbers; broken folders are refused with one line.
# usage: torch_roundtrip.sh STATE_DICT_CASES XRNN_CHARLM XRNN_SEQ SOURCE_ROOT TMP
set -eu
cases=$1 charlm=$2 seqcli=$3 src=$4
py=/usr/bin/python3
if ! $py -c "import torch" 2>/dev/null; then
  echo "SKIP: python3-torch is not installed (scripts/deps.sh installs it); the state_dict bridge was not checked against PyTorch"
  exit 77
fi
mkdir -p "$5"
work=$(mktemp -d "$5/torch_sd.XXXXXX")
trap 'rm -rf "$work"' EXIT
interop="$py $src/examples/torch_interop.py"

echo "== xrnn -> torch"
"$cases" export "$work/xr"
$interop check "$work/xr"

echo "== torch -> xrnn"
$interop make-cases "$work/pt"
"$cases" import "$work/pt"

echo "== xrnn-charlm export / import"
head -c 6000 "$src/examples/data/tinyshakespeare.txt" > "$work/text.txt"
"$charlm" train --data "$work/text.txt" --cell lstm --hidden-size 24 --embed-size 16 --num-layers 2 --steps 20 \
  --seq-len 32 --batch-size 4 --eval-every 20 --out "$work/run" > "$work/train.log" 2>&1 || { cat "$work/train.log"; exit 1; }
"$charlm" export --checkpoint "$work/run/best.ckpt" --out "$work/exp"
x=$("$charlm" eval --checkpoint "$work/run/best.ckpt" --data "$work/text.txt" | sed 's/.*: \([0-9.]*\) nats.*/\1/')
t=$($interop score "$work/exp" --text "$work/text.txt" | sed 's/.*: \([0-9.]*\) nats.*/\1/')
echo "xrnn-charlm eval $x nats/char, torch on the export $t"
[ "$x" = "$t" ] || { echo "FAIL: the exported model scores differently in torch"; exit 1; }
$interop make-charlm "$work/tc" --text "$work/text.txt" --cell gru --hidden-size 20 --embed-size 8
"$charlm" import --from "$work/tc" --out "$work/tc.ckpt"
t=$($interop score "$work/tc" --text "$work/text.txt" | sed 's/.*: \([0-9.]*\) nats.*/\1/')
x=$("$charlm" eval --checkpoint "$work/tc.ckpt" --data "$work/text.txt" | sed 's/.*: \([0-9.]*\) nats.*/\1/')
echo "torch char-LM $t nats/char, xrnn-charlm eval of its import $x"
[ "$x" = "$t" ] || { echo "FAIL: the imported torch model scores differently in xrnn"; exit 1; }
"$charlm" sample --checkpoint "$work/tc.ckpt" --length 40 --seed 3 > /dev/null

echo "== refusals"
refuse() { # expect status 2 and one line containing $1
  want=$1; shift
  if out=$("$@" 2>&1); then echo "FAIL: accepted: $*"; exit 1; fi
  n=$(printf '%s\n' "$out" | wc -l)
  case "$out" in *"$want"*) ;; *) echo "FAIL: '$*' said: $out (expected '$want')"; exit 1;; esac
  [ "$n" -eq 1 ] || { echo "FAIL: '$*' printed $n lines: $out"; exit 1; }
  echo "refused: $out"
}
refuse "exists and is not empty" "$charlm" export --checkpoint "$work/run/best.ckpt" --out "$work/exp"
refuse "exists; write the model to a new file name" "$charlm" import --from "$work/tc" --out "$work/tc.ckpt"
cp -r "$work/tc" "$work/bad1"; rm "$work/bad1/rnn.weight_hh_l0.npy"
refuse "rnn.weight_hh_l0.npy" "$charlm" import --from "$work/bad1" --out "$work/b1.ckpt"
cp -r "$work/tc" "$work/bad2"; $py -c "
import json; p='$work/bad2/config.json'; c=json.load(open(p)); c['tensors']['rnn.weight_hh_l0']=[60, 21]; json.dump(c,open(p,'w'))"
refuse "config.json lists (60, 21)" "$charlm" import --from "$work/bad2" --out "$work/b2.ckpt"
cp -r "$work/tc" "$work/bad2b"; $py -c "
import json; p='$work/bad2b/config.json'; c=json.load(open(p)); c['rnn']['hidden_size']=21; json.dump(c,open(p,'w'))"
refuse "the configuration needs (55, 21)" "$charlm" import --from "$work/bad2b" --out "$work/b2b.ckpt"
cp -r "$work/tc" "$work/bad3"; $py -c "
import json; p='$work/bad3/config.json'; c=json.load(open(p)); c['rnn']['cell']='lstm'; json.dump(c,open(p,'w'))"
refuse "has shape (60, 8); the configuration needs (80, 8)" "$charlm" import --from "$work/bad3" --out "$work/b3.ckpt"
cp -r "$work/tc" "$work/bad4"; $py -c "
import numpy as np; np.save('$work/bad4/extra.weight.npy', np.zeros(3, np.float32))"
refuse "not listed in config.json" "$charlm" import --from "$work/bad4" --out "$work/b4.ckpt"
cp -r "$work/tc" "$work/bad5"; $py -c "
import numpy as np; p='$work/bad5/head.bias.npy'; a=np.load(p); a[2]=np.nan; np.save(p,a)"
refuse "weights must be finite" "$charlm" import --from "$work/bad5" --out "$work/b5.ckpt"
refuse "xrnn-seq imports" "$seqcli" import --from "$work/tc" --out "$work/b6.ckpt"
refuse "not a folder" "$charlm" import --from "$work/text.txt" --out "$work/b7.ckpt"
[ ! -e "$work/b1.ckpt" ] && [ ! -e "$work/b5.ckpt" ] || { echo "FAIL: a refused import wrote a file"; exit 1; }

echo "== xrnn-seq export / import"
"$seqcli" make-data --kind temporal_order --count 120 --min-len 8 --max-len 20 --seed 2 --out "$work/order" > /dev/null
"$seqcli" train --train "$work/order/list.txt" --cell gru --hidden-size 16 --bidirectional --epochs 1 \
  --out "$work/seqrun" > "$work/seq.log" 2>&1 || { cat "$work/seq.log"; exit 1; }
"$seqcli" export --model "$work/seqrun/best.ckpt" --out "$work/seqexp"
$interop show "$work/seqexp" > /dev/null
"$seqcli" import --from "$work/seqexp" --out "$work/seqimp.ckpt"
a=$("$seqcli" eval --model "$work/seqrun/best.ckpt" --data "$work/order/list.txt")
b=$("$seqcli" eval --model "$work/seqimp.ckpt" --data "$work/order/list.txt")
[ "$a" = "$b" ] || { echo "FAIL: export + import changed the seq model"; exit 1; }
echo "eval of the model:"; echo "$a" | head -n 3
echo "eval of its import: the same $(echo "$b" | wc -l) lines"
refuse "not resumed" "$seqcli" train --resume "$work/seqimp.ckpt"
echo "torch_state_dict: both directions agree with PyTorch"
