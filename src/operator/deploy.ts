// Deploys the operator from a source tree: the pinned upstream release of the chosen line by
// default, or a developer's checkout, optionally with the operator image built from it.
import { dag, ExistsType, type BuildArg, type Container, type Directory, type File } from "@dagger.io/dagger";
import { ArgumentError, CatalogError } from "../catalog/errors.js";
import { parseTaggedReference } from "../catalog/reference.js";
import { DaggerRunner, type DaggerHandle } from "../cluster/daggerRunner.js";
import type { ImageArchive } from "../exec/runner.js";
import { NO_MIRRORS, type Mirrors } from "../versions/mirrors.js";
import { JOBSET, type PinnedTree } from "../versions/pins.js";
import { imageTarball, pulledImageArchive } from "../images.js";
import { mirroredDockerfile } from "./dockerfile.js";
import { planOperatorInstall, planTrainerInstall, type OperatorInstall, type TrainerChanges } from "./install.js";
import { LINE_RELEASES, type OperatorLine } from "../versions/lines.js";
import { LOCAL_OPERATOR_REPOSITORY, OPERATOR_DOCKERFILE, operatorImageTag, operatorSourceProblem, STANDALONE_OVERLAY } from "./plan.js";
import {
  JOBSET_KUSTOMIZATION,
  jobsetRelease,
  LINE_OVERLAYS,
  LOCAL_TRAINER_REPOSITORY,
  MANAGER_OVERLAY,
  runtimesDir,
  TRAINER_DOCKERFILE,
  trainerSourceProblem,
  UNDER_TEST_IMAGE_TAG,
} from "./trainer.js";

export interface PreparedOperator {
  line: OperatorLine;
  tree: Directory;
  /** v2: JobSet's tree at the release the tree's manager overlay installs. */
  jobset?: Directory;
  /** Set when the tree came from --operator-source (errors then name that argument). */
  fromArgument: boolean;
  /** For the summary: where the manifests (and image) come from. */
  description: string;
  /** Set with --build-operator: the image built from the tree. */
  image?: ImageArchive<File> & { name: string; tag: string };
}

/**
 * A release tree at its pinned commit, from the repository or its mirror, refused if its tag
 * there no longer names that commit.
 */
async function pinnedTree(pin: PinnedTree, mirrors: Mirrors): Promise<Directory> {
  const url = mirrors.git(pin.repository);
  const repository = dag.git(url);
  const commit = await repository.tag(pin.tag).commit();
  if (commit !== pin.commit) throw new Error(`${url} tag ${pin.tag} is now commit ${commit}, not the pinned ${pin.commit}; refusing a moved tag`);
  return repository.commit(pin.commit).tree();
}

const isFile = (tree: Directory, path: string) => tree.exists(path, { expectedType: ExistsType.RegularType });

/** Which line's overlay a tree has, for chooseOperatorLine. */
export async function treeLines(tree: Directory): Promise<Record<OperatorLine, boolean>> {
  const [v1, v2] = await Promise.all([isFile(tree, LINE_OVERLAYS.v1), isFile(tree, LINE_OVERLAYS.v2)]);
  return { v1, v2 };
}

/** Checks the tree of the chosen line and, with `build`, wires the operator image build (lazily). */
export async function prepareOperator(line: OperatorLine, source: Directory | undefined, build: boolean, mirrors: Mirrors = NO_MIRRORS): Promise<PreparedOperator> {
  const { release } = LINE_RELEASES[line];
  const tree = source ?? (await pinnedTree(release, mirrors));
  const [v1Overlay, manager, runtimes, jobsetFile, v1Dockerfile, v2Dockerfile] = await Promise.all([
    isFile(tree, LINE_OVERLAYS.v1),
    isFile(tree, LINE_OVERLAYS.v2),
    isFile(tree, `${runtimesDir(!!source)}/kustomization.yaml`),
    isFile(tree, JOBSET_KUSTOMIZATION),
    isFile(tree, OPERATOR_DOCKERFILE),
    isFile(tree, TRAINER_DOCKERFILE),
  ]);
  const problem =
    line === "v1"
      ? operatorSourceProblem({ overlay: v1Overlay, dockerfile: v1Dockerfile, v2Overlay: manager }, build)
      : trainerSourceProblem({ manager, runtimes, jobset: jobsetFile, dockerfile: v2Dockerfile, v1Overlay }, build, runtimesDir(!!source));
  if (problem) {
    if (!source) throw new Error(`the pinned release ${release.tag} lacks what is needed: ${problem.message}`);
    throw problem;
  }
  const origin = source ? "--operator-source" : `kubeflow/trainer ${release.tag}`;
  let jobset: Directory | undefined;
  let jobsetNote = "";
  if (line === "v2") {
    let version: string;
    try {
      version = jobsetRelease(await tree.file(JOBSET_KUSTOMIZATION).contents());
    } catch (error) {
      if (!source) throw error;
      throw new ArgumentError("operator-source", (error as Error).message);
    }
    // Another release than the pinned one comes from a tree under test: taken by its tag.
    jobset = version === JOBSET.tag ? await pinnedTree(JOBSET, mirrors) : dag.git(mirrors.git(JOBSET.repository)).tag(version).tree();
    jobsetNote = `, JobSet ${version} manifests from its own tree${version === JOBSET.tag ? "" : " (tag from the tree, not pinned by commit)"}`;
    // The TrainJobs run on these ClusterTrainingRuntimes as applied: no derived runtime.
    jobsetNote += `, runtimes from ${runtimesDir(!!source)}${source ? ` (validated by the tree's webhook; untagged images tagged :${UNDER_TEST_IMAGE_TAG}, as upstream's e2e setup does)` : ""}`;
  }
  const common = { line, tree, jobset, fromArgument: !!source };
  if (!build) return { ...common, description: `${origin} manifests, released images${jobsetNote}` };
  const dockerfile = line === "v1" ? OPERATOR_DOCKERFILE : TRAINER_DOCKERFILE;
  const { context, buildArgs, note } = await buildContext(tree, dockerfile, mirrors);
  const tag = operatorImageTag(await context.digest());
  const name = line === "v1" ? LOCAL_OPERATOR_REPOSITORY : LOCAL_TRAINER_REPOSITORY;
  const reference = `${name}:${tag}`;
  const container = context.dockerBuild({ dockerfile, buildArgs });
  return {
    ...common,
    // Only the controller's image comes from the tree; every other image is the manifests' own.
    description: `${origin} manifests, controller image built from it (${reference}${note}), every other image as the manifests name it${jobsetNote}`,
    image: { reference, name, tag, file: imageTarball(container, { reference, tag }) },
  };
}

