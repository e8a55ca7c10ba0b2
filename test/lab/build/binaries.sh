#!/usr/bin/env bash
# Builds the lab's Go binaries that do not depend on the Kubernetes version, from their Go
# modules, at the versions kind v0.32.0's base image names (images/base/Dockerfile) and the
# module pins, into $LAB_CACHE/bin. A binary already built from the same package and flags is
# kept. Each Kubernetes version's own (Kubernetes, etcd, CoreDNS): kubernetes.sh.
set -euo pipefail
: "${LAB_CACHE:?}"
lab_dir=$(cd "$(dirname "$0")/.." && pwd)
bin="$LAB_CACHE/bin"
mkdir -p "$bin" "$LAB_CACHE/stamps"
# shellcheck source=test/lab/build/go-env.sh
source "$lab_dir/build/go-env.sh"
lab_go_caches binaries

# The lab's own runc wrapper (runc-lab/main.go), which the lab's dockerd names as a runtime:
# first, and alone with `binaries.sh runc-lab`. Rebuilt when its source changes; without VCS
# stamping, so every clone builds the same bytes (and the images holding it stay current).
want=$( { cat "$lab_dir/runc-lab/main.go" "$lab_dir/runc-lab/go.mod"; echo "${LAB_GO_BUILD[*]}"; } | sha256sum)
if ! lab_go_built runc-lab "$want"; then
  (cd "$lab_dir/runc-lab" && lab_go runc-lab build "${LAB_GO_BUILD[@]}" -o "$bin/runc-lab" .)
  lab_go_stamp runc-lab "$want"
fi
[ "${1:-}" = runc-lab ] && exit 0

# build NAME PACKAGE@VERSION [go flags...]
build() {
  local name=$1 pkg=$2
  shift 2
  local want="$pkg ${LAB_GO_BUILD[*]} $* CGO_ENABLED=$CGO_ENABLED"
  if lab_go_built "$name" "$want"; then return 0; fi
  echo "lab: building $name ($pkg)"
  local tmp
  tmp=$(mktemp -d)
  GOBIN="$tmp" lab_go "$name" install "${LAB_GO_BUILD[@]}" "$@" "$pkg"
  mv "$tmp"/* "$bin/$name"
  rmdir "$tmp"
  lab_go_stamp "$name" "$want"
}

build kind sigs.k8s.io/kind@v0.32.0
# kind's base image files (images/base/files), for images.sh: the module cache goes when this script ends.
kind_files="$LAB_CACHE/kind-v0.32.0-base-files"
if [ ! -d "$kind_files" ]; then
  rm -rf "$kind_files.partial"
  cp -r --no-preserve=mode "$(go mod download -json sigs.k8s.io/kind@v0.32.0 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')/images/base/files" "$kind_files.partial"
  mv "$kind_files.partial" "$kind_files"
fi
build crictl sigs.k8s.io/cri-tools/cmd/crictl@v1.36.0
containerd_tags="no_aufs no_zfs no_btrfs no_devmapper"
build containerd github.com/containerd/containerd/v2/cmd/containerd@v2.3.1 -tags "$containerd_tags"
build ctr github.com/containerd/containerd/v2/cmd/ctr@v2.3.1 -tags "$containerd_tags"
build containerd-shim-runc-v2 github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@v2.3.1 -tags "$containerd_tags"
for plugin in main/bridge main/loopback main/ptp ipam/host-local meta/portmap; do
  build "cni-${plugin#*/}" "github.com/containernetworking/plugins/plugins/$plugin@v1.9.1"
done
build training-operator github.com/kubeflow/training-operator/cmd/training-operator.v1@v1.9.4
# Trainer v2 and the JobSet its manager overlay installs, at the versions the module pins.
build trainer-controller-manager github.com/kubeflow/trainer/v2/cmd/trainer-controller-manager@v2.3.0
# `go install sigs.k8s.io/jobset@v0.12.0` asks the proxy for the module's version list, which it
# refuses here; building inside the downloaded module needs only that exact version.
want="sigs.k8s.io/jobset@v0.12.0 ${LAB_GO_BUILD[*]}"
if ! lab_go_built jobset "$want"; then
  echo "lab: building jobset (sigs.k8s.io/jobset@v0.12.0)"
  jobset_dir=$(go mod download -json sigs.k8s.io/jobset@v0.12.0 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  (cd "$jobset_dir" && lab_go jobset build "${LAB_GO_BUILD[@]}" -o "$bin/jobset" .)
  lab_go_stamp jobset "$want"
fi
CGO_ENABLED=1 build runc github.com/opencontainers/runc@v1.4.2 -tags seccomp

