// The only privileged piece: dockerd in a Dagger service, where Kind creates its node.
// Clients reach it as tcp://docker:2375 through a service binding.
import { CacheSharingMode, dag, type Container, type Service } from "@dagger.io/dagger";
import { DOCKER_HOST_ALIAS, DOCKER_PORT } from "./kindConfig.js";
import { archOf, DIND_IMAGE, KIND_VERSION, kindBinary, kubectlBinary, type PinnedBinary } from "./pins.js";

export const KUBECONFIG_PATH = "/root/.kube/config";
const DOCKER_DATA = "/var/lib/docker";

/** Cache volume for dockerd's data: keeps the pulled node image between runs. */
function dockerDataVolume() {
  return dag.cacheVolume(`training-operator-ci-dind-${KIND_VERSION}`);
}

/**
 * dockerd with TLS off on 2375. `runId` makes the service unique to one run, and the
 * private cache sharing gives concurrent runs separate data directories.
 */
export function dockerService(runId: string, apiServerPort: number): Service {
  return dag
    .container()
    .from(DIND_IMAGE)
    .withEnvVariable("DOCKER_TLS_CERTDIR", "")
    .withEnvVariable("E2E_RUN_ID", runId)
    .withMountedCache(DOCKER_DATA, dockerDataVolume(), { sharing: CacheSharingMode.Private })
    .withExposedPort(DOCKER_PORT) // health check: the service is up once dockerd listens
    .withExposedPort(apiServerPort, { experimentalSkipHealthcheck: true }) // Kind's API server, published later
    .asService({
      args: ["dockerd", "--host=unix:///var/run/docker.sock", `--host=tcp://0.0.0.0:${DOCKER_PORT}`, "--tls=false"],
      useEntrypoint: true, // dockerd-entrypoint.sh runs it under the dind wrapper (cgroups, mounts)
      insecureRootCapabilities: true,
    });
}

function pinnedFile(binary: PinnedBinary) {
  return dag.http(binary.url, { checksum: `sha256:${binary.sha256}`, name: binary.name, permissions: 0o755 });
}

/** docker CLI (from the same pinned image), kind and kubectl; no cluster attached (e.g. for `kubectl kustomize`). */
export async function toolsContainer(): Promise<Container> {
  const arch = archOf(await dag.defaultPlatform());
  return dag
    .container()
    .from(DIND_IMAGE)
    .withFile("/usr/local/bin/kind", pinnedFile(kindBinary(arch)), { permissions: 0o755 })
    .withFile("/usr/local/bin/kubectl", pinnedFile(kubectlBinary(arch)), { permissions: 0o755 })
    .withWorkdir("/e2e");
}

/** The tools container bound to the Docker service, where kind and kubectl reach the cluster. */
export function clientContainer(tools: Container, service: Service, runId: string): Container {
  return tools
    .withServiceBinding(DOCKER_HOST_ALIAS, service)
    .withEnvVariable("DOCKER_HOST", `tcp://${DOCKER_HOST_ALIAS}:${DOCKER_PORT}`)
    .withEnvVariable("KUBECONFIG", KUBECONFIG_PATH)
    .withEnvVariable("E2E_RUN_ID", runId);
}

/** A throwaway container that reports the engine's memory and the disk under the Docker data volume. */
export function engineFactsProbe(): Container {
  return dag
    .container()
    .from(DIND_IMAGE)
    .withMountedCache(DOCKER_DATA, dockerDataVolume(), { sharing: CacheSharingMode.Private });
}

export const ENGINE_FACTS_SCRIPT = [
  "cat /proc/meminfo",
  "echo ---",
  "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.current 2>/dev/null || true",
  "echo ---",
  `df -Pk ${DOCKER_DATA}`,
].join("; ");
