// Installing an operator into a cluster, through the command runner. Planning renders the
// tree's overlays (no cluster needed) to find the Deployments, layers generated kustomizations
// for a built image or the frameworks' flags, and (Trainer v2) points the tree's JobSet
// kustomization at JobSet's own tree; applying runs operatorInstallCommands.
import { operatorInstallCommands, TIMEOUTS, type OperatorInstallSteps } from "../cluster/commands.js";
import type { KindCluster } from "../cluster/kind.js";
import { mustRun, type CommandRunner, type Input } from "../exec/runner.js";
import type { OperatorLine } from "../versions/lines.js";
import { findOperatorDeployment, movingImageProblem, operatorKustomization, STANDALONE_OVERLAY, type ManifestDoc, type OperatorChanges, type OperatorDeployment } from "./plan.js";
import {
  findTrainerDeployments,
  JOBSET_KUSTOMIZATION,
  jobsetConfigFrom,
  localJobsetKustomization,
  MANAGER_OVERLAY,
  neededRuntimes,
  renderedRuntimes,
  runtimesDir,
  trainerKustomization,
  underTestRuntimesKustomization,
  type RuntimeNeed,
} from "./trainer.js";

const OPERATOR_MOUNT = "/operator";
const JOBSET_MOUNT = "/jobset";
const OVERRIDE_DIR = "/e2e/operator";
/** A tree under test's runtimes, their untagged images tagged (underTestRuntimesKustomization). */
const RUNTIMES_OVERRIDE_DIR = "/e2e/runtimes";

export interface OperatorInstall<H> {
  line: OperatorLine;
  /** Folders to `kubectl apply -k` in order once `inputs` are in place: the operator, then (v2) the runtimes. */
  kustomizations: string[];
  /** The Deployments to wait for and to keep logs of, the operator's own first (images as the manifests name them). */
  deployments: OperatorDeployment[];
  /** v2: the ClusterTrainingRuntimes the jobs run on, by name, as the tree deploys them. */
  runtimes: Record<string, ManifestDoc>;
  /** The source trees, and any generated kustomization. */
  inputs: Input<H>[];
}

/**
 * Training Operator v1: renders the tree's standalone overlay with `kubectl kustomize` to find
 * the operator Deployment, and layers a generated kustomization on it when `changes` ask for
 * anything. Throws when the overlay does not render or has no operator Deployment.
 */
export async function planOperatorInstall<H>(tools: CommandRunner<H>, tree: H, changes: OperatorChanges): Promise<OperatorInstall<H>> {
  const overlay = `${OPERATOR_MOUNT}/${STANDALONE_OVERLAY}`;
  const treeInput: Input<H> = { path: OPERATOR_MOUNT, directory: tree };
  const deployment = findOperatorDeployment(await mustRun(tools.with([treeInput]), ["kubectl", "kustomize", overlay], TIMEOUTS.inspect));
  refuseMovingImages([deployment], !!changes.image);
  const generated = operatorKustomization(`../..${overlay}`, deployment, changes);
  const base = { line: "v1" as const, deployments: [deployment], runtimes: {} };
  if (!generated) return { ...base, kustomizations: [overlay], inputs: [treeInput] };
  return { ...base, kustomizations: [OVERRIDE_DIR], inputs: [treeInput, { path: `${OVERRIDE_DIR}/kustomization.yaml`, text: generated }] };
}

export interface TrainerChanges {
  /** A locally built Trainer controller image to run instead of the manifests' one. */
  image?: { name: string; tag: string };
  /** The runtime each framework's TrainJob names. */
  runtimes: RuntimeNeed[];
  /** A tree under test (--operator-source): its runtimes come from runtimesDir(true). */
  underTest?: boolean;
  /** The controller's --feature-gates (parseFeatureGates). */
  featureGates?: string;
}

function refuseMovingImages(deployments: OperatorDeployment[], built: boolean): void {
  const problem = movingImageProblem(deployments, built);
  if (problem) throw new Error(problem);
}

