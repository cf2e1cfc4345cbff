#!/bin/sh
# tests/fuzz/run.sh [SECONDS] [HARNESS ...] -- builds the libFuzzer harnesses in build-fuzz (clang,
# the whole library under ASan + UBSan and coverage instrumentation; configured here if absent),
# then for each harness (all of them by default) replays tests/fuzz/regressions/<harness>/ and
# fuzzes SECONDS seconds (default 30), two harnesses at a time, each on a fresh temporary copy
# of its seed corpus tests/fuzz/corpus/<harness>/ (the repository's corpus is never modified).
# Prints one line per harness (execs, exec/s, coverage, features, corpus) and fails naming the
# harness and its crashing input, copied to build-fuzz/crashes/, on any crash, sanitizer report,
# timeout (-timeout=10), OOM (2 GB) or exception other than the loader's documented ones.
#
# XRNN_FUZZ_CORPUS=dir: fuzz on dir/<harness> instead (seeded from the repository's corpus the
# first time and kept, so that long runs accumulate coverage).
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)

if [ "${1:-}" = "--one" ]; then
  # one harness (run by xargs below): $2 harness, $3 seconds, $4 scratch folder, $5 folder for
  # the harness's input files
  h=$2; secs=$3; work=$4; inputs=$5
  bin=$root/build-fuzz/tests/fuzz/$h
  log=$work/$h.log
  art=$work/$h.artifacts/
  mkdir -p "$art"
  opts="-rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 -print_funcs=0 -artifact_prefix=$art"
  case $h in
    fuzz_checkpoint|fuzz_charlm_checkpoint|fuzz_seq_model) dict=checkpoint.dict ;;
    fuzz_npy|fuzz_npz) dict=npy.dict ;;
    fuzz_json_config) dict=json.dict ;;
    fuzz_seq_list) dict=list.dict ;;
    fuzz_wav) dict=wav.dict ;;
    *) dict= ;;
  esac
  [ -z "$dict" ] || opts="$opts -dict=$root/tests/fuzz/$dict"
  # each harness writes every input to a file under TMPDIR: in memory (/dev/shm), as a file per
  # input on disk runs 5x slower; a crash leaves nothing behind outside the scratch folders
  export TMPDIR=$inputs/$h
  mkdir -p "$TMPDIR"
  export UBSAN_OPTIONS=print_stacktrace=1
  status=0
  reg=$root/tests/fuzz/regressions/$h
  if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
    # shellcheck disable=SC2086
    "$bin" $opts "$reg"/* >"$log.regressions" 2>&1 || status=$?
    if [ $status -ne 0 ]; then
      cp "$log.regressions" "$log"
      echo "regressions" >"$work/$h.failed"
      exit 0
    fi
  fi
  if [ -n "${XRNN_FUZZ_CORPUS:-}" ]; then
    corpus=$XRNN_FUZZ_CORPUS/$h
    mkdir -p "$corpus"
  else
    corpus=$work/$h.corpus
    mkdir -p "$corpus"
  fi
  cp "$root/tests/fuzz/corpus/$h"/* "$corpus"/ 2>/dev/null || true
  # shellcheck disable=SC2086
  "$bin" $opts -max_total_time="$secs" -print_final_stats=1 "$corpus" >"$log" 2>&1 || status=$?
  if [ $status -ne 0 ]; then echo "fuzzing, exit $status" >"$work/$h.failed"; fi
  n=$(ls "$corpus" | wc -l)
  grep 'DONE' "$log" | tail -n 1 | awk -v h="$h" -v n="$n" '{
      sub(/^#/, "", $1)
      for (i = 2; i < NF; ++i) { if ($i == "cov:") cov = $(i+1); if ($i == "ft:") ft = $(i+1); if ($i == "exec/s:") eps = $(i+1) }
      printf "%-24s %10s execs %7s exec/s  cov %5s  ft %6s  corpus %s\n", h, $1, eps, cov, ft, n }' >"$work/$h.summary"
  exit 0
fi

secs=${1:-30}
[ $# -gt 0 ] && shift
harnesses=${*:-"fuzz_checkpoint fuzz_charlm_checkpoint fuzz_seq_model fuzz_npy fuzz_npz fuzz_seq_list fuzz_corpus fuzz_wav fuzz_json_config fuzz_speech_list"}

if [ ! -f build-fuzz/build.ninja ]; then
  # fuzzer-no-link: coverage for libFuzzer in every object; only the harnesses link libFuzzer's
  # main (tests/fuzz/meson.build). Not -Werror: this build checks behaviour, not warnings.
  CXX=clang++ CC=clang meson setup build-fuzz -Dfuzz=true -Dwerror=false \
    -Dtests=false -Dtools=false -Dbenchmarks=false -Dexamples=false \
    -Doptimization=1 -Ddebug=true -Db_lundef=false \
    -Dcpp_args='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined' \
    -Dcpp_link_args='-fsanitize=address,undefined' >/dev/null
fi
# shellcheck disable=SC2086
meson compile -C build-fuzz $harnesses >/dev/null

work=$(mktemp -d)
inputs=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$work" "$inputs"' EXIT
# two at a time (the machine this was written on has 2 cores)
# shellcheck disable=SC2086
printf '%s\n' $harnesses | xargs -P 2 -I{} sh "$root/tests/fuzz/run.sh" --one {} "$secs" "$work" "$inputs"

failed=0
for h in $harnesses; do
  if [ -f "$work/$h.failed" ]; then
    failed=1
    mkdir -p build-fuzz/crashes
    echo "FAIL $h ($(cat "$work/$h.failed")):"
    # the sanitizer's or libFuzzer's report, from its first line (long C++ names cut)
    awk '/^==[0-9]+==|runtime error|ERROR: libFuzzer|deadly signal|^undocumented exception/ { p = 1 } p' "$work/$h.log" | head -n 40 \
      | cut -c 1-240 | sed 's/^/  /'
    for a in "$work/$h.artifacts"/*; do
      [ -f "$a" ] || continue
      case $(basename "$a") in slow-unit-*) continue ;; esac
      cp "$a" "build-fuzz/crashes/$h-$(basename "$a")"
      echo "  input: build-fuzz/crashes/$h-$(basename "$a")"
    done
    # a failing regression file: the one libFuzzer was running
    if [ "$(cat "$work/$h.failed")" = regressions ]; then
      f=$(grep '^Running: ' "$work/$h.log" | tail -n 1 | sed 's/^Running: //')
      [ -z "$f" ] || echo "  input: $f"
    fi
  elif [ -f "$work/$h.summary" ]; then
    cat "$work/$h.summary"
  else
    failed=1
    echo "FAIL $h: no result (see above)"
  fi
done
[ $failed -eq 0 ] || { echo "fuzz: a harness failed; reproduce with build-fuzz/tests/fuzz/<harness> <input>"; exit 1; }
echo "fuzz: $(echo $harnesses | wc -w) harnesses, $secs s each, no crash"
