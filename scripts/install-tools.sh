#!/usr/bin/env bash
# Installs the pinned test tools: actionlint and kustomize into .tools/bin (Go module
# proxy); from Debian, shellcheck (actionlint uses it for the workflows' run: scripts),
# busybox (test/pytorchInit.test.ts runs the operator's init command under it) and
# iproute2 (`ip`, for that test's network namespace).
# kustomize builds the operator overlays in test/kustomize.test.ts, as kubectl -k does.
# CNCF Distribution's registry serves test/registryClient.test.ts (authentication, deletes).
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=v1.7.12
KUSTOMIZE_VERSION=v5.8.1
REGISTRY_VERSION=v3.0.0
# Debian packages by their upstream version (Debian 12's): the Debian revision may change
# with a point release (a security fix), the upstream version, whose behaviour the tests rely
# on, may not.
SHELLCHECK_VERSION=0.9.0
BUSYBOX_VERSION=1.35.0
IPROUTE2_VERSION=6.1.0

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# upstream_version PACKAGE: the installed version without epoch and Debian revision ("" if none).
upstream_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null | sed -e 's/^[0-9]*://' -e 's/-[^-]*$//'; }
installed() { [ "$(upstream_version "$1")" = "$2" ]; }
if ! installed shellcheck "$SHELLCHECK_VERSION" || ! installed busybox "$BUSYBOX_VERSION" || ! installed iproute2 "$IPROUTE2_VERSION"; then
  sudo_if_needed apt-get update -qq
  # busybox, not busybox-static: the static build's shell runs applets before PATH.
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=600 -y -qq shellcheck busybox iproute2
fi
for want in "shellcheck $SHELLCHECK_VERSION" "busybox $BUSYBOX_VERSION" "iproute2 $IPROUTE2_VERSION"; do
  read -r package version <<< "$want"
  if ! installed "$package" "$version"; then
    echo "install-tools: $package $version is needed (Debian 12's), but the package sources give ${package} $(upstream_version "$package")" >&2
    exit 1
  fi
done

mkdir -p .tools/bin
# All three with the lab's flags (test/lab/build/go-env.sh: static, trimmed, no DWARF): the
# engine lab's registry image takes this registry instead of compiling it again, and the three
# share one compile of the standard library (flags that differ compile it again).
tools_go_install() { CGO_ENABLED=0 GOBIN="$PWD/.tools/bin" go install -trimpath -buildvcs=false -gcflags=all=-dwarf=false -ldflags="-s -w" "$1"; }
tools_go_install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
tools_go_install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
tools_go_install "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION"
.tools/bin/actionlint -version | head -1
.tools/bin/kustomize version
# go install replaces an older build; check that the registry the tests start is the pinned one.
.tools/bin/registry --version | grep -q " ${REGISTRY_VERSION}" || { echo "install-tools: .tools/bin/registry is not $REGISTRY_VERSION: $(.tools/bin/registry --version)" >&2; exit 1; }
.tools/bin/registry --version
