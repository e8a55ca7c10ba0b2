#!/usr/bin/env bash
# Helpers for the lab's image builds (sourced): an image is rebuilt only when its recipe
# changed, kept in the label lab.recipe. Needs ctx_root (where build contexts are made).

current() { [ "$(docker image inspect -f '{{ index .Config.Labels "lab.recipe" }}' "$1" 2>/dev/null)" = "$2" ]; }

# build TAG CONTEXT [docker build args...]: the recipe is the context, the build arguments and
# the images it builds FROM (by ID), so a rebuilt base rebuilds what stands on it. The context
# is removed once read.
build() {
  local tag=$1 ctx=$2 recipe bases
  shift 2
  bases=$(sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' "$ctx/Dockerfile" | { grep -vx scratch || true; } | xargs -r docker image inspect -f '{{.Id}}')
  recipe=$( { (cd "$ctx" && find . -type f -print0 | sort -z | xargs -0 sha256sum); echo "$bases"; echo "$*"; } | sha256sum | cut -c1-16)
  if ! current "$tag" "$recipe"; then
    echo "lab: building $tag"
    docker build -q --label "lab.recipe=$recipe" -t "$tag" "$@" "$ctx" >/dev/null
  fi
  # Each run makes it afresh (fresh_ctx); kept, the contexts held 2 GiB at the run's peak.
  rm -rf "$ctx"
}

fresh_ctx() { rm -rf "${ctx_root:?}/${1:?}"; mkdir -p "$ctx_root/$1"; echo "$ctx_root/$1"; }


# scratch_image TAG BINARY TARGET [ENTRYPOINT [USER]]: one binary FROM scratch.
scratch_image() {
  local tag=$1 binary=$2 target=$3 entry=${4:-} user=${5:-}
  local c
  c=$(fresh_ctx "img-${tag//[:\/]/_}")
  cp "$binary" "$c/$(basename "$target")"
  { echo "FROM scratch"; echo "COPY $(basename "$target") $target"; echo "ENV PATH=/usr/local/bin:/usr/bin:/bin"
    [ -n "$user" ] && echo "USER $user"
    [ -n "$entry" ] && echo "ENTRYPOINT [\"$entry\"]"; } > "$c/Dockerfile"
  build "$tag" "$c"
}
