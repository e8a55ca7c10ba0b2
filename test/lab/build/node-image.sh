#!/usr/bin/env bash
# Builds the lab's node image for one Kubernetes version (default v1.35.5) in the lab's dockerd
# ($DOCKER_HOST): the component images, named as that version's kubeadm expects them, and
# docker.io/kindest/node:VERSION-lab assembled the way kind's builder does
# (pkg/build/nodeimage): binaries in /usr/bin, /kind/version, the images imported into
# containerd's store without unpacking. Needs kubernetes.sh VERSION and images.sh (kind's base
# image, pause) first. Rebuilt only when its inputs or this script change (label lab.recipe).
set -euo pipefail
: "${LAB_CACHE:?}" "${DOCKER_HOST:?}"
version=${1:-v1.35.5}
lab_dir=$(cd "$(dirname "$0")/.." && pwd)
bin="$LAB_CACHE/bin"
ctx_root="$LAB_CACHE/ctx"
# shellcheck source=test/lab/build/image-lib.sh
source "$(dirname "$0")/image-lib.sh"
# shellcheck source=test/lab/build/node-versions.sh
source "$(dirname "$0")/node-versions.sh"
node_components "$version"

k8s="$LAB_CACHE/kubernetes/$version"
node="docker.io/kindest/node:$version-lab"
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  scratch_image "registry.k8s.io/$c:$version" "$k8s/$c" "/usr/local/bin/$c"
done
scratch_image "registry.k8s.io/etcd:${etcd#v}-0" "$bin/etcd-$etcd" /usr/local/bin/etcd
scratch_image "registry.k8s.io/coredns/coredns:$coredns" "$bin/coredns-$coredns" /coredns /coredns
c=$(fresh_ctx "kube-proxy-$version")
cp "$lab_dir/images/kube-proxy/Dockerfile" "$k8s/kube-proxy" "$c/"
build "registry.k8s.io/kube-proxy:$version" "$c"
images=("registry.k8s.io/kube-apiserver:$version" "registry.k8s.io/kube-controller-manager:$version" "registry.k8s.io/kube-scheduler:$version"
  "registry.k8s.io/kube-proxy:$version" "registry.k8s.io/etcd:${etcd#v}-0" "registry.k8s.io/coredns/coredns:$coredns" registry.k8s.io/pause:3.10.1)
# Its inputs, and this script (which assembles it).
recipe=$( { for i in lab/kind-base:v0.32.0 "${images[@]}"; do docker image inspect -f '{{.Id}}' "$i"; done; sha256sum "$k8s"/kubeadm "$k8s"/kubelet "$k8s"/kubectl; sha256sum < "$0"; } | sha256sum | cut -c1-16)
current "$node" "$recipe" && exit 0
echo "lab: assembling $node"
cid=$(docker run -d --entrypoint=sleep --security-opt seccomp=unconfined lab/kind-base:v0.32.0 infinity)
trap 'docker rm -f -v "$cid" >/dev/null 2>&1 || true' EXIT
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
