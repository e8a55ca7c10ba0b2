// Installing the Training Operator v1: which overlay, which Deployment to wait for, and the
// kustomization that swaps in a locally built operator image without touching the source.
// (Trainer v2: trainer.ts.)
import { parseAllDocuments, stringify } from "yaml";
import { ArgumentError } from "../catalog/errors.js";
import { cpuMillis } from "../cluster/preflight.js";

export const STANDALONE_OVERLAY = "manifests/overlays/standalone";
export const OPERATOR_DOCKERFILE = "build/images/training-operator/Dockerfile";
/** Repository the locally built operator image is named under (never pushed). */
export const LOCAL_OPERATOR_REPOSITORY = "docker.io/kubeflow-ci/training-operator";

/** Checks an --operator-source tree for what the flow needs; returns the error to raise, if any. */
export function operatorSourceProblem(has: { overlay: boolean; dockerfile: boolean; v2Overlay?: boolean }, buildOperator: boolean): ArgumentError | undefined {
  if (!has.overlay) {
    const hint = has.v2Overlay ? "; this looks like a Kubeflow Trainer v2 tree: add --operator v2" : "";
    return new ArgumentError(
      "operator-source",
      `${STANDALONE_OVERLAY}/kustomization.yaml not found: pass a Training Operator v1 checkout (kubeflow/trainer, release-1.9 line, which has JAXJob), e.g. --operator-source=.${hint}`,
    );
  }
  if (buildOperator && !has.dockerfile) {
    return new ArgumentError("operator-source", `${OPERATOR_DOCKERFILE} not found, so --build-operator cannot build the operator image from this tree`);
  }
  return undefined;
}

export interface OperatorDeployment {
  namespace: string;
  name: string;
  /** Image as the manifests reference it, e.g. ghcr.io/kubeflow/training-v1/training-operator:v1-93c5489. */
  image: string;
  /** The operator container's command, where extra flags are appended. */
  command: string[];
  /** Label selector of its pods (spec.selector.matchLabels), e.g. for waiting until they are Ready. */
  selector: string;
  /** CPU its pods request, in millicores (it counts against the cluster's room for jobs). */
  cpuMillis: number;
}

export type ManifestDoc = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> }; spec?: any };

/** The documents of a `kubectl kustomize` output, parsed. */
export function renderedDocs(rendered: string): ManifestDoc[] {
  return parseAllDocuments(rendered)
    .map((d) => d.toJS() as ManifestDoc | null)
    .filter((d): d is ManifestDoc => d !== null && typeof d === "object");
}

/**
 * An operator Deployment whose image names no release (no tag, or `latest`) would run whatever
 * the registry holds today while the summary says "released images". `built`: the first
 * Deployment (the operator's own) runs the image --build-operator builds instead. Returns the
 * problem, naming the Deployment and what to do, or undefined.
 */
export function movingImageProblem(deployments: OperatorDeployment[], built: boolean): string | undefined {
  for (const [index, d] of deployments.entries()) {
    if ((index === 0 && built) || d.image.includes("@")) continue;
    const name = imageName(d.image);
    const tag = d.image.length > name.length ? d.image.slice(name.length + 1) : "";
    if (tag !== "" && tag !== "latest") continue;
    const fix = index === 0 ? "add --build-operator to build and run this tree's own controller, or give the image a released tag in the overlay" : "give it a released tag in the overlay";
    return `Deployment ${d.namespace}/${d.name} runs ${d.image}, ${tag ? `the moving tag "${tag}"` : "no tag"}, which names no release: ${fix}`;
  }
  return undefined;
}

