// Kind cluster configuration and the kubeconfig rewrite that lets containers bound to
// the Docker service reach the API server through the service's hostname.
import { parse, stringify } from "yaml";
import { ArgumentError } from "../catalog/errors.js";
import { parsePinnedImage } from "../catalog/reference.js";
import { LINE_RELEASES, type OperatorLine } from "../versions/lines.js";
import { DEFAULT_KUBERNETES_VERSION, KIND_NODE_IMAGE, KIND_NODE_IMAGES, kubectlMinorFor, SUPPORTED_KUBERNETES_VERSIONS } from "../versions/pins.js";

export interface ClusterOptions {
  name: string;
  nodeImage: string;
  /** API server port, published on the Docker service's address. */
  apiServerPort: number;
}

/** Hostname the client containers use for the Docker service (withServiceBinding alias). */
export const DOCKER_HOST_ALIAS = "docker";
export const DOCKER_PORT = 2375;
export const DEFAULT_API_SERVER_PORT = 6443;
export const DEFAULT_CLUSTER_NAME = "e2e";

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function renderKindConfig(options: ClusterOptions): string {
  if (!CLUSTER_NAME.test(options.name)) throw new Error(`cluster name "${options.name}" must be a lowercase RFC 1123 label`);
  if (!Number.isInteger(options.apiServerPort) || options.apiServerPort < 1024 || options.apiServerPort > 65535) {
    throw new Error(`API server port ${options.apiServerPort} must be between 1024 and 65535`);
  }
  return stringify({
    kind: "Cluster",
    apiVersion: "kind.x-k8s.io/v1alpha4",
    name: options.name,
    networking: {
      // Listen on every address of the Docker service, not only its loopback,
      // so the client container can reach it as docker:<port>.
      apiServerAddress: "0.0.0.0",
      apiServerPort: options.apiServerPort,
    },
    nodes: [{ role: "control-plane", image: options.nodeImage }],
  });
}

interface KubeconfigCluster {
  name: string;
  cluster: { server?: string; "tls-server-name"?: string; [key: string]: unknown };
}

/**
 * Points every cluster entry at https://<host>:<port>. The API server certificate names
 * localhost (and the node), not the service alias, so TLS verifies against localhost.
 */
export function rewriteKubeconfig(kubeconfig: string, host: string, port: number): string {
  const doc = parse(kubeconfig) as { clusters?: KubeconfigCluster[] } | null;
  if (!doc || !Array.isArray(doc.clusters) || doc.clusters.length === 0) {
    throw new Error("kubeconfig from kind has no clusters");
  }
  for (const entry of doc.clusters) {
    entry.cluster.server = `https://${host}:${port}`;
    entry.cluster["tls-server-name"] = "localhost";
  }
  return stringify(doc);
}

/** The Kubernetes minor a node image names, e.g. "1.35" for kindest/node:v1.35.5@sha256:…. */
export function nodeImageMinor(image: string): string | undefined {
  return /:v?(\d+\.\d+)\.\d+/.exec(image.split("@")[0]!)?.[1];
}

/**
 * The node image for --kubernetes-version and --node-image: a given image must be pinned by
 * digest (and name the minor asked for, if one was); otherwise the image the kind release
 * pinned for the minor (default: the newest the operator line is tested on).
 */
export function resolveNodeImage(nodeImage?: string | null, kubernetesVersion?: string | null, line: OperatorLine = "v1"): string {
  const asked = kubernetesVersion ? kubernetesVersion.replace(/^v/, "") : undefined;
  const supported: readonly string[] = SUPPORTED_KUBERNETES_VERSIONS[line];
  if (asked !== undefined && !supported.includes(asked)) {
    const choices = `${supported.slice(0, -1).join(", ")} or ${supported.at(-1)}`;
    throw new ArgumentError(
      "kubernetes-version",
      `"${kubernetesVersion}" is not supported with --operator ${line}: use ${choices} (the minors kubeflow/trainer ${LINE_RELEASES[line].release.tag} is tested on that kind v0.32.0 publishes an image for), or pass --node-image`,
    );
  }
  if (!nodeImage) return KIND_NODE_IMAGES[asked ?? DEFAULT_KUBERNETES_VERSION]!;
  const parsed = parsePinnedImage(nodeImage);
  if (typeof parsed === "string") throw new ArgumentError("node-image", `${parsed}, e.g. ${KIND_NODE_IMAGE}`);
  const minor = nodeImageMinor(nodeImage);
  if (asked !== undefined && minor !== asked) {
    throw new ArgumentError("node-image", `"${nodeImage}" is Kubernetes ${minor ?? "of an unknown version"}, but --kubernetes-version asks for ${asked}; pass one of them`);
  }
  try {
    kubectlMinorFor(minor);
  } catch (error) {
    throw new ArgumentError("node-image", `"${nodeImage}": ${(error as Error).message}`);
  }
  return nodeImage;
}
