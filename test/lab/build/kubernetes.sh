#!/usr/bin/env bash
# Builds a Kubernetes version's node binaries (default v1.35.5) from k8s.io/kubernetes
# (test/lab/go/kubernetes-VERSION: staging modules through replace, committed go.sum) into
# $LAB_CACHE/kubernetes/VERSION, with the version ldflags the release build sets (without
# them they report v0.0.0-master, and kubeadm compares versions). Kept while the stamp of
# their inputs (module files, flags, this script, Go) is unchanged.
set -euo pipefail
: "${LAB_CACHE:?}"
version=${1:-v1.35.5}
out="$LAB_CACHE/kubernetes/$version"
commands=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
src_dir="$(cd "$(dirname "$0")/../go/kubernetes-$version" && pwd)"

major=${version#v}; major=${major%%.*}
minor=${version#v*.}; minor=${minor%%.*}
ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
# Everything the binaries are made of: the module files, the flags, this script and the Go
# toolchain. A warm machine rebuilds exactly when a cold one would build something else.
stamp="$out/.stamp"
want=$( { cat "$src_dir"/go.mod "$src_dir"/go.sum "$0"; echo "$ldflags ${commands[*]}"; go version; } | sha256sum | cut -c1-64)
missing=()
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  for c in "${commands[@]}"; do [ -x "$out/$c" ] || missing+=("$c"); done
else
  missing=("${commands[@]}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

mkdir -p "$out"
rm -f "$stamp"
cd "$src_dir"
for c in "${missing[@]}"; do
  echo "lab: building $c $version"
  CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod GONOSUMDB=k8s.io go build -trimpath -buildvcs=false -ldflags "-s -w$ldflags" -o "$out/$c" "k8s.io/kubernetes/cmd/$c"
done
"$out/kubeadm" version -o short
echo "$want" > "$stamp"
