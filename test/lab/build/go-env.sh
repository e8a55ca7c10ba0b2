# shellcheck shell=bash
# Sourced by the lab's Go builds (binaries.sh, kubernetes.sh, the engine lab's dagger.sh and
# sdk.sh). They download and compile in one module cache and one build cache under
# $LAB_CACHE/go, shared by every build running at once: what two builds both compile (the
# standard library, the dependencies two Kubernetes versions or two controllers share at the
# same version) compiles once. The last build to end removes the caches, whatever the outcome:
# what they build is stamped and kept, so a warm machine rebuilds nothing, and the caches (12 GiB
# of build cache and 6 GiB of modules for all of them, measured 2026-12-07, when each build
# had its own) never sit on the disk beside the engine lab's cases. The machine's own Go caches
# stay untouched.
: "${LAB_CACHE:?}"
export GOTOOLCHAIN=local CGO_ENABLED=0
# Every lab binary is linked with -s -w, which drops DWARF; compiling it only to drop it costs
# CPU for nothing (measured on the slim CoreDNS here, 2026-12-07: 340 and 352 CPU seconds with
# it, 289 without, about 15% less).
# shellcheck disable=SC2034 # read by the scripts that source this
LAB_GO_BUILD=(-trimpath -buildvcs=false -gcflags=all=-dwarf=false -ldflags=-s\ -w)

# lab_go_caches NAME: joins the shared caches until this shell exits; the last to leave removes them.
lab_go_caches() {
  lab_go_dir="$LAB_CACHE/go"
  lab_go_me=$BASHPID
  export GOMODCACHE="$lab_go_dir/mod" GOCACHE="$lab_go_dir/build"
  echo "lab: $1 uses the shared Go caches ($lab_go_dir)"
  lab_go_users join
  trap 'lab_go_users leave' EXIT
  # Stopped (a lane ended with the run), it still leaves nothing behind.
  trap 'exit 143' TERM INT
}

# lab_go_users join|leave: under a lock, forgets builds that are gone (killed without their
# EXIT trap), adds or removes this one, and removes the caches when no build is left: at a
# join, what a killed run left; at a leave, what this run no longer needs.
lab_go_users() {
  mkdir -p "$lab_go_dir/users"
  (
    flock 9
    local user
    for user in "$lab_go_dir"/users/*; do
      [ -e "$user" ] || continue
      kill -0 "${user##*/}" 2>/dev/null || rm -f "$user"
    done
    [ "$1" = leave ] && rm -f "$lab_go_dir/users/$lab_go_me"
    if [ -z "$(ls -A "$lab_go_dir/users")" ]; then
      # The module cache is read-only, as Go writes it.
      chmod -R u+w "$lab_go_dir/mod" "$lab_go_dir/build" 2>/dev/null || true
      rm -rf "$lab_go_dir/mod" "$lab_go_dir/build"
    fi
    [ "$1" = join ] && touch "$lab_go_dir/users/$lab_go_me"
    true
  ) 9> "$LAB_CACHE/go.lock"
}

# lab_go_built NAME WANT: whether $LAB_CACHE/bin/NAME is there and was built from WANT (its
# stamp); lab_go_stamp NAME WANT records that it was.
lab_go_built() { [ -x "$LAB_CACHE/bin/$1" ] && [ "$(cat "$LAB_CACHE/stamps/$1" 2>/dev/null)" = "$2" ]; }
lab_go_stamp() { mkdir -p "$LAB_CACHE/stamps" && echo "$2" > "$LAB_CACHE/stamps/$1"; }

# lab_go_same_build BINARY MODULE VERSION: whether BINARY's build info (go version -m) says it
# was built from MODULE at VERSION by this Go, static, with LAB_GO_BUILD's recorded flags (Go
# records neither -ldflags under -trimpath nor -buildvcs=false).
lab_go_same_build() {
  local info
  [ -x "$1" ] && info=$(go version -m "$1" 2>/dev/null) || return 1
  [ "$(head -1 <<< "$info")" = "$1: $(go env GOVERSION)" ] || return 1
  local line
  for line in "mod	$2	$3	" "build	CGO_ENABLED=0" "build	-trimpath=true" "build	-gcflags=all=-dwarf=false"; do
    grep -qF -- "	$line" <<< "$info" || return 1
  done
}

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
