#!/usr/bin/env bash
# Installs what Kiln needs on Debian 12: missing apt packages, then .venv with the pinned Python packages.
# Idempotent and quiet: a second run with everything present does nothing visible.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  cmake ninja-build ccache g++ make
  llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools lld-19
  libdnnl-dev libomp-19-dev pybind11-dev libgtest-dev
  clang-14 libclang-rt-14-dev
  python3 python3-dev python3-venv
  dataset-fashion-mnist
)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The venv uses Debian's interpreter, whose headers python3-dev provides to the pybind11 build.
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  /usr/bin/python3 -m venv .venv
fi
mkdir -p .stamps
if ! cmp -s requirements.txt .stamps/requirements.txt; then
  echo "setup: installing Python packages from requirements.txt"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt .stamps/requirements.txt
fi

# `import kiln` from any directory: the package is used in place from python/.
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$PWD/python" > "$site/kiln-dev.pth"
