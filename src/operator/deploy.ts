// Deploys the Training Operator from a source tree: the pinned upstream release by
// default, or a developer's checkout, optionally with an operator image built from it.
import { dag, ExistsType, type Container, type Directory } from "@dagger.io/dagger";
import { ArgumentError } from "../catalog/errors.js";
import { parseTaggedReference } from "../catalog/reference.js";
import { operatorCommands, outerLimit, TIMEOUTS } from "../cluster/commands.js";
import { mustExecute } from "../cluster/exec.js";
import type { ImageArchive, KindCluster } from "../cluster/kind.js";
import { OPERATOR_REPOSITORY, OPERATOR_VERSION } from "../cluster/pins.js";
import { imageTarball } from "../images.js";
import {
  findOperatorDeployment,
  LOCAL_OPERATOR_REPOSITORY,
  OPERATOR_DOCKERFILE,
  operatorImageTag,
  operatorKustomization,
  operatorSourceProblem,
  STANDALONE_OVERLAY,
  type OperatorDeployment,
} from "./plan.js";

export interface PreparedOperator {
  tree: Directory;
  /** Set when the tree came from --operator-source (errors then name that argument). */
  fromArgument: boolean;
  /** For the summary: where the manifests (and image) come from. */
  description: string;
  /** Set with --build-operator: the image built from the tree. */
  image?: ImageArchive & { name: string; tag: string };
}

const OPERATOR_MOUNT = "/operator";
const OVERRIDE_DIR = "/e2e/operator";

/** Checks the tree and, with `build`, wires the operator image build (lazily). */
export async function prepareOperator(source: Directory | undefined, build: boolean): Promise<PreparedOperator> {
  const tree = source ?? dag.git(OPERATOR_REPOSITORY).tag(OPERATOR_VERSION).tree();
  const [overlay, dockerfile] = await Promise.all([
    tree.exists(`${STANDALONE_OVERLAY}/kustomization.yaml`, { expectedType: ExistsType.RegularType }),
    tree.exists(OPERATOR_DOCKERFILE, { expectedType: ExistsType.RegularType }),
  ]);
  const problem = operatorSourceProblem({ overlay, dockerfile }, build);
  if (problem) {
    if (!source) throw new Error(`the pinned operator release ${OPERATOR_VERSION} lacks what is needed: ${problem.message}`);
    throw problem;
  }
  const origin = source ? "--operator-source" : `kubeflow/trainer ${OPERATOR_VERSION}`;
  if (!build) return { tree, fromArgument: !!source, description: `${origin} manifests, released operator image` };
  const tag = operatorImageTag(await tree.digest());
  const reference = `${LOCAL_OPERATOR_REPOSITORY}:${tag}`;
  const container = tree.dockerBuild({ dockerfile: OPERATOR_DOCKERFILE });
  return {
    tree,
    fromArgument: !!source,
    description: `${origin} manifests, operator image built from it (${reference})`,
    image: { reference, name: LOCAL_OPERATOR_REPOSITORY, tag, file: imageTarball(container, { reference, tag }) },
  };
}

export interface OperatorInstall {
  /** Folder to `kubectl apply -k`, inside a container that `mount` prepared. */
  kustomization: string;
  deployment: OperatorDeployment;
  /** Adds the operator tree (and any generated kustomization) to a container. */
  mount: (container: Container) => Container;
  /** The operator image to load into the cluster, so the node does not pull it (absent when the manifests pin it by digest). */
  image?: ImageArchive;
}

/**
 * Renders the overlay in `tools` (no cluster needed) to find the operator Deployment, and
 * layers a generated kustomization on it for a built image or the frameworks' operator
 * flags. Fails here, before any cluster, on a tree whose overlay does not render.
 */
export async function planOperatorInstall(tools: Container, operator: PreparedOperator, flags: string[]): Promise<OperatorInstall> {
  const overlay = `${OPERATOR_MOUNT}/${STANDALONE_OVERLAY}`;
  const withTree = (c: Container) => c.withMountedDirectory(OPERATOR_MOUNT, operator.tree);
  let deployment: OperatorDeployment;
  let generated: string | undefined;
  try {
    deployment = findOperatorDeployment(await mustExecute(withTree(tools), ["kubectl", "kustomize", overlay], TIMEOUTS.inspect));
    generated = operatorKustomization(`../..${overlay}`, deployment, { image: operator.image, flags });
  } catch (error) {
    if (!operator.fromArgument) throw error;
    throw new ArgumentError("operator-source", `${STANDALONE_OVERLAY} does not give a usable operator Deployment: ${(error as Error).message}`);
  }
  const image = operator.image ?? releasedImage(deployment.image);
  if (!generated) return { kustomization: overlay, deployment, mount: withTree, image };
  const text = generated;
  return { kustomization: OVERRIDE_DIR, deployment, mount: (c) => withTree(c).withNewFile(`${OVERRIDE_DIR}/kustomization.yaml`, text), image };
}

/** The image the manifests name by tag, pulled by the engine (and cached there) rather than by the node. */
function releasedImage(reference: string): ImageArchive | undefined {
  const parsed = parseTaggedReference(reference);
  if (typeof parsed === "string") return undefined; // by digest (or untagged): left to the node
  return { reference: parsed.ref, file: imageTarball(dag.container().from(reference), { reference: parsed.ref, tag: parsed.tag }) };
}

/** Server-side applies the operator and waits for its CRDs and Deployment; a timeout is a failure. */
export async function applyOperator(cluster: KindCluster, install: OperatorInstall): Promise<void> {
  const client = install.mount(cluster.client);
  const commands = operatorCommands(install.kustomization, install.deployment);
  await mustExecute(client, commands.apply, TIMEOUTS.apply);
  await mustExecute(client, commands.crdsEstablished, outerLimit(TIMEOUTS.crdsEstablished));
  await mustExecute(client, commands.available, outerLimit(TIMEOUTS.operatorAvailable));
}
