// Installing Kubeflow Trainer v2 from a source tree: the manager overlay (controller, CRDs,
// webhooks and JobSet) and the runtimes overlay. The manager overlay takes JobSet from a release
// file on GitHub; the module instead builds JobSet's manifests from JobSet's own tree at that
// release's tag, as JobSet's `make artifacts` does (kustomize build config/default), so the
// install downloads nothing unpinned and renders the same objects.
import { posix } from "node:path";
import { parse, stringify } from "yaml";
import { ArgumentError, CatalogError } from "../catalog/errors.js";
import { isUntagged, parseTaggedReference } from "../catalog/reference.js";
import type { OperatorLine } from "../versions/lines.js";
import { imageName, NEVER_PULL, renderedDeployments, renderedDocs, STANDALONE_OVERLAY, type ManifestDoc, type OperatorDeployment } from "./plan.js";

export const MANAGER_OVERLAY = "manifests/overlays/manager";
export const RUNTIMES_OVERLAY = "manifests/overlays/runtimes";
/** The kustomization that tells a tree's line (chooseOperatorLine): the Training Operator's standalone overlay, Trainer's manager overlay. */
export const LINE_OVERLAYS: Record<OperatorLine, string> = {
  v1: `${STANDALONE_OVERLAY}/kustomization.yaml`,
  v2: `${MANAGER_OVERLAY}/kustomization.yaml`,
};
/** The runtimes without the overlay's label that turns their validating webhook off. */
export const BASE_RUNTIMES = "manifests/base/runtimes";

/**
 * Where the runtimes come from: a tree under test (--operator-source) applies manifests/base/runtimes,
 * validated by its own webhook, as upstream's e2e setup (hack/e2e-setup-cluster.sh) applies them;
 * a release its runtimes overlay, as users install them.
 */
export const runtimesDir = (underTest: boolean) => (underTest ? BASE_RUNTIMES : RUNTIMES_OVERLAY);
/**
 * The tag a tree under test's runtimes give their untagged images (base/runtimes names
 * `ghcr.io/kubeflow/trainer/mlx-runtime` and others without one), as upstream's e2e setup tags
 * the images it builds from the tree (hack/e2e-setup-cluster.sh, CI_IMAGE_TAG). A framework
 * with asRuntimeImage has its test image loaded under that name; no other runtime is run.
 */
export const UNDER_TEST_IMAGE_TAG = "test";
export const JOBSET_KUSTOMIZATION = "manifests/third-party/jobset/kustomization.yaml";
export const TRAINER_DOCKERFILE = "cmd/trainer-controller-manager/Dockerfile";
/** JobSet's kustomization that its release renders into manifests.yaml. */
export const JOBSET_CONFIG = "config/default";
/** Repository the locally built Trainer controller image is named under (never pushed). */
export const LOCAL_TRAINER_REPOSITORY = "docker.io/kubeflow-ci/trainer-controller-manager";

const JOBSET_RELEASE_FILE = /^https:\/\/github\.com\/kubernetes-sigs\/jobset\/releases\/download\/(v[0-9][^/]*)\/manifests\.yaml$/;

/** Checks an --operator-source tree for what a v2 run needs; returns the error to raise, if any. */
export function trainerSourceProblem(
  has: { manager: boolean; runtimes: boolean; jobset: boolean; dockerfile: boolean; v1Overlay: boolean },
  buildOperator: boolean,
  runtimes: string = BASE_RUNTIMES,
): ArgumentError | undefined {
  const missing = [
    ...(has.manager ? [] : [`${MANAGER_OVERLAY}/kustomization.yaml`]),
    ...(has.runtimes ? [] : [`${runtimes}/kustomization.yaml`]),
    ...(has.jobset ? [] : [JOBSET_KUSTOMIZATION]),
  ];
  if (missing.length > 0) {
    const hint = has.v1Overlay ? "; this looks like a Training Operator v1 tree: use --operator v1" : "";
    return new ArgumentError(
      "operator-source",
      `${missing.join(", ")} not found: pass a Kubeflow Trainer v2 checkout (kubeflow/trainer, v2.x, e.g. --operator-source=.)${hint}`,
    );
  }
  if (buildOperator && !has.dockerfile) {
    return new ArgumentError("operator-source", `${TRAINER_DOCKERFILE} not found, so --build-operator cannot build the Trainer controller image from this tree`);
  }
  return undefined;
}

