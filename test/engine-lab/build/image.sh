#!/usr/bin/env bash
# Builds the engine lab's engine image, lab/dagger-engine:v0.21.8, in the lab's dockerd from the
# binaries dagger.sh built and the lab's runc (v1.4.2, dagger's pinned version) and runc-lab.
set -euo pipefail
: "${LAB_CACHE:?}" "${DOCKER_HOST:?}"
here=$(cd "$(dirname "$0")/.." && pwd)
ctx_root="$LAB_CACHE/ctx"
# shellcheck source=test/lab/build/image-lib.sh
source "$here/../lab/build/image-lib.sh"
bin="$LAB_CACHE/engine/bin"
ctx=$(fresh_ctx dagger-engine)
cp "$here/images/engine/Dockerfile" "$ctx/"
cp "$bin"/{dagger-engine,dagger-init,dagger,dial-stdio} "$LAB_CACHE/bin/runc" "$LAB_CACHE/bin/runc-lab" "$ctx/"
mkdir -p "$ctx/cni"
cp "$bin"/cni/{bridge,loopback,firewall,host-local} "$bin/dnsname" "$ctx/cni/"
# CAP_SYS_RESOURCE is capability 24; where the bounding set lacks it, the engine's runc is runc-lab.
runc_lab=0
(( (0x$(awk '/^CapBnd:/ {print $2}' /proc/self/status) >> 24) & 1 )) || runc_lab=1
build lab/dagger-engine:v0.21.8 "$ctx" --build-arg "RUNC_LAB=$runc_lab"
