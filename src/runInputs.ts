// What a run (the e2e test or the interactive cluster) works from: the frameworks' images,
// what they ask of the operator, the operator install, and every image to load.
import type { Container, Directory, File } from "@dagger.io/dagger";
import { operatorNeeds, type OperatorNeeds } from "./catalog/operatorNeeds.js";
import { toolsContainer } from "./cluster/docker.js";
import type { ImageArchive } from "./cluster/runner.js";
import { frameworkArchives, frameworkImage, operatorArchives, type FrameworkImage } from "./images.js";
import { planDaggerOperatorInstall, prepareOperator, type DaggerOperatorInstall, type PreparedOperator } from "./operator/deploy.js";

export interface RunInputOptions {
  frameworks: string[];
  tag?: string;
  revision?: string;
  operatorSource?: Directory;
  buildOperator: boolean;
}

export interface RunInputs {
  /** kind, kubectl and docker, without a cluster. */
  tools: Container;
  images: FrameworkImage[];
  needs: OperatorNeeds;
  operator: PreparedOperator;
  install: DaggerOperatorInstall;
  /** Every image the cluster must hold: the frameworks', the operator's and what the operator starts. */
  archives: ImageArchive<File>[];
}

/** Loads and checks everything a run needs; bad input fails here, before anything is built. */
export async function prepareRunInputs(source: Directory, options: RunInputOptions): Promise<RunInputs> {
  const images = await Promise.all(options.frameworks.map((name) => frameworkImage(source, name, { tag: options.tag, revision: options.revision })));
  const needs = operatorNeeds(images.map((i) => i.entry));
  const operator = await prepareOperator(options.operatorSource, options.buildOperator);
  const tools = await toolsContainer();
  // Rendered in the tools container, without the Docker service, so dockerd starts only when a cluster is wanted.
  const install = await planDaggerOperatorInstall(tools, operator, needs.flags);
  const archives = [...frameworkArchives(images), ...operatorArchives(source, needs), ...(install.image ? [install.image] : [])];
  return { tools, images, needs, operator, install, archives };
}
