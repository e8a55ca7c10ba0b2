#!/usr/bin/env bash
# Builds Dagger v0.21.8 from its public source into $LAB_CACHE/engine/bin: the engine, the CLI,
# dagger-init (static: the engine mounts it into every container), dial-stdio, dnsname and
# codegen, and the CNI plugins at dagger's pinned version. The source and the three Go modules
# the proxy refuses (vito/dang/v2, vito/tuist with teav1, vito/midterm) come from the upstream
# folder (../shared/upstream, or UPSTREAM_SOURCES), checked against its SHA256SUMS; the three
# are wired in with `replace`, at exactly the revisions dagger's go.mod names. Kept while the
# stamp of its inputs (the archives, this script, Go) is unchanged.
set -euo pipefail
: "${LAB_CACHE:?}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/lab/build/go-env.sh
source "$here/../../lab/build/go-env.sh"
upstream="${UPSTREAM_SOURCES:-$(cd "$here/../../.." && pwd)/../shared/upstream}"
[ -f "$upstream/SHA256SUMS" ] || { echo "engine lab: $upstream/SHA256SUMS not found: set UPSTREAM_SOURCES to the folder of upstream sources" >&2; exit 1; }
work="$LAB_CACHE/engine"
bin="$work/bin"
version=v0.21.8
archives=(dagger-v0.21.8-no-docs vito-dang-v2.1.1 vito-tuist-v0.0.6 vito-tuist-de388bf31342 vito-midterm-3c2add750bea)

want=$( { for a in "${archives[@]}"; do grep " $a.tar.xz\$" "$upstream/SHA256SUMS"; done; sha256sum < "$0"; echo "${LAB_GO_BUILD[*]}"; go version; } | sha256sum | cut -c1-64)
if [ "$(cat "$work/.stamp" 2>/dev/null)" = "$want" ]; then exit 0; fi
lab_go_caches dagger

echo "engine lab: building dagger $version from source"
(cd "$upstream" && for a in "${archives[@]}"; do grep " $a.tar.xz\$" SHA256SUMS; done | sha256sum -c --quiet)
rm -rf "$work/src" "$bin" "$work/.stamp"
mkdir -p "$work/src" "$bin"
for a in "${archives[@]}"; do
  mkdir -p "$work/src/$a"
  tar -C "$work/src/$a" --strip-components=1 -xJf "$upstream/$a.tar.xz"
done
src="$work/src/dagger-v0.21.8-no-docs"
cd "$src"
go mod edit \
  -replace "github.com/vito/dang/v2=$work/src/vito-dang-v2.1.1" \
  -replace "github.com/vito/tuist=$work/src/vito-tuist-v0.0.6" \
  -replace "github.com/vito/tuist/teav1=$work/src/vito-tuist-de388bf31342/teav1" \
  -replace "github.com/vito/midterm=$work/src/vito-midterm-3c2add750bea"

# The one engine patch: the Go SDK library version the engine asks `go get` for
# (core/sdk/go_sdk.go goSDKLibVersion) is a dagger-go-sdk commit, 56bb3042, whose pseudo-version
# the Go module proxy here refuses; the lab's engine asks for the release tag v0.21.8 instead.
lib=core/sdk/go_sdk.go
sed -i 's/goSDKLibVersion = "56bb30426a8462af6f95cfdae6461d0cc796ff50"/goSDKLibVersion = "v0.21.8"/' "$lib"
grep -q 'goSDKLibVersion = "v0.21.8"' "$lib" || { echo "engine lab: patching $lib failed" >&2; exit 1; }

export GOFLAGS=-mod=mod
# The version dagger's own build links in (toolchains/engine-dev/build/builder.go, cli-dev):
# the engine and the CLI report v0.21.8, the tag they were built from.
ldflags="-s -w -X github.com/dagger/dagger/engine.Version=$version -X github.com/dagger/dagger/engine.Tag=$version"
# Two go builds (each package compiles once, the links run side by side), renamed as dagger's
# recipe names them.
out="$work/out"
rm -rf "$out" && mkdir -p "$out"
echo "engine lab: building the engine and the CLI"
lab_go "dagger engine and CLI" build "${LAB_GO_BUILD[@]}" -tags dfexcludepatterns,dfparents -ldflags "$ldflags" -o "$out/" ./cmd/engine ./cmd/dagger
echo "engine lab: building dagger-init, dial-stdio, dnsname and codegen"
lab_go "dagger helpers" build "${LAB_GO_BUILD[@]}" -tags dfexcludepatterns,dfparents -o "$out/" ./cmd/init ./cmd/dialstdio ./cmd/dnsname ./cmd/codegen
mv "$out/engine" "$bin/dagger-engine"
mv "$out/init" "$bin/dagger-init"
mv "$out/dialstdio" "$bin/dial-stdio"
mv "$out"/{dagger,dnsname,codegen} "$bin/"
rmdir "$out"
# CNI plugins at the version dagger pins (toolchains/engine-dev/consts/consts.go).
for plugin in main/bridge main/loopback meta/firewall ipam/host-local; do
  echo "engine lab: building cni-${plugin#*/}"
  GOFLAGS="" GOBIN="$bin/cni" lab_go "cni-$plugin" install "${LAB_GO_BUILD[@]}" "github.com/containernetworking/plugins/plugins/$plugin@v1.9.0"
done
"$bin/dagger" version
echo "$want" > "$work/.stamp"
