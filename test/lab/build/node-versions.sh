# shellcheck shell=bash
# The Kubernetes versions the lab builds node images for, and the etcd and CoreDNS each one's
# kubeadm deploys (`kubeadm config images list`): kind v0.32.0's default 1.35, and 1.34 for the
# version axis. Sourced by kubernetes.sh and node-image.sh.

# node_components VERSION: sets etcd and coredns for that Kubernetes version.
# shellcheck disable=SC2034 # read by the scripts that source this
node_components() {
  case $1 in
    v1.35.5) etcd=v3.6.6 coredns=v1.13.1 ;;
    v1.34.10) etcd=v3.6.5 coredns=v1.12.1 ;;
    *) echo "lab: no node recipe for Kubernetes $1 (test/lab/build/node-versions.sh)" >&2; return 1 ;;
  esac
}
