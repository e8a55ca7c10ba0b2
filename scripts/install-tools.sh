#!/usr/bin/env bash
# Installs the pinned test tools into .tools/bin: actionlint and kustomize (Go module
# proxy), and shellcheck (Debian), which actionlint uses for the workflows' run: scripts.
# kustomize builds the operator overlays in test/kustomize.test.ts, as kubectl -k does.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=v1.7.12
KUSTOMIZE_VERSION=v5.8.1
SHELLCHECK_VERSION=0.9.0-1

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v shellcheck >/dev/null || [ "$(dpkg-query -W -f='${Version}' shellcheck 2>/dev/null)" != "$SHELLCHECK_VERSION" ]; then
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "shellcheck=$SHELLCHECK_VERSION"
fi

mkdir -p .tools/bin
GOBIN="$PWD/.tools/bin" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
GOBIN="$PWD/.tools/bin" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
.tools/bin/actionlint -version | head -1
.tools/bin/kustomize version