/** Every Deployment in rendered manifests that has a container with an image, in order. */
export function renderedDeployments(docs: ManifestDoc[]): OperatorDeployment[] {
  return docs.flatMap((doc) => {
    const containers = doc.kind === "Deployment" ? (doc.spec?.template?.spec?.containers as any[] | undefined) : undefined;
    const container = containers?.[0] as { image?: string; command?: string[] } | undefined;
    if (!doc.metadata?.name || !container?.image) return [];
    const matchLabels = (doc.spec?.selector?.matchLabels ?? {}) as Record<string, string>;
    return [
      {
        namespace: doc.metadata.namespace ?? "default",
        name: doc.metadata.name,
        image: container.image,
        command: container.command ?? [],
        selector: Object.entries(matchLabels).map(([k, v]) => `${k}=${v}`).join(","),
        cpuMillis: (containers ?? []).reduce((sum, c) => sum + (c?.resources?.requests?.cpu === undefined ? 0 : cpuMillis(String(c.resources.requests.cpu))), 0),
      },
    ];
  });
}

/** Finds the operator Deployment in `kubectl kustomize <overlay>` output. */
export function findOperatorDeployment(rendered: string): OperatorDeployment {
  const deployments = renderedDeployments(renderedDocs(rendered));
  const operator = deployments.length === 1 ? deployments[0] : deployments.find((d) => /training-operator/.test(d.name));
  if (!operator) {
    throw new Error(
      `the rendered ${STANDALONE_OVERLAY} has no operator Deployment with an image (found ${deployments.length} Deployment(s): ${deployments.map((d) => d.name).join(", ") || "none"})`,
    );
  }
  return operator;
}

/** An image reference without its tag or digest: what kustomize's `images` matches on. */
export function imageName(image: string): string {
  const withoutDigest = image.split("@")[0]!;
  const lastSlash = withoutDigest.lastIndexOf("/");
  const lastColon = withoutDigest.lastIndexOf(":");
  return lastColon > lastSlash ? withoutDigest.slice(0, lastColon) : withoutDigest;
}

/** Tag for an operator image built from a source tree, from the tree's digest. */
export function operatorImageTag(sourceDigest: string): string {
  const hex = sourceDigest.replace(/^sha256:/, "");
  if (!/^[a-f0-9]{12,}$/.test(hex)) throw new Error(`"${sourceDigest}" is not a sha256 digest`);
  return `src-${hex.slice(0, 16)}`;
}

export interface OperatorChanges {
  /** A locally built operator image to run instead of the manifests' one. */
  image?: { name: string; tag: string };
  /** Flags appended to the operator's command (from the frameworks' `operator.flags`). */
  flags: string[];
}

/**
 * A kustomization layered on the standalone overlay that applies `changes` to the
 * operator Deployment, or undefined when there is nothing to change. `overlayFromHere`
 * is the overlay's path relative to this file's folder; the source tree is never edited.
 */
export function operatorKustomization(overlayFromHere: string, deployment: OperatorDeployment, changes: OperatorChanges): string | undefined {
  if (!changes.image && changes.flags.length === 0) return undefined;
  if (changes.flags.length > 0 && deployment.command.length === 0) {
    throw new Error(`cannot add operator flags (${changes.flags.join(" ")}): the Deployment ${deployment.namespace}/${deployment.name} has no command to append them to`);
  }
  const ops = [
    ...changes.flags.map((flag) => ({ op: "add", path: "/spec/template/spec/containers/0/command/-", value: flag })),
    ...(changes.image ? [NEVER_PULL] : []),
  ];
  return stringify({
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: [overlayFromHere],
    ...(changes.image ? { images: [{ name: imageName(deployment.image), newName: changes.image.name, newTag: changes.image.tag }] } : {}),
    ...(ops.length > 0 ? { patches: [{ target: { kind: "Deployment", name: deployment.name }, patch: JSON.stringify(ops) }] } : {}),
  });
}

/**
 * For a Deployment that runs a built image (containers[0], as renderedDeployments reads it):
 * the run loads that image into the nodes, and a registry never has it, so the kubelet must
 * never pull it; missing, the pod says ErrImageNeverPull instead of asking Docker Hub for it.
 * (JSON patch `add` replaces a policy the manifests set.)
 */
export const NEVER_PULL = { op: "add", path: "/spec/template/spec/containers/0/imagePullPolicy", value: "Never" } as const;
