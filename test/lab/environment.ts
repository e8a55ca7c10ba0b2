// The lab's stand-in for what the module gets from Dagger: a privileged Docker service
// reachable as docker:2375 on a network of its own, with its data in this run's folder on a
// shared volume, and a client container bound to it. Built from the module's own
// dockerdArgs, clientEnvironment and Docker data scripts.
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DOCKER_RUNS_DIR, prepareRunDataScript, removeRunDataScript } from "../../src/cluster/dockerData.js";
import { DOCKER_HOST_ALIAS } from "../../src/cluster/kindConfig.js";
import { clientEnvironment, dockerdArgs } from "../../src/cluster/serviceSpec.js";
import { docker, LocalRunner, removeContainers, type SharedFolder } from "./localRunner.js";

/** The lab's network; a second environment beside the first needs one of its own (both answer to "docker"). */
export const NETWORK = "lab-e2e";
const DATA_VOLUME = "lab-docker-runs";

/** True where privileged containers need runc-lab: the capability bounding set lacks CAP_SYS_RESOURCE (24). */
export function needsRuncLab(): boolean {
  const line = readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("CapBnd:"));
  const bounding = BigInt(`0x${line?.split(/\s+/)[1] ?? "0"}`);
  return (bounding & (1n << 24n)) === 0n;
}

export interface LabEnvironment {
  runId: string;
  service: string;
  client: LocalRunner;
  /** Stops both containers and removes this run's Docker data. */
  dispose(): void;
}

/** The run folders on the shared Docker data volume, as one run's dockerd sees its own. */
export function runFolders(): string[] {
  return onDataVolume(`ls -1 ${DOCKER_RUNS_DIR}`).split("\n").filter(Boolean).sort();
}

function onDataVolume(script: string): string {
  return docker(["run", "--rm", "-v", `${DATA_VOLUME}:${DOCKER_RUNS_DIR}`, "lab/debian:bookworm", "sh", "-c", script]);
}

/** Removes lab containers an earlier run left behind (one killed before it could dispose them). */
export function removeLeftovers(): void {
  const names = docker(["ps", "--all", "--filter", "name=lab-docker-", "--filter", "name=lab-client-", "--format", "{{.Names}}"]).split("\n").filter(Boolean);
  removeContainers(...names);
  if (names.length > 0) console.log(`lab: removed containers an earlier run left: ${names.join(", ")}`);
}

/** Starts the Docker service and the client for one run, on `network`. */
export function startEnvironment(network: string = NETWORK): LabEnvironment {
  const runId = randomUUID();
  const short = runId.slice(0, 8);
  const service = `lab-docker-${short}`;
  const clientName = `lab-client-${short}`;
  try {
    docker(["network", "inspect", network]);
  } catch {
    docker(["network", "create", network]);
  }
  // Two services on one network would both answer to the alias: refuse, rather than let the
  // client talk to either one at random.
  const other = docker(["ps", "--all", "--filter", `network=${network}`, "--filter", "name=lab-docker-", "--format", "{{.Names}}"]).trim();
  if (other) throw new Error(`the lab Docker service ${other.replace(/\n/g, ", ")} is still on ${network}, where both would answer to "${DOCKER_HOST_ALIAS}": dispose it first`);
  const pruned = onDataVolume(prepareRunDataScript(runId)).trim();
  if (pruned) console.log(pruned);
  const runtime = needsRuncLab() ? ["--runtime", "runc-lab", "-e", "LAB_RUNTIME=runc-lab"] : [];
  docker([
    "run", "-d", "--privileged", ...runtime, "--name", service, "--network", network, "--network-alias", DOCKER_HOST_ALIAS,
    "-v", `${DATA_VOLUME}:${DOCKER_RUNS_DIR}`, "-e", "DOCKER_TLS_CERTDIR=", "-e", `E2E_RUN_ID=${runId}`,
    "lab/docker-service", ...dockerdArgs(runId),
  ]);
  const env = Object.entries(clientEnvironment(runId)).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  // The lab's image archives, shared read-only instead of copied in (LocalRunner links them).
  const archives: SharedFolder = { host: join(process.env.LAB_CACHE!, "archives"), container: "/lab/archives" };
  mkdirSync(archives.host, { recursive: true });
  docker(["run", "-d", "--name", clientName, "--network", network, ...env, "-v", `${archives.host}:${archives.container}:ro`, "--entrypoint", "sleep", "lab/client", "infinity"]);
  // Dagger starts a service once its port answers; here the harness waits for dockerd itself.
  docker(["exec", clientName, "sh", "-c", "for i in $(seq 60); do docker info >/dev/null 2>&1 && exit 0; sleep 1; done; docker info"]);
  let disposed = false;
  return {
    runId,
    service,
    client: new LocalRunner(clientName, [], new Map(), [archives]),
    dispose() {
      if (disposed) return;
      disposed = true;
      removeContainers(clientName, service);
      onDataVolume(removeRunDataScript(runId));
    },
  };
}
