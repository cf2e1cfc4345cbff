#!/bin/sh
# Builds tests/consumer against xrnn as a subproject in a fresh temporary folder and runs it.
# usage: run.sh XRNN_SOURCE_ROOT
set -eu
src=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src/tests/consumer/meson.build" "$src/tests/consumer/train_gru.cpp" "$work/"
mkdir "$work/subprojects"
cp "$src/tests/consumer/xrnn.wrap" "$work/subprojects/"
# a copy of the source tree as the subproject (what a vendored checkout looks like)
mkdir "$work/subprojects/xrnn"
# only the core's folders: the wings (charlm/, gradflow/) and tools are not part of it
(cd "$src" && tar cf - meson.build meson_options.txt include lib tests examples benchmarks) | (cd "$work/subprojects/xrnn" && tar xf -)
cd "$work"
# -Dxrnn:tests=true must not turn the subproject's tests on; --force-fallback-for ignores an installed xrnn
meson setup build --force-fallback-for=xrnn -Dxrnn:tests=true > setup.log 2>&1 || { cat setup.log; exit 1; }
grep -q "Build targets in project: 2" setup.log || { echo "expected 2 targets (libxrnn + consumer):"; cat setup.log; exit 1; }
meson compile -C build > compile.log 2>&1 || { cat compile.log; exit 1; }
# the core needs no JSON library and links no application code
if grep -qi "nlohmann" setup.log; then echo "the core subproject looked for nlohmann_json:"; cat setup.log; exit 1; fi
lib=$(find build/subprojects -name 'libxrnn.so*' -type f | head -n 1)
if nm -C "$lib" | grep -Eq "CharModel|CharTrainer|nlohmann|SyntheticTask"; then
  echo "libxrnn carries application code:"; nm -C "$lib" | grep -E "CharModel|CharTrainer|nlohmann|SyntheticTask" | head; exit 1
fi
# and no source of the library includes a JSON library (monitor_json.hpp is an opt-in header
# for the wings, outside libxrnn and xrnn.hpp)
if grep -rl "nlohmann" "$src/lib" "$src/include/xrnn" | grep -v "include/xrnn/monitor_json.hpp"; then
  echo "these core files use nlohmann-json"; exit 1
fi
echo "consumer: libxrnn has no char-LM, gradflow or JSON symbols; setup did not look for nlohmann_json"
./build/train_gru
