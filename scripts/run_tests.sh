#!/usr/bin/env bash
# Runs every suite (GoogleTest via ctest, lit, pytest), then prints one summary line; non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
reports=$build/test-reports
rm -rf "$reports" && mkdir -p "$reports"
status=0
# Every run compiles into a fresh cache of its own: no entry from an earlier
# build or from the user's ~/.cache/kiln can stand in for a compile.
export KILN_CACHE_DIR=$PWD/$build/test-cache
rm -rf "$KILN_CACHE_DIR" "$build/test/kiln-cache"

echo "== GoogleTest (ctest) =="
ctest --test-dir "$build" --output-on-failure -j 2 --output-junit "$PWD/$reports/ctest.xml" || status=1

echo "== lit (check-kiln) =="
.venv/bin/lit -sv "$build/test" --xunit-xml-output "$reports/lit.xml" || status=1

echo "== pytest =="
.venv/bin/python -m pytest test/python -q -p no:cacheprovider --junitxml "$reports/pytest.xml" || status=1

.venv/bin/python scripts/summarize_tests.py "$reports"/*.xml || status=1
exit $status
