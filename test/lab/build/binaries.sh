#!/usr/bin/env bash
# Builds the lab's Go binaries from their Go modules, at the versions kind v0.32.0's base
# image names (images/base/Dockerfile) and the module pins, into $LAB_CACHE/bin. A binary
# already built from the same package and flags is kept. Kubernetes: kubernetes.sh.
set -euo pipefail
: "${LAB_CACHE:?}"
lab_dir=$(cd "$(dirname "$0")/.." && pwd)
bin="$LAB_CACHE/bin"
mkdir -p "$bin" "$LAB_CACHE/stamps"
export GOTOOLCHAIN=local

# build NAME PACKAGE@VERSION [go flags...]
build() {
  local name=$1 pkg=$2
  shift 2
  local stamp="$LAB_CACHE/stamps/$name" want="$pkg $* CGO_ENABLED=${CGO_ENABLED:-}"
  if [ -x "$bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  echo "lab: building $name ($pkg)"
  local tmp
  tmp=$(mktemp -d)
  GOBIN="$tmp" go install -trimpath -buildvcs=false "$@" "$pkg"
  mv "$tmp"/* "$bin/$name"
  rmdir "$tmp"
  echo "$want" > "$stamp"
}

export CGO_ENABLED=0
build kind sigs.k8s.io/kind@v0.32.0
build crictl sigs.k8s.io/cri-tools/cmd/crictl@v1.36.0
containerd_tags="no_aufs no_zfs no_btrfs no_devmapper"
build containerd github.com/containerd/containerd/v2/cmd/containerd@v2.3.1 -tags "$containerd_tags"
build ctr github.com/containerd/containerd/v2/cmd/ctr@v2.3.1 -tags "$containerd_tags"
build containerd-shim-runc-v2 github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@v2.3.1 -tags "$containerd_tags"
for plugin in main/bridge main/loopback main/ptp ipam/host-local meta/portmap; do
  build "cni-${plugin#*/}" "github.com/containernetworking/plugins/plugins/$plugin@v1.9.1"
done
# etcd's own go.mod replaces its sibling modules with local paths: built from
# test/lab/go/etcd-VERSION, one per version kubeadm deploys (v1.35.5: 3.6.6, v1.34.10: 3.6.5).
for etcd in v3.6.6 v3.6.5; do
  want=$(sha256sum < "$lab_dir/go/etcd-$etcd/go.sum")
  if [ ! -x "$bin/etcd-$etcd" ] || [ "$(cat "$LAB_CACHE/stamps/etcd-$etcd" 2>/dev/null)" != "$want" ]; then
    echo "lab: building etcd $etcd"
    (cd "$lab_dir/go/etcd-$etcd" && go build -trimpath -buildvcs=false -o "$bin/etcd-$etcd" go.etcd.io/etcd/server/v3)
    echo "$want" > "$LAB_CACHE/stamps/etcd-$etcd"
  fi
done
build coredns-v1.13.1 github.com/coredns/coredns@v1.13.1
build coredns-v1.12.1 github.com/coredns/coredns@v1.12.1
build training-operator github.com/kubeflow/training-operator/cmd/training-operator.v1@v1.9.4
# Trainer v2 and the JobSet its manager overlay installs, at the versions the module pins.
build trainer-controller-manager github.com/kubeflow/trainer/v2/cmd/trainer-controller-manager@v2.3.0
# `go install sigs.k8s.io/jobset@v0.12.0` asks the proxy for the module's version list, which it
# refuses here; building inside the downloaded module needs only that exact version.
if [ ! -x "$bin/jobset" ] || [ "$(cat "$LAB_CACHE/stamps/jobset" 2>/dev/null)" != "sigs.k8s.io/jobset@v0.12.0" ]; then
  echo "lab: building jobset (sigs.k8s.io/jobset@v0.12.0)"
  jobset_dir=$(go mod download -json sigs.k8s.io/jobset@v0.12.0 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  (cd "$jobset_dir" && go build -trimpath -buildvcs=false -o "$bin/jobset" .)
  echo "sigs.k8s.io/jobset@v0.12.0" > "$LAB_CACHE/stamps/jobset"
fi
CGO_ENABLED=1 build runc github.com/opencontainers/runc@v1.4.2 -tags seccomp

# The lab's own runc wrapper (runc-lab/main.go), rebuilt when its source changes; without VCS
# stamping, so every clone builds the same bytes (and the images holding it stay current).
want=$(cat "$lab_dir/runc-lab/main.go" "$lab_dir/runc-lab/go.mod" | sha256sum)
if [ ! -x "$bin/runc-lab" ] || [ "$(cat "$LAB_CACHE/stamps/runc-lab" 2>/dev/null)" != "$want" ]; then
  (cd "$lab_dir/runc-lab" && go build -trimpath -buildvcs=false -o "$bin/runc-lab" .)
  echo "$want" > "$LAB_CACHE/stamps/runc-lab"
fi
