#!/usr/bin/env bash
# Creates .venv/<framework> for every framework with exactly the pinned requirements its
# image installs (same pip flags as the image build: --no-deps, wheels only, then
# `pip check`), plus the pinned test runner. Usage: scripts/payload-envs.sh [framework...]
#
# A framework whose image packages cannot be installed here (PyTorch's CPU wheels come
# from an index this machine cannot reach) declares a local stand-in in its tests/:
#   debian-packages.txt      Debian packages (name=version) providing the framework for
#                            the system Python; the venv then sees the system site-packages
#   requirements-local.txt   pinned requirements installed instead of requirements.txt
#
# A framework whose payload needs a Debian package besides its wheels (the image's
# systemPackages, e.g. Open MPI) lists it in tests/host-packages.txt (name=version); it is
# installed on this machine and the venv is made as usual.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian 12's python3-venv, for the system Python the Debian stand-ins need.
PYTHON3_VENV_VERSION=3.11.2-1+b1

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# shellcheck source=scripts/frameworks.sh
source scripts/frameworks.sh

for name in "${frameworks[@]}"; do
  tests="frameworks/$name/tests"
  requirements="frameworks/$name/requirements.txt"
  [ -f "$tests/requirements-local.txt" ] && requirements="$tests/requirements-local.txt"
  [ -f "$requirements" ] || { echo "payload-envs: $requirements not found" >&2; exit 1; }
  env=".venv/$name"
  rm -rf "$env"
  if [ -f "$tests/host-packages.txt" ]; then
    mapfile -t host_packages < <(grep -v '^\s*#' "$tests/host-packages.txt" | grep -v '^\s*$')
    echo "payload-envs: Debian ${host_packages[*]} for $name's payload tests"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${host_packages[@]}" >/dev/null
  fi
  if [ -f "$tests/debian-packages.txt" ]; then
    mapfile -t packages < <(grep -v '^\s*#' "$tests/debian-packages.txt" | grep -v '^\s*$')
    echo "payload-envs: $env <- Debian ${packages[*]} + $requirements"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "python3-venv=$PYTHON3_VENV_VERSION" "${packages[@]}" >/dev/null
    /usr/bin/python3 -m venv --system-site-packages "$env"
    "$env/bin/python" -m pip install --quiet --no-deps --only-binary=:all: -r "$requirements" -r frameworks/_common/test-requirements.txt
  else
    echo "payload-envs: $env <- $requirements"
    python3 -m venv "$env"
    "$env/bin/python" -m pip install --quiet --no-deps --only-binary=:all: -r "$requirements" -r frameworks/_common/test-requirements.txt
    "$env/bin/python" -m pip check
  fi
done