/** The JobSet release the tree's third-party kustomization installs, e.g. "v0.12.0". */
export function jobsetRelease(kustomizationText: string, file: string = JOBSET_KUSTOMIZATION): string {
  const resources = (parse(kustomizationText) as { resources?: unknown } | null)?.resources;
  const versions = (Array.isArray(resources) ? resources : []).flatMap((r) => {
    const match = typeof r === "string" ? JOBSET_RELEASE_FILE.exec(r) : null;
    return match ? [match[1]!] : [];
  });
  if (versions.length !== 1) {
    throw new Error(`${file} must list exactly one JobSet release file (https://github.com/kubernetes-sigs/jobset/releases/download/<version>/manifests.yaml) under resources; found ${versions.length}`);
  }
  return versions[0]!;
}

/**
 * The tree's third-party JobSet kustomization with its release file replaced by JobSet's own
 * kustomization at `jobsetConfigDir` (relative to the kustomization's folder); its images,
 * patches and everything else stay as the tree has them.
 */
export function localJobsetKustomization(kustomizationText: string, jobsetConfigDir: string): string {
  const doc = parse(kustomizationText) as { resources: unknown[] };
  doc.resources = doc.resources.map((r) => (typeof r === "string" && JOBSET_RELEASE_FILE.test(r) ? jobsetConfigDir : r));
  return stringify(doc);
}

/** Where the tree's JobSet kustomization finds JobSet's config, with the trees mounted at `trainerRoot` and `jobsetRoot`. */
export function jobsetConfigFrom(trainerRoot: string, jobsetRoot: string): string {
  return posix.relative(posix.join(trainerRoot, posix.dirname(JOBSET_KUSTOMIZATION)), posix.join(jobsetRoot, JOBSET_CONFIG));
}

/** The Trainer and JobSet controller Deployments in the rendered manager overlay, the Trainer's first. */
export function findTrainerDeployments(rendered: string): OperatorDeployment[] {
  const deployments = renderedDeployments(renderedDocs(rendered));
  const trainer = deployments.find((d) => /trainer/.test(d.name) && !/jobset/.test(d.name));
  const jobset = deployments.find((d) => /jobset/.test(d.name));
  if (!trainer || !jobset) {
    throw new Error(
      `the rendered ${MANAGER_OVERLAY} must hold the Trainer and the JobSet controller Deployments (found ${deployments.map((d) => d.name).join(", ") || "none"})`,
    );
  }
  return [trainer, jobset];
}

/** The ClusterTrainingRuntimes in the rendered runtimes overlay, by name. */
export function renderedRuntimes(rendered: string): Record<string, ManifestDoc> {
  const runtimes = renderedDocs(rendered).filter((d) => d.kind === "ClusterTrainingRuntime" && d.metadata?.name);
  return Object.fromEntries(runtimes.map((r) => [r.metadata!.name!, r]));
}

/** A framework's TrainJob and the runtime it names. */
export interface RuntimeNeed {
  framework: string;
  runtime: string;
  /** The TrainJob template naming it, for errors. */
  file: string;
}

/**
 * The runtimes `needed` from those rendered. A missing one is a catalog error naming the
 * template's spec.runtimeRef.name and what the tree's runtimes overlay has.
 */
export function neededRuntimes(available: Record<string, ManifestDoc>, needed: RuntimeNeed[], dir: string = RUNTIMES_OVERLAY): Record<string, ManifestDoc> {
  const missing = needed.find((n) => !available[n.runtime]);
  if (missing) {
    throw new CatalogError(
      missing.file,
      "spec.runtimeRef.name",
      `${missing.runtime} is not a ClusterTrainingRuntime of the operator's ${dir}; it has ${Object.keys(available).join(", ") || "none"}`,
    );
  }
  return Object.fromEntries(needed.map((n) => [n.runtime, available[n.runtime]!]));
}

/**
 * A kustomization layered on the manager overlay that changes the Trainer controller: runs a
 * locally built image (never pulled), and/or appends `--feature-gates=` to its args, as
 * upstream's e2e setup does (hack/e2e-setup-cluster.sh).
 */
