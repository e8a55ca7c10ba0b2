#!/bin/sh
# What docker:dind's entrypoint does before dockerd that Kind relies on, then dockerd with
# the module's arguments ("$@"); where privileged containers need it (LAB_RUNTIME=runc-lab),
# runc-lab as dockerd's default runtime.
set -e
mount --make-rshared /
# On a cgroup v2 host: move this container's processes into a child group, then delegate
# every controller to the groups dockerd will create (the root group cannot hold processes
# and delegate at once).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p /sys/fs/cgroup/lab-init
  while read -r pid; do echo "$pid" > /sys/fs/cgroup/lab-init/cgroup.procs 2>/dev/null || true; done < /sys/fs/cgroup/cgroup.procs
  # cgroup.controllers is one line of names separated by spaces.
  read -r controllers < /sys/fs/cgroup/cgroup.controllers
  for controller in $controllers; do echo "+$controller" > /sys/fs/cgroup/cgroup.subtree_control || true; done
fi
if [ "${LAB_RUNTIME:-}" = runc-lab ]; then
  exec "$@" --add-runtime runc-lab=/usr/local/bin/runc-lab --default-runtime runc-lab
fi
exec "$@"
