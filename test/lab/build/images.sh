#!/usr/bin/env bash
# Builds the lab's images in the lab's dockerd ($DOCKER_HOST): Debian rootfs images
# (debootstrap; `images.sh rootfs` builds only these, network-bound, beside the compiles), kind
# v0.32.0's base image, pause, the Docker service, the client, the v1 operator, and Trainer
# v2's controller and JobSet. The node images: node-image.sh.
# An image is rebuilt only when its recipe or inputs changed (label lab.recipe): its build
# context and arguments, the images it builds on, the binaries it holds. The Debian root file
# systems are the exception: debootstrap takes the mirror's packages of the day, so a warm
# machine keeps the ones it first got (rebuild them with `docker rmi lab/debian:bookworm ...`).
set -euo pipefail
: "${LAB_CACHE:?}" "${DOCKER_HOST:?}"
lab_dir=$(cd "$(dirname "$0")/.." && pwd)
bin="$LAB_CACHE/bin"
ctx_root="$LAB_CACHE/ctx"
kind_files="$LAB_CACHE/kind-v0.32.0-base-files"   # binaries.sh
mirror=http://deb.debian.org/debian

# shellcheck source=test/lab/build/image-lib.sh
source "$(dirname "$0")/image-lib.sh"

rootfs_image() { # NAME SUITE [PACKAGES]
  local name=$1 suite=$2 include=${3:-} recipe
  recipe=$(echo "$suite $include v1" | sha256sum | cut -c1-16)
  current "$name" "$recipe" && return 0
  echo "lab: debootstrap $suite -> $name"
  local dir="$LAB_CACHE/rootfs/$name"
  rm -rf "$dir"
  debootstrap --variant=minbase ${include:+--include=$include} "$suite" "$dir" "$mirror" >"$LAB_CACHE/debootstrap-${name//[:\/]/_}.log"
  tar -C "$dir" -c . | docker import --change "LABEL lab.recipe=$recipe" - "$name" >/dev/null
  rm -rf "$dir"
}

rootfs_image lab/debian:bookworm bookworm
rootfs_image lab/debian:trixie-node trixie \
  systemd,systemd-sysv,dbus,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,fuse-overlayfs,e2fsprogs,bash,ca-certificates,curl,jq,procps
[ "${1:-}" = rootfs ] && exit 0

# kind's base image
ctx=$(fresh_ctx kind-base)
cp -r "$lab_dir/images/kind-base/." "$ctx/"
cp -r --no-preserve=mode "$kind_files" "$ctx/files"
mkdir -p "$ctx/bin" "$ctx/cni"
cp "$bin"/{containerd,ctr,containerd-shim-runc-v2,crictl,runc,runc-lab} "$ctx/bin/"
for p in bridge loopback ptp host-local portmap; do cp "$bin/cni-$p" "$ctx/cni/$p"; done
cgroup_v1=0
[ -f /sys/fs/cgroup/cgroup.controllers ] || cgroup_v1=1
# CAP_SYS_RESOURCE is capability 24; where the bounding set lacks it, privileged pods need runc-lab.
runc_lab=0
(( (0x$(awk '/^CapBnd:/ {print $2}' /proc/self/status) >> 24) & 1 )) || runc_lab=1
echo "cgroup-v1=$cgroup_v1 runc-lab=$runc_lab" > "$ctx/host-facts"
build lab/kind-base:v0.32.0 "$ctx" --build-arg "CGROUP_V1=$cgroup_v1" --build-arg "RUNC_LAB=$runc_lab"

pause_ctx=$(fresh_ctx pause-src)
gcc -Os -static -DVERSION=3.10.1 -o "$pause_ctx/pause" "$LAB_CACHE/kubernetes/v1.35.5/pause.c"
scratch_image registry.k8s.io/pause:3.10.1 "$pause_ctx/pause" /pause /pause

# The Docker service, the client, the operator
ctx=$(fresh_ctx docker-service)
cp "$lab_dir/images/docker-service/"* "$bin/runc-lab" "$ctx/"
build lab/docker-service "$ctx"
ctx=$(fresh_ctx client)
cp "$lab_dir/images/client/Dockerfile" "$bin/kind" "$LAB_CACHE/kubernetes/v1.35.5/kubectl" "$ctx/"
build lab/client "$ctx"
scratch_image ghcr.io/kubeflow/training-v1/training-operator:v1-93c5489 "$bin/training-operator" /manager /manager
# Trainer v2 and JobSet, named as the v2.3.0 manager overlay names them; their Deployments ask
# for a non-root user, as the upstream images (distroless nonroot) give.
scratch_image ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.3.0 "$bin/trainer-controller-manager" /manager /manager 65532:65532
scratch_image registry.k8s.io/jobset/jobset:v0.12.0 "$bin/jobset" /manager /manager 65532:65532
echo "lab: images ready"
