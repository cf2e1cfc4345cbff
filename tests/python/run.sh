#!/bin/sh
# The Python module's pytest suite (meson test, suite python): PYTHON -m pytest -q TESTS_DIR,
# with the build's python folder on PYTHONPATH (set by tests/python/meson.build).
# A visible SKIP (exit 77) when pytest or numpy is missing; scripts/deps.sh installs them.
py=$1
dir=$2
for m in pytest numpy; do
  if ! "$py" -c "import $m" 2>/dev/null; then
    echo "SKIP: $m is not importable by $py (Debian: python3-$m; scripts/deps.sh installs it)"
    exit 77
  fi
done
# -rs lists every skipped test with its reason; no cache folder in the source tree
exec "$py" -m pytest -q -rs -p no:cacheprovider "$dir"
