// Deploys the Training Operator from a source tree: the pinned upstream release by
// default, or a developer's checkout, optionally with an operator image built from it.
import { dag, ExistsType, type Container, type Directory } from "@dagger.io/dagger";
import { operatorCommands, TIMEOUTS } from "../cluster/commands.js";
import { mustExecute } from "../cluster/exec.js";
import type { ImageArchive, KindCluster } from "../cluster/kind.js";
import { OPERATOR_REPOSITORY, OPERATOR_VERSION } from "../cluster/pins.js";
import { imageTarball } from "../images.js";
import {
  findOperatorDeployment,
  imageOverrideKustomization,
  LOCAL_OPERATOR_REPOSITORY,
  OPERATOR_DOCKERFILE,
  operatorImageTag,
  operatorSourceProblem,
  STANDALONE_OVERLAY,
  type OperatorDeployment,
} from "./plan.js";

export interface PreparedOperator {
  tree: Directory;
  /** For the summary: where the manifests (and image) come from. */
  description: string;
  /** Set with --build-operator: the image built from the tree. */
  image?: ImageArchive & { name: string; tag: string };
}

const OPERATOR_MOUNT = "/operator";
const OVERRIDE_DIR = "/e2e/operator-image";

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
  if (!build) return { tree, description: `${origin} manifests, released operator image` };
  const tag = operatorImageTag(await tree.digest());
  const reference = `${LOCAL_OPERATOR_REPOSITORY}:${tag}`;
  const container = tree.dockerBuild({ dockerfile: OPERATOR_DOCKERFILE });
  return {
    tree,
    description: `${origin} manifests, operator image built from it (${reference})`,
    image: { reference, name: LOCAL_OPERATOR_REPOSITORY, tag, file: imageTarball(container, { reference, tag }) },
  };
}

export interface OperatorInstall {
  /** Folder to `kubectl apply -k`, inside a container that `mount` prepared. */
  kustomization: string;
  deployment: OperatorDeployment;
  /** Adds the operator tree (and any image override) to a container. */
  mount: (container: Container) => Container;
}

/**
 * Renders the overlay in `tools` (no cluster needed) to find the operator Deployment and,
 * for a built image, prepares the override layered on the overlay. Fails early on a tree
 * whose overlay does not render.
 */
export async function planOperatorInstall(tools: Container, operator: PreparedOperator): Promise<OperatorInstall> {
  const overlay = `${OPERATOR_MOUNT}/${STANDALONE_OVERLAY}`;
  const withTree = (c: Container) => c.withMountedDirectory(OPERATOR_MOUNT, operator.tree);
  const deployment = findOperatorDeployment(await mustExecute(withTree(tools), ["kubectl", "kustomize", overlay], TIMEOUTS.inspect));
  const image = operator.image;
  if (!image) return { kustomization: overlay, deployment, mount: withTree };
  const override = imageOverrideKustomization(`../..${overlay}`, deployment, { name: image.name, tag: image.tag });
  return { kustomization: OVERRIDE_DIR, deployment, mount: (c) => withTree(c).withNewFile(`${OVERRIDE_DIR}/kustomization.yaml`, override) };
}

/** Server-side applies the operator and waits for its CRDs and Deployment; a timeout is a failure. */
export async function applyOperator(cluster: KindCluster, install: OperatorInstall): Promise<void> {
  const client = install.mount(cluster.client);
  const commands = operatorCommands(install.kustomization, install.deployment);
  await mustExecute(client, commands.apply, TIMEOUTS.apply);
  await mustExecute(client, commands.crdsEstablished, TIMEOUTS.crdsEstablished + 20);
  await mustExecute(client, commands.available, TIMEOUTS.operatorAvailable + 20);
}
