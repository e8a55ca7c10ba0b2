# shellcheck shell=bash
# Sourced by the lab's entry points (test/lab/run, test/engine-lab/engine): one at a time
# (lab_lock), and the Docker the lab uses (lab_docker).

# They share $LAB_CACHE, container names, addresses and the engine's state: a second one waits
# for nothing and stops at once, naming the lock.
lab_lock() {
  exec 9>"$LAB_CACHE/lock"
  if ! flock -n 9; then
    echo "lab: another lab run (test/lab/run or test/engine-lab/engine) holds $LAB_CACHE/lock; wait for it to end" >&2
    return 1
  fi
}

# The lab's own dockerd's socket, where the machine has no Docker of its own.
LAB_DOCKER_HOST="unix:///run/training-operator-ci-lab/docker.sock"

# The machine's own Docker daemon when one answers (an ordinary Linux machine with Docker); otherwise the lab's own, with
# runc-lab available for privileged containers (used only where they fail without it, see
# environment.ts), its images kept in its data root between runs. Needs LAB_CACHE; sets
# DOCKER_HOST where it must, and own_dockerd to the PID of a daemon it started (empty otherwise).
# shellcheck disable=SC2034 # own_dockerd is read by the caller
lab_docker() {
  own_dockerd=""
  if [ -z "${DOCKER_HOST:-}" ] && docker version >/dev/null 2>&1; then
    echo "lab: using the machine's Docker"
    if [ "$(id -u)" != 0 ]; then echo "lab: the lab needs root (debootstrap, mounts in its checks)" >&2; return 1; fi
    # The build scripts and containers name the daemon explicitly.
    DOCKER_HOST=$(docker context inspect -f '{{.Endpoints.docker.Host}}')
    export DOCKER_HOST
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then echo "lab: no Docker daemon answers, and starting one needs root" >&2; return 1; fi
  export DOCKER_HOST="$LAB_DOCKER_HOST"
  mkdir -p /run/training-operator-ci-lab
  docker version >/dev/null 2>&1 && return 0
  echo "lab: starting the lab's dockerd"
  setsid dockerd --add-runtime "runc-lab=$LAB_CACHE/bin/runc-lab" \
    --data-root /var/lib/training-operator-ci-lab/docker --exec-root /run/training-operator-ci-lab/exec \
    -H "$DOCKER_HOST" --pidfile /run/training-operator-ci-lab/docker.pid >"$LAB_CACHE/dockerd.log" 2>&1 < /dev/null 9>&- &
  own_dockerd=$! # read by the caller
  for _ in $(seq 60); do docker version >/dev/null 2>&1 && return 0; sleep 1; done
  tail -20 "$LAB_CACHE/dockerd.log" >&2
  return 1
}
