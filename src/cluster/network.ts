// The `kind` Docker network, created IPv4-only before `kind create cluster` when missing.
// kind v0.32.0 first asks for IPv6 and falls back to IPv4 only on three exact Docker
// errors (pkg/cluster/internal/providers/docker/network.go); a dockerd inside a Dagger
// service may refuse IPv6 with another message. kind reuses a network of that name as it is.
import { shellQuote } from "../exec/shell.js";

export const KIND_NETWORK = "kind";

/**
 * sh script: create the network with the options kind uses (bridge, IP masquerade, the
 * default bridge's MTU when it has a numeric one), unless it exists. Prints what it did.
 */
export function ensureKindNetworkScript(name = KIND_NETWORK): string {
  const net = shellQuote(name);
  return [
    `if docker network inspect ${net} >/dev/null 2>&1; then echo "network ${name} exists"; exit 0; fi`,
    `mtu=$(docker network inspect bridge -f '{{ index .Options "com.docker.network.driver.mtu" }}' 2>/dev/null)`,
    `case "$mtu" in "" | *[!0-9]*) mtu= ;; esac`,
    `docker network create -d=bridge -o com.docker.network.bridge.enable_ip_masquerade=true \${mtu:+-o com.docker.network.driver.mtu=$mtu} ${net} >/dev/null || exit $?`,
    `echo "network ${name} created (IPv4\${mtu:+, MTU $mtu})"`,
  ].join("\n");
}
