// What the Docker service runs and what its clients see, shared by the Dagger service
// (docker.ts) and the lab, so both run dockerd with the same options at the same address.
import { runDataRoot } from "./dockerData.js";
import { KUBECONFIG_PATH } from "./kind.js";
import { DOCKER_HOST_ALIAS, DOCKER_PORT } from "./kindConfig.js";

/** dockerd: TLS off on DOCKER_PORT, its data in this run's own folder. */
export function dockerdArgs(runId: string): string[] {
  return ["dockerd", "--host=unix:///var/run/docker.sock", `--host=tcp://0.0.0.0:${DOCKER_PORT}`, "--tls=false", `--data-root=${runDataRoot(runId)}`];
}

/** The environment of a client bound to the service as DOCKER_HOST_ALIAS. */
export function clientEnvironment(runId: string): Record<string, string> {
  return { DOCKER_HOST: `tcp://${DOCKER_HOST_ALIAS}:${DOCKER_PORT}`, KUBECONFIG: KUBECONFIG_PATH, E2E_RUN_ID: runId };
}
