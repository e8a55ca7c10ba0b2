# shellcheck shell=bash
# Lanes: work of test/lab/run that runs in the background, beside the step the run is on, at the
# lowest CPU priority, so that what the run waits for next gets both cores first and a lane
# takes only what they leave (downloads, waits on a cluster). Each lane writes its output to
# $LAB_CACHE/lanes/NAME.log and, when it ends, its exit status to NAME.exit, the seconds it
# took to NAME.seconds and the CPU seconds it used to NAME.cpu; lane_await (here)
# and awaitLane (test/lab/lanes.ts) wait for that, bounded. A step of the run itself can be
# awaited the same way once it says lane_done NAME. Needs LAB_CACHE.

lanes_dir="$LAB_CACHE/lanes"
lane_pids=()

# Starts over: no status from an earlier run counts.
lanes_reset() {
  rm -rf "$lanes_dir"
  mkdir -p "$lanes_dir"
}

# shellcheck source=test/lab/build/cpu.sh
source "$(dirname "${BASH_SOURCE[0]}")/cpu.sh"
# A lane's own bash reports what its work cost.
export -f children_cpu_seconds

# lane_start NAME COMMAND [ARGS...]: runs the command in a session of its own (so that
# lanes_stop ends it with its children), at nice 19. Where the kernel groups each session for
# the scheduler (autogroup), nice orders processes only within a group and every group gets an
# equal share, so the lane sets its group's nice too (measured here: without it the run's own
# builds ran three times slower beside two lanes).
lane_start() {
  local name=$1
  shift
  # shellcheck disable=SC2016 # expanded by the lane's own bash
  setsid nice -n 19 bash -c '{ echo 19 > /proc/self/autogroup; } 2>/dev/null; SECONDS=0; "${@:2}" > "$1.log" 2>&1; status=$?; echo "$SECONDS" > "$1.seconds"; children_cpu_seconds > "$1.cpu"; echo "$status" > "$1.exit"' lane "$lanes_dir/$name" "$@" < /dev/null &
  lane_pids+=("$!")
  echo "lab: lane $name started in the background (log: $lanes_dir/$name.log)"
}

# lane_done NAME: a step of the run that lanes wait for has ended well.
lane_done() { echo 0 > "$lanes_dir/$1.exit"; }

# lane_await NAME [SECONDS]: waits for the lane (at most SECONDS, default 90 minutes); fails
# with the end of its log if it failed or did not end in time.
lane_await() {
  local name=$1 limit=${2:-5400} waited=0 status
  while [ ! -f "$lanes_dir/$name.exit" ]; do
    if (( waited >= limit )); then
      echo "lab: $name did not end within ${limit} s; the end of its log ($lanes_dir/$name.log):" >&2
      tail -20 "$lanes_dir/$name.log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 2
    waited=$((waited + 2))
  done
  status=$(cat "$lanes_dir/$name.exit")
  if [ "$status" != 0 ]; then
    echo "lab: $name failed (exit $status); the end of its log ($lanes_dir/$name.log):" >&2
    tail -40 "$lanes_dir/$name.log" >&2 2>/dev/null || true
    return 1
  fi
  [ ! -f "$lanes_dir/$name.log" ] || echo "lab: $name done in $(cat "$lanes_dir/$name.seconds" 2>/dev/null || echo ?) s ($(cat "$lanes_dir/$name.cpu" 2>/dev/null || echo ?) CPU s), ${waited} s of it awaited here (log: $lanes_dir/$name.log)"
}

# Ends every lane still running (their builds stop; the last to leave the shared Go caches removes them, or the next run does).
lanes_stop() {
  local pid
  for pid in "${lane_pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
}