/**
 * What the operator image is built from: the tree as it is, or under --mirrors the tree with a
 * generated Dockerfile whose base images are the mirrors' and whose stages see the mirror
 * file's Go proxy (operator/dockerfile.ts). The image's tag then follows what is built.
 */
async function buildContext(tree: Directory, dockerfile: string, mirrors: Mirrors): Promise<{ context: Directory; buildArgs: BuildArg[]; note: string }> {
  if (!mirrors.used) return { context: tree, buildArgs: [], note: "" };
  const { text, replaced } = mirroredDockerfile(await tree.file(dockerfile).contents(), dockerfile, mirrors);
  const goProxy = mirrors.goProxy;
  return {
    context: tree.withNewFile(dockerfile, text),
    buildArgs: goProxy ? [{ name: "GOPROXY", value: goProxy }] : [],
    note: `; ${replaced.length} base image(s)${goProxy ? " and Go modules" : ""} from --mirrors`,
  };
}

export interface DaggerOperatorInstall extends OperatorInstall<DaggerHandle> {
  /** The images to load into the cluster, so the node pulls none (one named by digest is left to the node). */
  images: ImageArchive<File>[];
}

/**
 * Plans the install in `tools` (no cluster needed); a tree from --operator-source whose
 * overlays do not render fails here, naming that argument.
 */
export async function planDaggerOperatorInstall(
  tools: Container,
  operator: PreparedOperator,
  needs: { flags: string[]; runtimes: TrainerChanges["runtimes"]; featureGates?: string },
  mirrors: Mirrors = NO_MIRRORS,
): Promise<DaggerOperatorInstall> {
  const runner = new DaggerRunner(tools);
  let install: OperatorInstall<DaggerHandle>;
  try {
    install =
      operator.line === "v1"
        ? await planOperatorInstall<DaggerHandle>(runner, operator.tree, { image: operator.image, flags: needs.flags })
        : await planTrainerInstall<DaggerHandle>(runner, { trainer: operator.tree, jobset: operator.jobset! }, { image: operator.image, runtimes: needs.runtimes, underTest: operator.fromArgument, featureGates: needs.featureGates });
  } catch (error) {
    // A catalog error (a TrainJob naming a runtime the tree lacks) already names its file.
    if (!operator.fromArgument || error instanceof CatalogError) throw error;
    const overlays = operator.line === "v1" ? STANDALONE_OVERLAY : `${MANAGER_OVERLAY} and ${runtimesDir(true)}`;
    throw new ArgumentError("operator-source", `${overlays} do not give a usable install: ${(error as Error).message}`);
  }
  // The operator's own Deployment comes first: with --build-operator it runs the built image.
  const images = install.deployments.flatMap((d, i) => {
    const image = i === 0 && operator.image ? operator.image : releasedImage(d.image, mirrors);
    return image ? [image] : [];
  });
  return { ...install, images };
}

/** An image the manifests name by tag, pulled by the engine (and cached there) rather than by the node. */
function releasedImage(reference: string, mirrors: Mirrors): ImageArchive<File> | undefined {
  const parsed = parseTaggedReference(reference);
  if (typeof parsed === "string") return undefined; // by digest (or untagged): left to the node
  return pulledImageArchive(reference, { reference: parsed.ref, tag: parsed.tag }, mirrors);
}
