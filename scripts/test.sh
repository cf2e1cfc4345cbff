#!/bin/sh
# The README's test command: installs dependencies, builds warning-free (-Wall -Wextra -Werror),
# runs the whole suite, then runs it again under AddressSanitizer + UndefinedBehaviorSanitizer,
# fuzzes every loader of untrusted input for 30 s each (tests/fuzz/run.sh), and checks that
# `meson install` lays out headers, library and xrnn.pc.
set -eu
cd "$(dirname "$0")/.."
t0=$(date +%s)
# each step's header says how far into the 25-minute budget it starts
phase() { echo "== $1 ($(( $(date +%s) - t0 )) s in)"; }
sh scripts/deps.sh

phase "release build, -Wall -Wextra -Werror"
# build/ may exist already, configured by a command that does not ask for -Werror (the
# benchmark scripts' plain `meson setup build`): turn it on there too, or this would not check it.
# -Dmpi=enabled: CI builds the MPI wing and runs tests/mpi (mpirun -np 2 on this machine)
if [ -d build ]; then meson configure build -Dwerror=true -Dmpi=enabled; else meson setup build -Dwerror=true -Dmpi=enabled; fi
meson compile -C build
phase "release suite"
meson test -C build --print-errorlogs

phase "address + undefined sanitizers"
# -Wno-maybe-uninitialized: GCC 12 reports false positives inside libstdc++'s <regex> (used by
# xtensor's xnpy) only when -fsanitize is on; the release build above keeps the warning.
# Only the suite runs here, so the tools, benchmarks and examples are not built a second time.
# -O1 -g1 (line tables for the reports' stack traces): GCC compiles the xtensor-heavy tests 3-4x
# faster than at debugoptimized's -O2 -g (38 s -> 10 s for one test file), which kept the whole
# command under 25 minutes on 2 cores; the sanitizers see the same code paths.
# -Dpython=disabled: an ASan-built extension cannot load into the uninstrumented /usr/bin/python3
# (the ASan runtime must come first); the release suite runs the pytest suite.
# (--reconfigure: a build-asan set up before the option existed cannot take it from meson configure)
if [ -d build-asan ]; then meson setup --reconfigure build-asan -Dpython=disabled; else
meson setup build-asan -Dwerror=true -Doptimization=1 -Ddebug=false \
  -Dtools=false -Dbenchmarks=false -Dexamples=false -Dpython=disabled \
  -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args="-Wno-maybe-uninitialized -g1"; fi
meson compile -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs --no-suite consumer

phase "fuzz: 30 s per harness"
# libFuzzer on every loader of untrusted input (checkpoints, .npy/.npz, lists, WAV, corpus, config
# JSON), clang + ASan + UBSan, two harnesses at a time; fails naming the harness and the input
sh tests/fuzz/run.sh 30

phase "meson install"
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C build --destdir "$dest" --quiet
for f in include/xrnn/xrnn.hpp include/xrnn/bptt.hpp; do
  find "$dest" -path "*/$f" | grep -q . || { echo "install is missing $f"; exit 1; }
done
find "$dest" -name 'libxrnn.so*' | grep -q . || { echo "install is missing libxrnn.so"; exit 1; }
find "$dest" -name 'xrnn.pc' | grep -q . || { echo "install is missing xrnn.pc"; exit 1; }
# only the core is installed: the wings are the tools' static libraries
if find "$dest" -path '*include/xrnn/charlm*' -o -path '*include/xrnn/gradflow*' -o -path '*include/xrnn/seq/*' | grep -q .; then
  echo "install carries wing headers (charlm/gradflow/seq)"; exit 1
fi
# the installed headers stand alone: the umbrella header compiles against them (and xtensor) only
inc=$(dirname "$(dirname "$(find "$dest" -path '*/include/xrnn/xrnn.hpp' | head -n 1)")")
echo '#include <xrnn/xrnn.hpp>
int main() { xrnn::RecurrentConfig c; return xrnn::cell_names().size() == 4 ? 0 : 1; }' > "$dest/use.cpp"
c++ -std=c++17 -fsyntax-only -I"$inc" $(pkg-config --cflags openblas) "$dest/use.cpp" \
  || { echo "the installed xrnn.hpp does not compile on its own"; exit 1; }
echo "install: headers, libxrnn.so and xrnn.pc present; no wing headers; xrnn.hpp compiles from the install"
# the Python module, where it was built: installed with the library, and it imports from there
if ls build/python/xrnn/_xrnn*.so >/dev/null 2>&1; then
  pyext=$(find "$dest" -name '_xrnn*.so' | head -n 1)
  [ -n "$pyext" ] && [ -f "$(dirname "$pyext")/__init__.py" ] || { echo "install is missing the Python module xrnn"; exit 1; }
  (cd "$dest" && PYTHONPATH="$(dirname "$(dirname "$pyext")")" \
    LD_LIBRARY_PATH="$(dirname "$(find "$dest" -name 'libxrnn.so' | head -n 1)")" /usr/bin/python3 -c \
    'import numpy as np, xrnn; assert xrnn.Recurrent("gru", input_size=2, hidden_size=3).forward(np.ones((2, 1, 2), np.float32))[0].shape == (2, 1, 3)') \
    || { echo "the installed Python module does not import"; exit 1; }
  echo "install: the Python module xrnn imports from the install"
fi
# one closing line for CI: meson tests that passed in both builds
ok=$(cat build/meson-logs/testlog.json build-asan/meson-logs/testlog.json | grep -c '"result": "OK"')
echo "xrnn: $ok passed, 0 failed ($(( $(date +%s) - t0 )) s)"
