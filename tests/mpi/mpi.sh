#!/bin/sh
# Data-parallel training over MPI (issue 17), xrnn-charlm and xrnn-seq, on this machine's 2 cores:
#   - mpirun -np 2 with the global batch B (B/2 streams per rank) gives one process's losses with
#     batch B, to float tolerance, over 200 steps;
#   - a 2-rank run resumed from its checkpoint continues as the uninterrupted 2-rank run, and one
#     process resumes the 2-rank checkpoint too (the checkpoint holds all B streams);
#   - a rank started with different flags, and a batch that does not split, are refused at start;
#   - a rank killed with kill -9 ends the job within seconds naming the rank; rank 0's last
#     checkpoint loads;
#   - xrnn-seq: 2 ranks splitting each batch's sequences = one process (classify; bidirectional
#     tagging with an odd batch, weighted by valid steps), and a 2-rank resume continues exactly.
# usage: mpi.sh XRNN_CHARLM XRNN_SEQ MPI_BUILT(true|false) TMP
set -eu
X=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: the test works in its own folder
S=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
shift
src=$(cd "$(dirname "$0")/../../examples/data" && pwd)/tinyshakespeare.txt
if [ "$2" != "true" ]; then
  echo "SKIP: built without MPI (meson setup -Dmpi=enabled, needs libopenmpi-dev); data-parallel training was not tested"
  exit 77
