// Installing the Training Operator: which overlay, which Deployment to wait for, and the
// kustomization that swaps in a locally built operator image without touching the source.
import { parseAllDocuments, stringify } from "yaml";
import { ArgumentError } from "../catalog/errors.js";

export const STANDALONE_OVERLAY = "manifests/overlays/standalone";
export const OPERATOR_DOCKERFILE = "build/images/training-operator/Dockerfile";
/** Repository the locally built operator image is named under (never pushed). */
export const LOCAL_OPERATOR_REPOSITORY = "docker.io/kubeflow-ci/training-operator";

/** Checks an --operator-source tree for what the flow needs; returns the error to raise, if any. */
export function operatorSourceProblem(has: { overlay: boolean; dockerfile: boolean }, buildOperator: boolean): ArgumentError | undefined {
  if (!has.overlay) {
    return new ArgumentError(
      "operator-source",
      `${STANDALONE_OVERLAY}/kustomization.yaml not found: pass a Training Operator v1 checkout (kubeflow/trainer, release-1.9 line, which has JAXJob), e.g. --operator-source=.`,
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
}

type Doc = { kind?: string; metadata?: { name?: string; namespace?: string }; spec?: any };

/** Finds the operator Deployment in `kubectl kustomize <overlay>` output. */
export function findOperatorDeployment(rendered: string): OperatorDeployment {
  const docs = parseAllDocuments(rendered).map((d) => d.toJS() as Doc | null);
  const deployments = docs.filter((d): d is Doc => d?.kind === "Deployment");
  const operator = deployments.length === 1 ? deployments[0] : deployments.find((d) => /training-operator/.test(d.metadata?.name ?? ""));
  const container = operator?.spec?.template?.spec?.containers?.[0] as { image?: string; command?: string[] } | undefined;
  if (!operator?.metadata?.name || !container?.image) {
    throw new Error(
      `the rendered ${STANDALONE_OVERLAY} has no operator Deployment with an image (found ${deployments.length} Deployment(s): ${deployments.map((d) => d.metadata?.name).join(", ") || "none"})`,
    );
  }
  return { namespace: operator.metadata.namespace ?? "default", name: operator.metadata.name, image: container.image, command: container.command ?? [] };
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
  const flagPatch = changes.flags.map((flag) => ({ op: "add", path: "/spec/template/spec/containers/0/command/-", value: flag }));
  return stringify({
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: [overlayFromHere],
    ...(changes.image ? { images: [{ name: imageName(deployment.image), newName: changes.image.name, newTag: changes.image.tag }] } : {}),
    ...(flagPatch.length > 0
      ? { patches: [{ target: { kind: "Deployment", name: deployment.name }, patch: JSON.stringify(flagPatch) }] }
      : {}),
  });
}
