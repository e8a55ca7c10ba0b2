#!/bin/sh
# What docker:dind's entrypoint does before dockerd that Kind relies on (shared mount
# propagation), then dockerd with the module's arguments ("$@"); where privileged
# containers need it (LAB_RUNTIME=runc-lab), runc-lab as dockerd's default runtime.
set -e
mount --make-rshared /
if [ "${LAB_RUNTIME:-}" = runc-lab ]; then
  exec "$@" --add-runtime runc-lab=/usr/local/bin/runc-lab --default-runtime runc-lab
fi
exec "$@"
