// `cluster`: a client container whose terminal creates a Kind cluster with the operator
// and the framework images, then opens a shell with kubectl pointed at it.
import { randomUUID } from "node:crypto";
import type { Container, Directory } from "@dagger.io/dagger";
import { KIND_CONFIG_PATH } from "./cluster/commands.js";
import { clientContainer, dockerService, toolsContainer } from "./cluster/docker.js";
import { interactiveSetupScript } from "./cluster/interactive.js";
import { DEFAULT_API_SERVER_PORT, DEFAULT_CLUSTER_NAME, renderKindConfig } from "./cluster/kindConfig.js";
import { operatorNeeds } from "./catalog/operatorNeeds.js";
import { frameworkArchives, frameworkImage, operatorArchives } from "./images.js";
import { renderJob } from "./jobs/manifest.js";
import { planOperatorInstall, prepareOperator } from "./operator/deploy.js";

export const JOBS_DIR = "/e2e/jobs";

export interface ClusterShellOptions {
  frameworks: string[];
  operatorSource?: Directory;
  buildOperator: boolean;
  nodeImage: string;
}

export async function clusterShell(source: Directory, options: ClusterShellOptions): Promise<Container> {
  const runId = randomUUID();
  const images = await Promise.all(options.frameworks.map((name) => frameworkImage(source, name)));
  const needs = operatorNeeds(images.map((i) => i.entry));
  const operator = await prepareOperator(options.operatorSource, options.buildOperator);
  const tools = await toolsContainer();
  // Rendered without the service binding, so dockerd starts only for the terminal.
  const install = await planOperatorInstall(tools, operator, needs.flags);
  const service = dockerService(runId, DEFAULT_API_SERVER_PORT);

  let client = install.mount(clientContainer(tools, service, runId)).withNewFile(
    KIND_CONFIG_PATH,
    renderKindConfig({ name: DEFAULT_CLUSTER_NAME, nodeImage: options.nodeImage, apiServerPort: DEFAULT_API_SERVER_PORT }),
  );
  for (const image of images) {
    client = client.withNewFile(`${JOBS_DIR}/${image.entry.name}.yaml`, renderJob(image.entry, image.plan.reference).yaml);
  }
  const archives = [...frameworkArchives(images), ...operatorArchives(needs), ...(install.image ? [install.image] : [])].map((archive, i) => ({ ...archive, path: `/images/${i}.tar` }));
  client = archives.reduce((c, archive) => c.withMountedFile(archive.path, archive.file), client);
  const script = interactiveSetupScript({
    clusterName: DEFAULT_CLUSTER_NAME,
    apiServerPort: DEFAULT_API_SERVER_PORT,
    archives: archives.map((a) => a.path),
    operator: { kustomization: install.kustomization, deployment: install.deployment },
    jobsDir: JOBS_DIR,
  });
  return client.withDefaultTerminalCmd(["sh", "-c", script]);
}
