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
#
# Each environment is kept in ~/.cache/training-operator-ci/venvs under a hash of everything it
# is made from (its requirements, its Debian packages, the Python that makes it, this script)
# and .venv/<framework> links to it: a machine that made it once does not install it again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian 12's python3-venv, for the system Python the Debian stand-ins need.
PYTHON3_VENV_VERSION=3.11.2-1+b1

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# shellcheck source=scripts/frameworks.sh
source scripts/frameworks.sh

cache="${XDG_CACHE_HOME:-$HOME/.cache}/training-operator-ci/venvs"
mkdir -p .venv "$cache"

# debian_install PACKAGE=VERSION...: apt only when one is missing at that version.
debian_install() {
  local package
  for package in "$@"; do
    if [ "$(dpkg-query -W -f='${Version}' "${package%%=*}" 2>/dev/null)" != "${package#*=}" ]; then
      sudo_if_needed apt-get update -qq
      sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends "$@" >/dev/null
      return
    fi
  done
}

for name in "${frameworks[@]}"; do
  tests="frameworks/$name/tests"
  requirements="frameworks/$name/requirements.txt"
  [ -f "$tests/requirements-local.txt" ] && requirements="$tests/requirements-local.txt"
  [ -f "$requirements" ] || { echo "payload-envs: $requirements not found" >&2; exit 1; }
  host_packages=()
  packages=()
  if [ -f "$tests/host-packages.txt" ]; then
    mapfile -t host_packages < <(grep -v '^\s*#' "$tests/host-packages.txt" | grep -v '^\s*$')
    echo "payload-envs: Debian ${host_packages[*]} for $name's payload tests"
    debian_install "${host_packages[@]}"
  fi
  if [ -f "$tests/debian-packages.txt" ]; then
    mapfile -t packages < <(grep -v '^\s*#' "$tests/debian-packages.txt" | grep -v '^\s*$')
    debian_install "python3-venv=$PYTHON3_VENV_VERSION" "${packages[@]}"
    python=/usr/bin/python3
  else
    python=python3
  fi
  key=$( { cat "$requirements" frameworks/_common/test-requirements.txt "$0"; echo "${host_packages[*]} ${packages[*]}"; "$python" -VV; command -v "$python"; } | sha256sum | cut -c1-16)
  env="$cache/$name-$key"
  if [ ! -f "$env/.complete" ]; then
    rm -rf "$env" "$cache/$name"-*
    if [ ${#packages[@]} -gt 0 ]; then
      echo "payload-envs: .venv/$name <- Debian ${packages[*]} + $requirements"
      "$python" -m venv --system-site-packages "$env"
      "$env/bin/python" -m pip install --quiet --no-deps --only-binary=:all: -r "$requirements" -r frameworks/_common/test-requirements.txt
    else
      echo "payload-envs: .venv/$name <- $requirements"
      "$python" -m venv "$env"
      "$env/bin/python" -m pip install --quiet --no-deps --only-binary=:all: -r "$requirements" -r frameworks/_common/test-requirements.txt
      "$env/bin/python" -m pip check
    fi
    touch "$env/.complete"
  else
    echo "payload-envs: .venv/$name <- $env (made before from the same inputs)"
  fi
  rm -rf ".venv/$name"
  ln -s "$env" ".venv/$name"
done
