# shellcheck shell=bash
# Sourced by the lab's Go builds (binaries.sh, kubernetes.sh, the engine lab's dagger.sh and
# sdk.sh). Each script downloads and compiles in caches of its own under $LAB_CACHE/go/NAME and
# removes them when it exits, whatever the outcome: what it builds is stamped and kept, so a warm
# machine rebuilds nothing, and the caches (12 GiB of build cache and 6 GiB of modules for all
# of them, measured 2026-12-07) never sit on the disk beside the cases. The machine's own Go caches stay untouched.
: "${LAB_CACHE:?}"
export GOTOOLCHAIN=local CGO_ENABLED=0
# Every lab binary is linked with -s -w, which drops DWARF; compiling it only to drop it costs
# CPU for nothing (measured on the slim CoreDNS here, 2026-12-07: 340 and 352 CPU seconds with
# it, 289 without, about 15% less).
# shellcheck disable=SC2034 # read by the scripts that source this
LAB_GO_BUILD=(-trimpath -buildvcs=false -gcflags=all=-dwarf=false -ldflags=-s\ -w)

# lab_go_caches NAME: this script's module and build caches, removed at exit.
lab_go_caches() {
  lab_go_dir="$LAB_CACHE/go/$1"
  export GOMODCACHE="$lab_go_dir/mod" GOCACHE="$lab_go_dir/build"
  lab_go_clean
  trap lab_go_clean EXIT
  # Stopped (a lane ended with the run), it still leaves nothing behind.
  trap 'exit 143' TERM INT
}

# The module cache is read-only, as Go writes it.
lab_go_clean() {
  [ -d "$lab_go_dir" ] || return 0
  chmod -R u+w "$lab_go_dir"
  rm -rf "$lab_go_dir"
}

# lab_go_built NAME WANT: whether $LAB_CACHE/bin/NAME is there and was built from WANT (its
# stamp); lab_go_stamp NAME WANT records that it was.
lab_go_built() { [ -x "$LAB_CACHE/bin/$1" ] && [ "$(cat "$LAB_CACHE/stamps/$1" 2>/dev/null)" = "$2" ]; }
lab_go_stamp() { mkdir -p "$LAB_CACHE/stamps" && echo "$2" > "$LAB_CACHE/stamps/$1"; }

# shellcheck source=test/lab/build/cpu.sh
source "$(dirname "${BASH_SOURCE[0]}")/cpu.sh"
# lab_go LABEL GO-ARGS...: go, then what it cost (wall and CPU seconds) in the log: on a cold
# machine, the figures of which build the run waits for.
lab_go() {
  local label=$1 start=$SECONDS shell=$BASHPID before
  shift
  before=$(children_cpu_seconds "$shell")
  go "$@"
  echo "lab: go $1 $label: $((SECONDS - start)) s, $(( $(children_cpu_seconds "$shell") - before )) CPU s"
}
