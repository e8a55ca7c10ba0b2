#!/usr/bin/env bash
# Builds what a node of one Kubernetes version runs (default v1.35.5), from Go modules: the
# Kubernetes binaries from k8s.io/kubernetes (test/lab/go/kubernetes-VERSION: staging modules
# through replace, committed go.sum) into $LAB_CACHE/kubernetes/VERSION, with the version
# ldflags the release build sets (without them they report v0.0.0-master, and kubeadm compares
# versions), and the etcd and CoreDNS that version's kubeadm deploys (node-versions.sh) into
# $LAB_CACHE/bin. Each is kept while the stamp of its inputs (module files, flags, this
# script, Go) is unchanged.
set -euo pipefail
: "${LAB_CACHE:?}"
version=${1:-v1.35.5}
lab_dir=$(cd "$(dirname "$0")/.." && pwd)
bin="$LAB_CACHE/bin"
out="$LAB_CACHE/kubernetes/$version"
mkdir -p "$bin" "$LAB_CACHE/stamps"
# shellcheck source=test/lab/build/go-env.sh
source "$lab_dir/build/go-env.sh"
# shellcheck source=test/lab/build/node-versions.sh
source "$lab_dir/build/node-versions.sh"
node_components "$version"
lab_go_caches "kubernetes-$version"

# etcd's own go.mod replaces its sibling modules with local paths: built from
# test/lab/go/etcd-VERSION. CoreDNS from test/lab/go/coredns-VERSION, with the plugins of
# kubeadm's Corefile (its main.go says why).
# build_in_module NAME DIR PACKAGE: go build in DIR, stamped with its module files and flags.
build_in_module() {
  local name=$1 dir=$2 pkg=$3 want
  want=$( { cat "$dir"/*.go "$dir"/go.mod "$dir"/go.sum 2>/dev/null; echo "$pkg ${LAB_GO_BUILD[*]}"; go version; } | sha256sum | cut -c1-64)
  if [ -x "$bin/$name" ] && [ "$(cat "$LAB_CACHE/stamps/$name" 2>/dev/null)" = "$want" ]; then return 0; fi
  echo "lab: building $name"
  (cd "$dir" && lab_go "$name" build "${LAB_GO_BUILD[@]}" -o "$bin/$name" "$pkg")
  echo "$want" > "$LAB_CACHE/stamps/$name"
}
build_in_module "etcd-$etcd" "$lab_dir/go/etcd-$etcd" go.etcd.io/etcd/server/v3
build_in_module "coredns-$coredns" "$lab_dir/go/coredns-$coredns" .

commands=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
src_dir="$lab_dir/go/kubernetes-$version"
major=${version#v}; major=${major%%.*}
minor=${version#v*.}; minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
# Everything the binaries are made of: the module files, the flags, this script and the Go
# toolchain. A warm machine rebuilds exactly when a cold one would build something else.
stamp="$out/.stamp"
want=$( { cat "$src_dir"/go.mod "$src_dir"/go.sum "$0"; echo "${LAB_GO_BUILD[*]} $ldflags ${commands[*]}"; go version; } | sha256sum | cut -c1-64)
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && [ -f "$out/pause.c" ]; then
  missing=()
  for c in "${commands[@]}"; do [ -x "$out/$c" ] || missing+=("$c"); done
  [ ${#missing[@]} -eq 0 ] && exit 0
fi

rm -rf "$out"
mkdir -p "$out"
cd "$src_dir"
echo "lab: building Kubernetes $version (${commands[*]})"
# One go build for all seven: each package compiles once, and the links run side by side.
GOFLAGS=-mod=mod GONOSUMDB=k8s.io lab_go "kubernetes-$version" build "${LAB_GO_BUILD[@]}" -ldflags "$ldflags" -o "$out/" "${commands[@]/#/k8s.io/kubernetes/cmd/}"
# The pause container's source (images.sh builds it): the module cache goes when this script ends.
cp "$(GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c" "$out/pause.c"
"$out/kubeadm" version -o short
echo "$want" > "$stamp"
