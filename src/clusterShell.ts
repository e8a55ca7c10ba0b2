// `cluster`: a client container whose terminal creates a Kind cluster with the operator
// and the framework images, then opens a shell with kubectl pointed at it. Leaving the
// shell deletes the cluster and prunes dockerd's images; the run's Docker data folder goes
// once dockerd has stopped (dockerData.ts).
import { randomUUID } from "node:crypto";
import type { Container, Directory } from "@dagger.io/dagger";
import { clientContainer, dockerService, prepareRunData } from "./cluster/docker.js";
import { interactiveSetupScript } from "./cluster/interactive.js";
import { DaggerRunner, type DaggerHandle } from "./cluster/daggerRunner.js";
import { KIND_CONFIG_PATH } from "./cluster/commands.js";
import type { Input } from "./exec/runner.js";
import { DEFAULT_API_SERVER_PORT, DEFAULT_CLUSTER_NAME, nodeImageMinor, renderKindConfig } from "./cluster/kindConfig.js";
import { localNodeImage } from "./cluster/nodeImageLoad.js";
import { pulledImageArchive } from "./images.js";
import { installSteps } from "./operator/install.js";
import { LINE_RELEASES } from "./versions/lines.js";
import { prepareRunInputs, type RunInputOptions } from "./runInputs.js";

export const JOBS_DIR = "/e2e/jobs";

export interface ClusterShellOptions extends Omit<RunInputOptions, "kubernetesMinor"> {
  /** The node image, resolved and pinned. */
  nodeImage: string;
}

export async function clusterShell(source: Directory, options: ClusterShellOptions): Promise<Container> {
  const runId = randomUUID();
  const { tools, images, install, jobs, archives, operator } = await prepareRunInputs(source, { ...options, kubernetesMinor: nodeImageMinor(options.nodeImage) });
  const node = localNodeImage(options.nodeImage);
  await prepareRunData(runId, options.mirrors);
  const service = dockerService(runId, DEFAULT_API_SERVER_PORT, options.mirrors);
  const clusterOptions = { name: DEFAULT_CLUSTER_NAME, nodeImage: node.reference, apiServerPort: DEFAULT_API_SERVER_PORT };
  const paths = archives.map((_, i) => `/images/${i}.tar`);
  const nodeArchive = "/images/node.tar";
  const inputs: Input<DaggerHandle>[] = [
    ...install.inputs,
    ...images.map((image, i) => ({ path: `${JOBS_DIR}/${image.entry.name}.yaml`, text: jobs[i]!.yaml })),
    ...archives.map((archive, i) => ({ path: paths[i]!, file: archive.file })),
    { path: nodeArchive, file: pulledImageArchive(node.pinned, node, options.mirrors).file },
  ];
  const client = new DaggerRunner(clientContainer(tools, service, runId)).with([{ path: KIND_CONFIG_PATH, text: renderKindConfig(clusterOptions) }, ...inputs]).container;
  const script = interactiveSetupScript({
    clusterName: DEFAULT_CLUSTER_NAME,
    apiServerPort: DEFAULT_API_SERVER_PORT,
    nodeImage: { archive: nodeArchive, reference: node.reference },
    archives: paths,
    operator: { ...installSteps(install), title: LINE_RELEASES[operator.line].title },
    jobsDir: JOBS_DIR,
  });
  return client.withDefaultTerminalCmd(["sh", "-c", script]);
}