export function trainerKustomization(overlayFromHere: string, trainer: OperatorDeployment, changes: { image?: { name: string; tag: string }; featureGates?: string }): string {
  const ops = [
    ...(changes.image ? [NEVER_PULL] : []),
    ...(changes.featureGates ? [{ op: "add", path: "/spec/template/spec/containers/0/args/-", value: `--feature-gates=${changes.featureGates}` }] : []),
  ];
  return stringify({
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: [overlayFromHere],
    ...(changes.image ? { images: [{ name: imageName(trainer.image), newName: changes.image.name, newTag: changes.image.tag }] } : {}),
    patches: [{ target: { kind: "Deployment", name: trainer.name }, patch: JSON.stringify(ops) }],
  });
}

const FEATURE_GATES = /^[A-Za-z][A-Za-z0-9]*=(true|false)(,[A-Za-z][A-Za-z0-9]*=(true|false))*$/;

/**
 * The --feature-gates argument: Kubeflow Trainer's controller flag, e.g. "TrainJobStatus=true"
 * (what upstream's e2e turns on); undefined when empty. The Training Operator v1.9.4 controller
 * has no such flag.
 */
export function parseFeatureGates(value: string | undefined, line: "v1" | "v2"): string | undefined {
  const gates = (value ?? "").trim();
  if (gates === "") return undefined;
  if (line === "v1") throw new ArgumentError("feature-gates", "only Kubeflow Trainer v2's controller takes --feature-gates (the Training Operator v1 controller has no such flag): use it with --operator v2");
  if (!FEATURE_GATES.test(gates)) throw new ArgumentError("feature-gates", `"${value}" is not a list of gates: use Name=true or Name=false, comma-separated, e.g. TrainJobStatus=true`);
  return gates;
}

/** The containers (init containers first) of the runtime's replicated Jobs' pods, as written. */
function runtimeContainers(runtime: ManifestDoc): { job: string; name: string; image: string; imagePullPolicy?: string }[] {
  const replicated: any[] = runtime.spec?.template?.spec?.replicatedJobs ?? [];
  return replicated.flatMap((job) => {
    const pod = job?.template?.spec?.template?.spec ?? {};
    return [...(pod.initContainers ?? []), ...(pod.containers ?? [])].map((c: any) => ({
      job: String(job?.name),
      name: String(c?.name),
      image: String(c?.image ?? ""),
      imagePullPolicy: c?.imagePullPolicy,
    }));
  });
}

/**
 * A kustomization layered on a tree under test's runtimes (`runtimesFromHere`, rendered as
 * `runtimes`) that gives every untagged container image UNDER_TEST_IMAGE_TAG, as upstream's e2e
 * applies them; undefined when every image names a tag or digest.
 */
export function underTestRuntimesKustomization(runtimesFromHere: string, runtimes: Record<string, ManifestDoc>): string | undefined {
  const untagged = [...new Set(Object.values(runtimes).flatMap((r) => runtimeContainers(r).map((c) => c.image)))].filter(isUntagged).sort();
  if (untagged.length === 0) return undefined;
  return stringify({
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: [runtimesFromHere],
    images: untagged.map((name) => ({ name, newTag: UNDER_TEST_IMAGE_TAG })),
  });
}

/**
 * Every image the runtime's containers name, for asRuntimeImage. Each must name a release by
 * tag, which the kubelet then takes from the node (pull policy IfNotPresent): a digest cannot
 * be given to another image, and an untagged or :latest one would be pulled instead.
 */
export function runtimeContainerImages(runtime: ManifestDoc): string[] {
  const name = runtime.metadata?.name ?? "runtime";
  const images = new Set<string>();
  for (const container of runtimeContainers(runtime)) {
    const { image } = container;
    const tagged = /:latest$/.test(image) ? "the kubelet always pulls :latest" : parseTaggedReference(image);
    if (typeof tagged === "string") throw new Error(`ClusterTrainingRuntime ${name}, replicated Job ${container.job}, container ${container.name}: image "${image}" cannot be replaced by the test image (${tagged})`);
    if (container.imagePullPolicy === "Always") throw new Error(`ClusterTrainingRuntime ${name}, container ${container.name}: imagePullPolicy Always would pull ${image} instead of the test image`);
    images.add(tagged.ref);
  }
  if (images.size === 0) throw new Error(`ClusterTrainingRuntime ${name} names no container images to replace`);
  return [...images].sort();
}
