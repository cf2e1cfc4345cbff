#!/bin/sh
# The ONNX export against outside oracles (issue 16): onnx_cases exports recurrent stacks,
# char-LMs and xrnn-seq models with random weights plus xrnn's outputs; the ONNX checker
# (python3-onnx, full_check) validates every file; ONNX Runtime (npm's onnxruntime-node, CPU, run
# by node) runs every model and compare.js compares with xrnn.
# onnxruntime-node is installed once into NPM_PREFIX (in the build folder, reused by later runs):
# `npm install --ignore-scripts`, since its install script only fetches GPU extras.
# usage: run.sh ONNX_CASES SCRIPT_DIR NPM_PREFIX TMP
set -eu
cases=$1 here=$2 prefix=$3 tmp=$4
py=/usr/bin/python3
ort_version=1.31.1

missing=""
command -v node >/dev/null 2>&1 || missing="$missing node"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
$py -c "import onnx" 2>/dev/null || missing="$missing python3-onnx"
if [ -n "$missing" ]; then
  echo "SKIP: missing:$missing (scripts/deps.sh installs nodejs, npm and python3-onnx); the ONNX export was not checked against ONNX Runtime"
  exit 77
fi

have=$(node -e "try { console.log(require('$prefix/node_modules/onnxruntime-node/package.json').version) } catch (e) { console.log('none') }")
if [ "$have" != "$ort_version" ]; then
  echo "== npm install onnxruntime-node@$ort_version into $prefix (once per build folder)"
  mkdir -p "$prefix"
  t0=$(date +%s)
  npm install --prefix "$prefix" --ignore-scripts --no-audit --no-fund --no-save --loglevel=error \
    "onnxruntime-node@$ort_version" \
    || { echo "FAIL: npm install onnxruntime-node@$ort_version failed (it needs registry.npmjs.org)"; exit 1; }
  echo "npm install: $(( $(date +%s) - t0 )) s, node_modules $(du -sh "$prefix/node_modules" | cut -f1)"
fi

mkdir -p "$tmp"
work=$(mktemp -d "$tmp/onnx.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "== export (xrnn)"
"$cases" "$work"
echo "== onnx.checker"
$py "$here/check_models.py" "$work"
echo "== ONNX Runtime vs xrnn"
node "$here/compare.js" "$prefix" "$work"
