// `cluster`: a client container whose terminal creates a Kind cluster with the operator
// and the framework images, then opens a shell with kubectl pointed at it. Leaving the
// shell deletes the cluster and empties the run's Docker data.
import { randomUUID } from "node:crypto";
import type { Container, Directory } from "@dagger.io/dagger";
import { dag } from "@dagger.io/dagger";
import { clientContainer, dockerService, prepareRunData } from "./cluster/docker.js";
import { interactiveSetupScript } from "./cluster/interactive.js";
import { KindCluster } from "./cluster/kind.js";
import { DEFAULT_API_SERVER_PORT, DEFAULT_CLUSTER_NAME } from "./cluster/kindConfig.js";
import { localNodeImage } from "./cluster/nodeImageLoad.js";
import { imageTarball } from "./images.js";
import { renderJob } from "./jobs/manifest.js";
import { prepareRunInputs, type RunInputOptions } from "./runInputs.js";

export const JOBS_DIR = "/e2e/jobs";

export interface ClusterShellOptions extends RunInputOptions {
  nodeImage: string;
}

export async function clusterShell(source: Directory, options: ClusterShellOptions): Promise<Container> {
  const runId = randomUUID();
  const { tools, images, install, archives } = await prepareRunInputs(source, options);
  const node = localNodeImage(options.nodeImage);
  await prepareRunData(runId);
  const service = dockerService(runId, DEFAULT_API_SERVER_PORT);
  const clusterOptions = { name: DEFAULT_CLUSTER_NAME, nodeImage: node.reference, apiServerPort: DEFAULT_API_SERVER_PORT };
  let client = KindCluster.attach(install.mount(clientContainer(tools, service, runId)), clusterOptions).client;
  for (const image of images) {
    client = client.withNewFile(`${JOBS_DIR}/${image.entry.name}.yaml`, renderJob(image.entry, image.plan.reference).yaml);
  }
  const paths = archives.map((_, i) => `/images/${i}.tar`);
  client = archives.reduce((c, archive, i) => c.withMountedFile(paths[i]!, archive.file), client);
  const nodeArchive = "/images/node.tar";
  client = client.withMountedFile(nodeArchive, imageTarball(dag.container().from(node.pinned), node));
  const script = interactiveSetupScript({
    clusterName: DEFAULT_CLUSTER_NAME,
    apiServerPort: DEFAULT_API_SERVER_PORT,
    nodeImage: { archive: nodeArchive, reference: node.reference },
    archives: paths,
    operator: { kustomization: install.kustomization, deployment: install.deployment },
    jobsDir: JOBS_DIR,
  });
  return client.withDefaultTerminalCmd(["sh", "-c", script]);
}
