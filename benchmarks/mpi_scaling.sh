#!/bin/sh
# Data-parallel char-LM step time on this machine: 1 rank x 1 thread, 1 rank x 2 threads, and
# 2 ranks x 1 thread (mpirun, batch split 16 + 16), the same global batch, alternated, REPEATS
# rounds; prints each run's "steps:" line (ms per step, allreduce share) and the medians.
# usage: benchmarks/mpi_scaling.sh [BUILD_DIR] [REPEATS] [HIDDEN]   (needs a build with -Dmpi=enabled)
set -eu
build=${1:-build} repeats=${2:-3} hidden=${3:-512}
X=$(cd "$build/tools" && pwd)/xrnn-charlm
data=$(cd "$(dirname "$0")/../examples/data" && pwd)/tinyshakespeare.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
A="--data $data --cell lstm --hidden-size $hidden --embed-size 64 --seq-len 64 --batch-size 32 --steps 30 --eval-every 1000000 --ema 0"
run() { # name command...
  name=$1; shift
  rm -rf "$work/out"
  "$@" --out "$work/out" 2>&1 | grep '^steps:' | sed "s/^/$name  /" | tee -a "$work/results"
}
for i in $(seq "$repeats"); do
  run "1 rank  x 1 thread " $X train $A --threads 1
  run "1 rank  x 2 threads" $X train $A --threads 2
  run "2 ranks x 1 thread " mpirun --oversubscribe --allow-run-as-root --mca btl self,vader -np 2 $X train $A --threads 1
done
echo "medians (ms per step):"
for name in "1 rank  x 1 thread " "1 rank  x 2 threads" "2 ranks x 1 thread "; do
  grep -F "$name" "$work/results" | sed 's/.*, \([0-9.]*\) ms per step.*/\1/' | sort -n | awk -v n="$name" '{a[NR]=$1} END {print "  " n ": " a[int((NR+1)/2)]}'
done
grep -F "2 ranks" "$work/results" | sed 's/.*allreduce[^0-9]*\([0-9.]*\) ms (\([0-9.]*\)%).*/\1 \2/' | sort -n \
  | awk '{a[NR]=$1; b[NR]=$2} END {print "  allreduce (2 ranks): " a[int((NR+1)/2)] " ms per step, " b[int((NR+1)/2)] "% of the step"}'
