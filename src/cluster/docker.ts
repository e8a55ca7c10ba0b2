// The only privileged piece: dockerd in a Dagger service, where Kind creates its node.
// Clients reach it as tcp://docker:2375 through a service binding. Each run's dockerd keeps
// its data in a folder of its own (dockerData.ts), so runs on one engine never wait for or
// see each other.
import { CacheSharingMode, dag, type Container, type Service } from "@dagger.io/dagger";
import { DOCKER_RUNS_DIR, prepareRunDataScript, removeRunDataScript } from "./dockerData.js";
import { CommandFailed } from "../exec/steps.js";
import { shellCommand } from "../exec/shell.js";
import { asExecResult, mustExecute } from "./daggerRunner.js";
import { DOCKER_HOST_ALIAS, DOCKER_PORT } from "./kindConfig.js";
import { archOf, DIND_IMAGE, kindBinary, kubectlBinary, type PinnedBinary } from "../versions/pins.js";
import { NO_MIRRORS, type Mirrors } from "../versions/mirrors.js";
import { clientEnvironment, dockerdArgs } from "./serviceSpec.js";

/**
 * The cache volume holding every run's Docker data folder. Shared: no run holds a lock on
 * it (Dagger v0.21 serializes Private like Locked, for a service's whole life).
 */
function withDockerRuns(container: Container): Container {
  return container.withMountedCache(DOCKER_RUNS_DIR, dag.cacheVolume("training-operator-ci-docker-runs"), { sharing: CacheSharingMode.Shared });
}

/** docker:dind, or its mirror. */
const dind = (mirrors: Mirrors) => dag.container().from(mirrors.image(DIND_IMAGE));

/** dockerd with TLS off on 2375, its data in this run's own folder. */
export function dockerService(runId: string, apiServerPort: number, mirrors: Mirrors = NO_MIRRORS): Service {
  return withDockerRuns(dind(mirrors))
    .withEnvVariable("DOCKER_TLS_CERTDIR", "")
    .withEnvVariable("E2E_RUN_ID", runId)
    .withExposedPort(DOCKER_PORT) // health check: the service is up once dockerd listens
    .withExposedPort(apiServerPort, { experimentalSkipHealthcheck: true }) // Kind's API server, published later
    .asService({
      args: dockerdArgs(runId),
      useEntrypoint: true, // dockerd-entrypoint.sh runs it under the dind wrapper (cgroups, mounts)
      insecureRootCapabilities: true,
    });
}

/**
 * Starts the Docker service. A dockerd that exits at start fails with its own log (the
 * service's output, which Dagger hands back in its ExecError), not only with its exit code.
 */
export async function startDockerService(service: Service, runId: string): Promise<void> {
  try {
    await service.start();
  } catch (error) {
    const exited = asExecResult(error);
    if (exited) throw new CommandFailed(`docker service: ${shellCommand(dockerdArgs(runId))}`, exited.exitCode, exited.stdout, exited.stderr);
    throw error;
  }
}

/** A container on the Docker data volume, not bound to any service: for preflight and cleanup. */
function dockerRunsShell(mirrors: Mirrors): Container {
  return withDockerRuns(dind(mirrors));
}

/** Seconds the scripts on the Docker data volume may take (removing a run's images and node). */
const RUN_DATA_TIMEOUT_SECONDS = 300;

/** Creates this run's data folder and removes those no dockerd uses any more; returns what it did. */
export function prepareRunData(runId: string, mirrors: Mirrors = NO_MIRRORS): Promise<string> {
  return mustExecute(dockerRunsShell(mirrors), ["sh", "-c", prepareRunDataScript(runId)], RUN_DATA_TIMEOUT_SECONDS);
}

/** Removes this run's data folder; call once its dockerd has stopped. */
export async function removeRunData(runId: string, mirrors: Mirrors = NO_MIRRORS): Promise<void> {
  await mustExecute(dockerRunsShell(mirrors), ["sh", "-c", removeRunDataScript(runId)], RUN_DATA_TIMEOUT_SECONDS);
}

/** A pinned download (from its mirror, checked against the mirror's sha256, if the run has one). */
function pinnedFile(pinned: PinnedBinary, mirrors: Mirrors) {
  const binary = mirrors.binary(pinned);
  return dag.http(binary.url, { checksum: `sha256:${binary.sha256}`, name: binary.name, permissions: 0o755 });
}

/** Where the tools container keeps the run's kubectl (also copied into images that need one). */
export const TOOLS_KUBECTL = "/usr/local/bin/kubectl";

/**
 * docker CLI (from the same pinned image), kind and the kubectl of the node's Kubernetes minor;
 * no cluster attached (e.g. for `kubectl kustomize`).
 */
export async function toolsContainer(kubernetesMinor: string | undefined, mirrors: Mirrors = NO_MIRRORS): Promise<Container> {
  const arch = archOf(await dag.defaultPlatform());
  return dind(mirrors)
    .withFile("/usr/local/bin/kind", pinnedFile(kindBinary(arch), mirrors), { permissions: 0o755 })
    .withFile(TOOLS_KUBECTL, pinnedFile(kubectlBinary(arch, kubernetesMinor), mirrors), { permissions: 0o755 })
    .withWorkdir("/e2e");
}

/** The tools container bound to the Docker service, where kind and kubectl reach the cluster. */
export function clientContainer(tools: Container, service: Service, runId: string): Container {
  return Object.entries(clientEnvironment(runId)).reduce((c, [name, value]) => c.withEnvVariable(name, value), tools.withServiceBinding(DOCKER_HOST_ALIAS, service));
}

/** A throwaway container that reports the engine's memory and the disk under the Docker data volume. */
export function engineFactsProbe(mirrors: Mirrors = NO_MIRRORS): Container {
  return dockerRunsShell(mirrors);
}

export const ENGINE_FACTS_SCRIPT = [
  "cat /proc/meminfo",
  "echo ---",
  "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.current 2>/dev/null || true",
  "echo ---",
  `df -Pk ${DOCKER_RUNS_DIR}`,
  "echo ---",
  "nproc",
].join("; ");
