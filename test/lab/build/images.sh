#!/usr/bin/env bash
# Builds the lab's images in the lab's dockerd ($DOCKER_HOST): Debian rootfs images
# (debootstrap), kind v0.32.0's base image, the component images of Kubernetes v1.35.5 and
# v1.34.10, their node images (assembled as kind's builder does), the Docker service, the
# client, the v1 operator, and Trainer v2's controller and JobSet.
# An image is rebuilt only when its recipe or inputs changed (label lab.recipe): its build
# context and arguments, the images it builds on, the binaries it holds. The Debian root file
# systems are the exception: debootstrap takes the mirror's packages of the day, so a warm
# machine keeps the ones it first got (rebuild them with `docker rmi lab/debian:bookworm ...`).
set -euo pipefail
: "${LAB_CACHE:?}" "${DOCKER_HOST:?}"
lab_dir=$(cd "$(dirname "$0")/.." && pwd)
bin="$LAB_CACHE/bin"
ctx_root="$LAB_CACHE/ctx"
kind_files="$(go env GOMODCACHE)/sigs.k8s.io/kind@v0.32.0/images/base/files"
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

scratch_image() { # TAG BINARY TARGET [ENTRYPOINT [USER]]
  local tag=$1 binary=$2 target=$3 entry=${4:-} user=${5:-}
  local c
  c=$(fresh_ctx "img-${tag//[:\/]/_}")
  cp "$binary" "$c/$(basename "$target")"
  { echo "FROM scratch"; echo "COPY $(basename "$target") $target"; echo "ENV PATH=/usr/local/bin:/usr/bin:/bin"
    [ -n "$user" ] && echo "USER $user"
    [ -n "$entry" ] && echo "ENTRYPOINT [\"$entry\"]"; } > "$c/Dockerfile"
  build "$tag" "$c"
}
pause_ctx=$(fresh_ctx pause-src)
gcc -Os -static -DVERSION=3.10.1 -o "$pause_ctx/pause" "$(go env GOMODCACHE)/k8s.io/kubernetes@v1.35.5/build/pause/linux/pause.c"
scratch_image registry.k8s.io/pause:3.10.1 "$pause_ctx/pause" /pause /pause

# node_image VERSION ETCD COREDNS: Kubernetes' images, named as that kubeadm expects them, and
# the node image assembled the way kind's builder does (pkg/build/nodeimage): binaries in
# /usr/bin, /kind/version, the images imported into containerd's store without unpacking.
node_image() {
  local version=$1 etcd=$2 coredns=$3
  local k8s="$LAB_CACHE/kubernetes/$version" node="docker.io/kindest/node:$version-lab" c
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    scratch_image "registry.k8s.io/$c:$version" "$k8s/$c" "/usr/local/bin/$c"
  done
  scratch_image "registry.k8s.io/etcd:${etcd#v}-0" "$bin/etcd-$etcd" /usr/local/bin/etcd
  scratch_image "registry.k8s.io/coredns/coredns:$coredns" "$bin/coredns-$coredns" /coredns /coredns
  c=$(fresh_ctx "kube-proxy-$version")
  cp "$lab_dir/images/kube-proxy/Dockerfile" "$k8s/kube-proxy" "$c/"
  build "registry.k8s.io/kube-proxy:$version" "$c"
  local images=("registry.k8s.io/kube-apiserver:$version" "registry.k8s.io/kube-controller-manager:$version" "registry.k8s.io/kube-scheduler:$version"
    "registry.k8s.io/kube-proxy:$version" "registry.k8s.io/etcd:${etcd#v}-0" "registry.k8s.io/coredns/coredns:$coredns" registry.k8s.io/pause:3.10.1)
  local recipe i cid
  # Its inputs, and this script (which assembles it).
  recipe=$( { for i in lab/kind-base:v0.32.0 "${images[@]}"; do docker image inspect -f '{{.Id}}' "$i"; done; sha256sum "$k8s"/kubeadm "$k8s"/kubelet "$k8s"/kubectl; sha256sum < "$0"; } | sha256sum | cut -c1-16)
  current "$node" "$recipe" && return 0
  echo "lab: assembling $node"
  cid=$(docker run -d --entrypoint=sleep --security-opt seccomp=unconfined lab/kind-base:v0.32.0 infinity)
  for c in kubeadm kubelet kubectl; do docker cp "$k8s/$c" "$cid:/usr/bin/$c"; done
  docker exec "$cid" sh -c "chmod +x /usr/bin/kubeadm /usr/bin/kubelet /usr/bin/kubectl && echo $version > /kind/version"
  docker exec "$cid" bash -c 'nohup containerd > /dev/null 2>&1 &'
  docker exec "$cid" bash -c 'for i in $(seq 30); do [ -S /run/containerd/containerd.sock ] && break; sleep 1; done; ctr info >/dev/null'
  for i in "${images[@]}"; do
    docker save "$i" | docker exec -i "$cid" ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests - >/dev/null
  done
  docker exec "$cid" ctr --namespace=k8s.io images list -q
  docker exec "$cid" pkill containerd || true
  sleep 2
  docker commit --change 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]' --change "LABEL lab.recipe=$recipe" "$cid" "$node" >/dev/null
  docker rm -f -v "$cid" >/dev/null
}
# The default node (kind v0.32.0's 1.35), and a second minor for the version axis.
node_image v1.35.5 v3.6.6 v1.13.1
node_image v1.34.10 v3.6.5 v1.12.1

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
