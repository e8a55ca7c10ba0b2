// Deploys the Training Operator from a source tree: the pinned upstream release by
// default, or a developer's checkout, optionally with an operator image built from it.
import { dag, ExistsType, type Container, type Directory, type File } from "@dagger.io/dagger";
import { ArgumentError } from "../catalog/errors.js";
import { parseTaggedReference } from "../catalog/reference.js";
import { DaggerRunner, type DaggerHandle } from "../cluster/exec.js";
import type { ImageArchive } from "../cluster/runner.js";
import { OPERATOR_REPOSITORY, OPERATOR_VERSION } from "../cluster/pins.js";
import { imageTarball, pulledImageArchive } from "../images.js";
import { planOperatorInstall, type OperatorInstall } from "./install.js";
import { LOCAL_OPERATOR_REPOSITORY, OPERATOR_DOCKERFILE, operatorImageTag, operatorSourceProblem, STANDALONE_OVERLAY } from "./plan.js";

export interface PreparedOperator {
  tree: Directory;
  /** Set when the tree came from --operator-source (errors then name that argument). */
  fromArgument: boolean;
  /** For the summary: where the manifests (and image) come from. */
  description: string;
  /** Set with --build-operator: the image built from the tree. */
  image?: ImageArchive<File> & { name: string; tag: string };
}


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

export interface DaggerOperatorInstall extends OperatorInstall<DaggerHandle> {
  /** The operator image to load into the cluster, so the node does not pull it (absent when the manifests pin it by digest). */
  image?: ImageArchive<File>;
}

/**
 * Plans the install in `tools` (no cluster needed); a tree from --operator-source whose
 * overlay does not render fails here, naming that argument.
 */
export async function planDaggerOperatorInstall(tools: Container, operator: PreparedOperator, flags: string[]): Promise<DaggerOperatorInstall> {
  let install: OperatorInstall<DaggerHandle>;
  try {
    install = await planOperatorInstall<DaggerHandle>(new DaggerRunner(tools), operator.tree, { image: operator.image, flags });
  } catch (error) {
    if (!operator.fromArgument) throw error;
    throw new ArgumentError("operator-source", `${STANDALONE_OVERLAY} does not give a usable operator Deployment: ${(error as Error).message}`);
  }
  return { ...install, image: operator.image ?? releasedImage(install.deployment.image) };
}

/** The image the manifests name by tag, pulled by the engine (and cached there) rather than by the node. */
function releasedImage(reference: string): ImageArchive<File> | undefined {
  const parsed = parseTaggedReference(reference);
  if (typeof parsed === "string") return undefined; // by digest (or untagged): left to the node
  return pulledImageArchive(reference, { reference: parsed.ref, tag: parsed.tag });
}
