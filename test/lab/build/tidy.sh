#!/usr/bin/env bash
# Keeps the lab's disk use bounded between runs: a rebuilt lab image leaves its predecessor
# untagged, and an image's archive (named by the image ID, test/lab/frameworkImages.ts) outlives
# the image. Removes only what the lab made (untagged images with the lab.recipe label, archives
# of images gone from Docker). With --check-space (before a run's first build), it then fails
# with a clear message when less than LAB_MIN_FREE_GIB (default 25: what a run took at its peak,
# docs/lab.md) is free where the lab writes, having first removed the engine lab's state (a cache).
set -euo pipefail
: "${LAB_CACHE:?}" "${DOCKER_HOST:?}"

docker image prune -f --filter label=lab.recipe >/dev/null

archives="$LAB_CACHE/archives"
if [ -d "$archives" ]; then
  ids=$(docker images -q --no-trunc | sed 's/^sha256://' | cut -c1-24 | sort -u)
  for f in "$archives"/*.tar "$archives"/*.partial; do
    [ -e "$f" ] || continue
    name=$(basename "$f"); name=${name%%.*}
    # A .partial is an archive whose writing was interrupted.
    if [[ $f == *.partial ]] || ! grep -qx "$name" <<<"$ids"; then
      echo "lab: removing stale archive $(basename "$f")"
      rm -f "$f"
    fi
  done
fi

[ "${1:-}" = --check-space ] || exit 0
need=${LAB_MIN_FREE_GIB:-25}
free_gib() { echo $(( $(df -Pk "$1" | awk 'NR == 2 {print $4}') / 1024 / 1024 )); }
docker_root=$(docker info -f '{{.DockerRootDir}}')
# The engine lab's state, left only by a run stopped before its end (an engine stopped without a
# clean shutdown wipes it at its next start): short of room, it goes first.
state=lab-dagger-state
if (( $(free_gib "$docker_root") < need )) && docker volume inspect "$state" >/dev/null 2>&1 \
  && ! docker ps -q --filter "volume=$state" | grep -q .; then
  echo "lab: $(free_gib "$docker_root") GiB free, the lab needs ${need} GiB: removing the engine lab's state (volume $state); its engine starts cold"
  docker volume rm "$state" >/dev/null
fi
for dir in "$LAB_CACHE" "$docker_root"; do
  [ -d "$dir" ] || continue
  free=$(free_gib "$dir")
  if (( free < need )); then
    echo "lab: only ${free} GiB free on the file system of $dir; the lab needs ${need} GiB (LAB_MIN_FREE_GIB)." >&2
    echo "lab: free space there (docker system df shows what the lab's Docker holds; the engine lab's state is the volume lab-dagger-state, up to 40 GB), or set LAB_MIN_FREE_GIB if you know the run needs less." >&2
    exit 1
  fi
done
