// What a run (the e2e test or the interactive cluster) works from: the frameworks' images,
// what they ask of the operator, the operator install, the rendered jobs, and every image to load.
import type { Container, Directory, File } from "@dagger.io/dagger";
import { ArgumentError } from "./catalog/errors.js";
import type { CatalogEntry } from "./catalog/loader.js";
import { operatorNeeds, type OperatorNeeds } from "./catalog/operatorNeeds.js";
import { TOOLS_KUBECTL, toolsContainer } from "./cluster/docker.js";
import type { ImageArchive } from "./exec/runner.js";
import { frameworkArchives, frameworkImage, operatorArchives, type FrameworkImage } from "./images.js";
import { renderJob, type RenderedJob } from "./jobs/manifest.js";
import { renderTrainJob } from "./jobs/trainJob.js";
import { planDaggerOperatorInstall, prepareOperator, type DaggerOperatorInstall, type PreparedOperator } from "./operator/deploy.js";
import type { OperatorInstall } from "./operator/install.js";
import type { OperatorLine } from "./versions/lines.js";
import { parseFeatureGates, runtimeContainerImages, type RuntimeNeed } from "./operator/trainer.js";
import type { Mirrors } from "./versions/mirrors.js";
import { publishedImages } from "./publish/pull.js";
import type { RegistryAuth } from "./publish/push.js";
import type { PublishedRecord } from "./publish/plan.js";

export interface RunInputOptions {
  frameworks: string[];
  tag?: string;
  revision?: string;
  /** Which operator line to deploy and run the jobs of. */
  operator: OperatorLine;
  operatorSource?: Directory;
  buildOperator: boolean;
  /** The Kind node's Kubernetes minor, e.g. "1.34": the tools get the kubectl of that minor. */
  kubernetesMinor: string | undefined;
  /** Where the run takes its images, binaries, git trees and packages (--mirrors). */
  mirrors: Mirrors;
  /** Test the images published there (publish --registry) instead of building them. */
  imagesFrom?: { registry: string; auth?: RegistryAuth; recorded?: PublishedRecord[] };
  /** --feature-gates for the Trainer controller (parseFeatureGates); empty: the manifests' own. */
  featureGates?: string;
}

export interface RunInputs {
  /** kind, kubectl and docker, without a cluster. */
  tools: Container;
  images: FrameworkImage[];
  needs: OperatorNeeds;
  operator: PreparedOperator;
  install: DaggerOperatorInstall;
  /** One per framework, in order: its v1 job or its TrainJob. */
  jobs: RenderedJob[];
  /** Every image the cluster must hold: the frameworks', the operator's and what the operator starts. */
  archives: ImageArchive<File>[];
}

/** The framework's job for the install's operator line. */
export function runJobFor(entry: CatalogEntry, image: string, install: Pick<OperatorInstall<unknown>, "line" | "runtimes">): RenderedJob {
  if (install.line === "v1") return renderJob(entry, image);
  return renderTrainJob(entry, image, install.runtimes[entry.trainJob!.runtime]!);
}

/** Refuses, naming them, frameworks without a v1 job (a Trainer v2 runtime only) on Training Operator v1. */
export function checkV1Jobs(entries: CatalogEntry[], argument = "framework"): void {
  const without = entries.filter((e) => !e.job);
  if (without.length > 0) {
    throw new ArgumentError(argument, `${without.map((e) => e.name).join(", ")} cannot run on --operator v1: ${without.map((e) => e.specFile).join(", ")} has no job`);
  }
}

/** The frameworks' runtimes under Trainer v2; a framework without a TrainJob is an error naming it. */
export function trainerRuntimes(entries: CatalogEntry[], argument = "framework"): RuntimeNeed[] {
  const without = entries.filter((e) => !e.trainJob);
  if (without.length > 0) {
    throw new ArgumentError(argument, `${without.map((e) => e.name).join(", ")} cannot run on --operator v2: ${without.map((e) => e.specFile).join(", ")} has no trainJob`);
  }
  return entries.map((e) => ({ framework: e.name, runtime: e.trainJob!.runtime, file: e.trainJob!.file }));
}

/**
 * The frameworks' archives, each named also as the images of the runtime it replaces
 * (trainJob.asRuntimeImage, Trainer v2 only). Two frameworks replacing one image is an error.
 */
export function withRuntimeImageNames<H>(archives: ImageArchive<H>[], entries: CatalogEntry[], install: Pick<OperatorInstall<unknown>, "line" | "runtimes">): ImageArchive<H>[] {
  if (install.line !== "v2") return archives;
  const claimed = new Map<string, string>();
  return archives.map((archive, i) => {
    const entry = entries[i]!;
    if (!entry.spec.trainJob?.asRuntimeImage) return archive;
    const aliases = runtimeContainerImages(install.runtimes[entry.trainJob!.runtime]!);
    for (const alias of aliases) {
      const other = claimed.get(alias);
      if (other) throw new ArgumentError("framework", `${other} and ${entry.name} both replace ${alias} (trainJob.asRuntimeImage); run them apart`);
      claimed.set(alias, entry.name);
    }
    return { ...archive, aliases };
  });
}

/** Loads and checks everything a run needs; bad input fails here, before anything is built. */
export async function prepareRunInputs(source: Directory, options: RunInputOptions): Promise<RunInputs> {
  const { mirrors } = options;
  const featureGates = parseFeatureGates(options.featureGates, options.operator);
  const planned = await Promise.all(options.frameworks.map((name) => frameworkImage(source, name, { tag: options.tag, revision: options.revision }, mirrors)));
  const images = options.imagesFrom ? await publishedImages(planned, options.imagesFrom.registry, options.imagesFrom.auth, options.imagesFrom.recorded) : planned;
  const entries = images.map((i) => i.entry);
  const v1 = options.operator === "v1";
  // The frameworks' operator needs (flags, init images) are the v1 operator's; Trainer v2 has none.
  if (v1) checkV1Jobs(entries);
  const needs = v1 ? operatorNeeds(entries) : { flags: [], images: [] };
  const runtimes = v1 ? [] : trainerRuntimes(entries);
  const operator = await prepareOperator(options.operator, options.operatorSource, options.buildOperator, mirrors);
  const tools = await toolsContainer(options.kubernetesMinor, mirrors);
  // Rendered in the tools container, without the Docker service, so dockerd starts only when a cluster is wanted.
  const install = await planDaggerOperatorInstall(tools, operator, { flags: needs.flags, runtimes, featureGates }, mirrors);
  if (featureGates) operator.description += `, controller run with --feature-gates=${featureGates}`;
  const jobs = images.map((image) => runJobFor(image.entry, image.plan.reference, install));
  const archives = [...withRuntimeImageNames(frameworkArchives(images), entries, install), ...operatorArchives(source, needs, tools.file(TOOLS_KUBECTL), mirrors), ...install.images];
  return { tools, images, needs, operator, install, jobs, archives };
}
