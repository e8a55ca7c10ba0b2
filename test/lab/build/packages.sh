#!/usr/bin/env bash
set -euo pipefail
# Debian packages, by name (Debian's own release decides the version, so the next point release
# does not break the install): debootstrap (the images' root file systems), libseccomp-dev (runc),
# gcc (pause), and docker.io only where no dockerd is installed (a machine with Docker keeps its
# own; the lab's Docker service image installs its own docker.io inside).
packages=()
command -v debootstrap >/dev/null || packages+=(debootstrap)
dpkg -s libseccomp-dev >/dev/null 2>&1 || packages+=(libseccomp-dev)
command -v gcc >/dev/null || packages+=(gcc)
command -v dockerd >/dev/null || packages+=(docker.io)
if [ ${#packages[@]} -gt 0 ]; then
  echo "lab: installing ${packages[*]}"
  apt-get update -qq
  # The payload environments (scripts/payload-envs.sh) may install beside it: wait for dpkg.
  DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=600 -y -qq "${packages[@]}" >/dev/null
fi