/**
 * Kubeflow Trainer v2: the manager overlay with the tree's JobSet kustomization pointed at
 * `jobset` (JobSet's tree at the release that kustomization names), and the runtimes (see
 * TrainerChanges.underTest). Throws when an overlay does not render, lacks a controller, runs
 * a controller image that names no release, or lacks a runtime a job needs.
 */
export async function planTrainerInstall<H>(tools: CommandRunner<H>, trees: { trainer: H; jobset: H }, changes: TrainerChanges): Promise<OperatorInstall<H>> {
  const treeInputs: Input<H>[] = [
    { path: OPERATOR_MOUNT, directory: trees.trainer },
    { path: JOBSET_MOUNT, directory: trees.jobset },
  ];
  const jobsetFile = `${OPERATOR_MOUNT}/${JOBSET_KUSTOMIZATION}`;
  const original = await mustRun(tools.with(treeInputs), ["cat", jobsetFile], TIMEOUTS.inspect);
  const inputs: Input<H>[] = [...treeInputs, { path: jobsetFile, text: localJobsetKustomization(original, jobsetConfigFrom(OPERATOR_MOUNT, JOBSET_MOUNT)) }];
  const client = tools.with(inputs);
  const manager = `${OPERATOR_MOUNT}/${MANAGER_OVERLAY}`;
  const runtimesFrom = runtimesDir(!!changes.underTest);
  const runtimesOverlay = `${OPERATOR_MOUNT}/${runtimesFrom}`;
  const deployments = findTrainerDeployments(await mustRun(client, ["kubectl", "kustomize", manager], TIMEOUTS.inspect));
  refuseMovingImages(deployments, !!changes.image);
  const render = async (dir: string, runner: CommandRunner<H>) => renderedRuntimes(await mustRun(runner, ["kubectl", "kustomize", dir], TIMEOUTS.inspect));
  let rendered = await render(runtimesOverlay, client);
  let runtimesApplied = runtimesOverlay;
  const tagging = changes.underTest ? underTestRuntimesKustomization(`../..${runtimesOverlay}`, rendered) : undefined;
  if (tagging) {
    inputs.push({ path: `${RUNTIMES_OVERRIDE_DIR}/kustomization.yaml`, text: tagging });
    runtimesApplied = RUNTIMES_OVERRIDE_DIR;
    rendered = await render(RUNTIMES_OVERRIDE_DIR, tools.with(inputs));
  }
  const runtimes = neededRuntimes(rendered, changes.runtimes, runtimesFrom);
  if (!changes.image && !changes.featureGates) return { line: "v2", kustomizations: [manager, runtimesApplied], deployments, runtimes, inputs };
  const controller = trainerKustomization(`../..${manager}`, deployments[0]!, { image: changes.image, featureGates: changes.featureGates });
  return { line: "v2", kustomizations: [OVERRIDE_DIR, runtimesApplied], deployments, runtimes, inputs: [...inputs, { path: `${OVERRIDE_DIR}/kustomization.yaml`, text: controller }] };
}

/** The install's command steps, for operatorInstallCommands. */
export function installSteps(install: OperatorInstall<unknown>): OperatorInstallSteps {
  return {
    kustomizations: install.kustomizations,
    deployments: install.deployments,
    runtimes: Object.keys(install.runtimes),
    availableSeconds: install.line === "v1" ? TIMEOUTS.operatorAvailable : TIMEOUTS.trainerAvailable,
  };
}

/** Server-side applies the operator and waits for everything it needs to serve; a timeout is a failure. */
export async function applyOperator<H>(cluster: KindCluster<H>, install: OperatorInstall<H>): Promise<void> {
  const client = cluster.runner.with(install.inputs);
  for (const command of operatorInstallCommands(installSteps(install))) await mustRun(client, command.argv, command.timeoutSeconds);
}
