#!/usr/bin/env bash
# Creates .venv-bench (PyTorch + NumPy for side-by-side timings) and points it at the in-place kiln package.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv-bench/bin/python ]; then
  echo "setup_bench: creating .venv-bench"
  /usr/bin/python3 -m venv .venv-bench
fi
mkdir -p .stamps
if ! cmp -s benchmarks/requirements.txt .stamps/bench-requirements.txt; then
  echo "setup_bench: installing benchmarks/requirements.txt (PyTorch from PyPI is a few GB)"
  .venv-bench/bin/python -m pip install -q --disable-pip-version-check -r benchmarks/requirements.txt
  cp benchmarks/requirements.txt .stamps/bench-requirements.txt
fi
site=$(.venv-bench/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$PWD/python" > "$site/kiln-dev.pth"