fi
command -v mpirun >/dev/null || { echo "SKIP: no mpirun (openmpi-bin)"; exit 77; }
mkdir -p "$3"
work=$(mktemp -d "$3/mpi.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
M="timeout 120 mpirun --oversubscribe --allow-run-as-root --mca btl self,vader"
head -c 40000 "$src" > t.txt
A="--data t.txt --cell lstm --hidden-size 32 --embed-size 16 --num-layers 2 --seq-len 32 --batch-size 8 --eval-every 50 --threads 1 --ema 0"

# compare two metrics.jsonl on the eval lines both have: train_loss and val_loss within a relative tolerance
same_losses() { # A B TOL [FROM_STEP]
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
a, b, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
start = int(sys.argv[4]) if len(sys.argv) > 4 else 0
def evals(p):
    return {r["step"]: r for r in map(json.loads, open(p)) if "val_loss" in r and r["step"] > start}
ea, eb = evals(a), evals(b)
steps = sorted(set(ea) & set(eb))
if not steps or set(ea) != set(eb):
    sys.exit(f"FAIL: evaluations at steps {sorted(ea)} vs {sorted(eb)}")
worst = 0.0
for s in steps:
    for k in ("train_loss", "val_loss"):
        x, y = ea[s][k], eb[s][k]
        worst = max(worst, abs(x - y) / max(abs(y), 1e-12))
print(f"steps {steps[0]}..{steps[-1]}: largest relative difference of train/val loss {worst:.1e} (tolerance {tol:g})")
sys.exit(0 if worst <= tol else 1)
PY
}

echo "== one process, batch 8  vs  mpirun -np 2, batch 4 each"
$X train $A --steps 200 --out one > one.log 2>&1 || { cat one.log; fail "one process"; }
$M -np 2 $X train $A --steps 200 --out two > two.log 2>&1 || { cat two.log; fail "two ranks"; }
grep -q "data parallel over 2 MPI ranks, batch 4 each" two.log || { cat two.log; fail "no data-parallel lead line"; }
[ "$(grep -c 'best val' two.log)" -eq 1 ] || { cat two.log; fail "more than rank 0 printed the summary"; }
same_losses one/metrics.jsonl two/metrics.jsonl 1e-4 || fail "2 ranks do not train as one process with the same batch"

echo "== resume a 2-rank run at step 100"
$M -np 2 $X train $A --steps 100 --out half > half.log 2>&1 || { cat half.log; fail "first half"; }
cp -r half half1
$M -np 2 $X train --resume half/last.ckpt --steps 200 > resume.log 2>&1 || { cat resume.log; fail "2-rank resume"; }
same_losses half/metrics.jsonl two/metrics.jsonl 1e-6 100 || fail "the resumed 2-rank run differs from the uninterrupted one"
$X train --resume half1/last.ckpt --steps 200 --out half1 > resume1.log 2>&1 || { cat resume1.log; fail "1-process resume"; }
same_losses half1/metrics.jsonl two/metrics.jsonl 1e-4 100 || fail "one process resuming the 2-rank checkpoint differs"

echo "== refused at start"
if $M -np 1 $X train $A --steps 40 --out d : -np 1 $X train $A --steps 40 --hidden-size 16 --out d > diff.log 2>&1; then
  fail "ranks with different flags were not refused"
fi
grep -q "rank 1 was started differently from rank 0: --hidden-size 16 (rank 0: 32)" diff.log || { cat diff.log; fail "the difference is not named"; }
[ ! -e d/metrics.jsonl ] || fail "a refused job trained"
if $M -np 2 $X train $A --batch-size 7 --steps 10 --out odd > odd.log 2>&1; then fail "batch 7 over 2 ranks was accepted"; fi
grep -q "batch-size 7 does not split evenly over 2 processes" odd.log || { cat odd.log; fail "odd batch message"; }
echo "refused: $(grep -m1 'started differently' diff.log)"
echo "refused: $(grep -m1 'does not split' odd.log)"

echo "== kill -9 one rank"
$M -np 2 $X train $A --steps 100000 --eval-every 20 --out kill > kill.log 2>&1 &
job=$!
i=0
while [ ! -e kill/last.ckpt ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -e kill/last.ckpt ] || { cat kill.log; fail "no checkpoint within 30 s"; }
victim=""
for p in $(pgrep -f "xrnn-charlm train .*--out kill"); do
  if tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -q '^OMPI_COMM_WORLD_RANK=1$'; then victim=$p; fi
done
[ -n "$victim" ] || fail "rank 1 not found"
start=$(date +%s)
kill -9 "$victim"
i=0
while kill -0 $job 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $job 2>/dev/null; then kill -9 $job; fail "the job still runs 20 s after rank 1 was killed"; fi
wait $job && fail "the job exited 0 after a rank was killed" || true
took=$(( $(date +%s) - start ))
grep -q "rank 1" kill.log || { cat kill.log; fail "the job's end does not name rank 1"; }
$X eval --checkpoint kill/last.ckpt --data t.txt > eval.log 2>&1 || { cat eval.log; fail "rank 0's last checkpoint does not load"; }
echo "rank 1 killed: the job ended within ${took} s ($(grep -m1 -o 'process rank 1[^.]*' kill.log)); last.ckpt loads: $(cat eval.log)"
echo "== xrnn-seq: one process vs 2 ranks"
$S make-data --kind temporal_order --count 300 --min-len 8 --max-len 30 --seed 2 --out order > /dev/null
$S make-data --kind tagging --count 200 --min-len 8 --max-len 30 --seed 3 --out tags > /dev/null
C0="--train order/list.txt --cell gru --batch-size 16 --threads 1"
C="$C0 --hidden-size 16 --epochs 4"
G="--train tags/list.txt --task tag --cell lstm --hidden-size 16 --epochs 2 --batch-size 15 --threads 1 --bidirectional"
$S train $C --out s1 > s1.log 2>&1 || { cat s1.log; fail "seq one process"; }
$M -np 2 $S train $C --out s2 > s2.log 2>&1 || { cat s2.log; fail "seq two ranks"; }
grep -q "data parallel over 2 MPI ranks" s2.log || { cat s2.log; fail "no data-parallel lead line (seq)"; }
same_losses s1/metrics.jsonl s2/metrics.jsonl 1e-4 || fail "seq classify: 2 ranks differ from one process"
$S train $G --out t1 > t1.log 2>&1 || { cat t1.log; fail "seq tag one process"; }
$M -np 2 $S train $G --out t2 > t2.log 2>&1 || { cat t2.log; fail "seq tag two ranks"; }
same_losses t1/metrics.jsonl t2/metrics.jsonl 1e-4 || fail "seq tag (batch 15 over 2 ranks): differs from one process"
$M -np 2 $S train $C0 --hidden-size 16 --epochs 2 --out sh > sh.log 2>&1 || { cat sh.log; fail "seq first half"; }
$M -np 2 $S train --resume sh/last.ckpt --epochs 4 > shr.log 2>&1 || { cat shr.log; fail "seq 2-rank resume"; }
same_losses sh/metrics.jsonl s2/metrics.jsonl 1e-6 34 || fail "seq: the resumed 2-rank run differs from the uninterrupted one"
if $M -np 1 $S train $C --out sd : -np 1 $S train $C0 --epochs 4 --hidden-size 8 --out sd > sdiff.log 2>&1; then fail "seq ranks with different flags were not refused"; fi
grep -q "rank 1 was started differently from rank 0: hidden_size 8 (rank 0: 16)" sdiff.log || { cat sdiff.log; fail "seq: the difference is not named"; }
echo "mpi: all passed"
