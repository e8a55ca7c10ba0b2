// The commands that build and inspect the cluster, as argv lists with their time bounds.
// The e2e flow runs them one by one; `cluster` renders them into its terminal's setup.
import { DOCKER_HOST_ALIAS } from "./kindConfig.js";
import { ensureKindNetworkScript } from "./network.js";
import { loadNodeImageScript } from "./nodeImageLoad.js";

export const KIND_CONFIG_PATH = "/e2e/kind.yaml";

/** Seconds each command may take. */
export const TIMEOUTS = {
  dockerReady: 60,
  loadNodeImage: 600,
  deleteStale: 120,
  ensureNetwork: 60,
  createCluster: 600,
  getKubeconfig: 60,
  nodeReady: 180,
  loadImage: 600,
  inspect: 60,
  apply: 120,
  crdsEstablished: 120,
  operatorAvailable: 300,
  // Trainer v2's controller is Ready only once its certificate files are in the pod: kubelet
  // syncs the Secret it writes after about 90 s, and cert-controller looks again only on an
  // exponential backoff (1 s doubling, with jitter): up to 3.5 min measured in the lab.
  trainerAvailable: 600,
  operatorPodsReady: 300,
  runtimeCreated: 60,
} as const;

/**
 * Bound for an exec whose command carries its own --timeout: a little longer, so the
 * command's own message (which names what it waited for) is the one reported.
 */
export const outerLimit = (commandTimeoutSeconds: number) => commandTimeoutSeconds + 20;

export const nodeContainer = (clusterName: string) => `${clusterName}-control-plane`;

export function clusterCommands(name: string) {
  return {
    dockerReady: ["docker", "info", "--format", "{{.ServerVersion}}"],
    /** The engine-pulled node image into this run's dockerd, under the name the kind config uses. */
    loadNodeImage: (archive: string, reference: string) => ["sh", "-c", loadNodeImageScript(archive, reference)],
    deleteStale: ["kind", "delete", "cluster", "--name", name],
    ensureNetwork: ["sh", "-c", ensureKindNetworkScript()],
    // --retain keeps the node on failure so diagnostics can export its logs; readiness is
    // awaited by waitNodes, which fails on timeout (kind's own --wait only warns).
    create: ["kind", "create", "cluster", "--config", KIND_CONFIG_PATH, "--retain", "--wait", "0s"],
    getKubeconfig: ["kind", "get", "kubeconfig", "--name", name],
    waitNodes: ["kubectl", "wait", "--for=condition=Ready", "nodes", "--all", `--timeout=${TIMEOUTS.nodeReady}s`],
    /** The API server's own /version: what Kubernetes the cluster runs, whatever the node image's name says. */
    serverVersion: ["kubectl", "get", "--raw", "/version"],
    loadImage: (archive: string) => ["kind", "load", "image-archive", archive, "--name", name],
    /** Gives a loaded image a further name in the node's containerd (the namespace the kubelet uses). */
    tagImage: (reference: string, alias: string) => ["docker", "exec", nodeContainer(name), "ctr", "--namespace=k8s.io", "images", "tag", "--force", reference, alias],
    nodeImages: ["docker", "exec", nodeContainer(name), "crictl", "images", "-o", "json"],
    /** `<running> <started at>` of the node container. */
    nodeState: ["docker", "inspect", "--format", "{{.State.Running}} {{.State.StartedAt}}", nodeContainer(name)],
  };
}

/** The kubeconfig rewrite of rewriteKubeconfig, as kubectl commands (for the interactive shell). */
export function kubeconfigRewriteCommands(name: string, apiServerPort: number): string[][] {
  return [
    ["kind", "export", "kubeconfig", "--name", name],
    ["kubectl", "config", "set-cluster", `kind-${name}`, `--server=https://${DOCKER_HOST_ALIAS}:${apiServerPort}`, "--tls-server-name=localhost"],
  ];
}

/** What installing an operator applies and waits for (operator/install.ts). */
export interface OperatorInstallSteps {
  /** Applied in order: the operator first, then (Trainer v2) the runtimes. */
  kustomizations: string[];
  deployments: { namespace: string; name: string; selector: string }[];
  /** ClusterTrainingRuntimes that must exist once applied. */
  runtimes: string[];
  /** How long each Deployment may take to become Available. */
  availableSeconds: number;
}

export interface BoundedCommand {
  argv: string[];
  /** Bound for the exec: the command's own timeout plus a margin, so its own message wins. */
  timeoutSeconds: number;
}

/**
 * The install, command by command: apply the operator, wait for its CRDs, for each Deployment
 * to be Available and its pods Ready (webhooks come up with certificates the controllers make
 * themselves, and a pod is Ready only once they serve), then apply the rest and wait for the
 * runtimes. The e2e flow runs them one by one; `cluster` renders them into its setup script.
 */
export function operatorInstallCommands(install: OperatorInstallSteps): BoundedCommand[] {
  const [operator, ...rest] = install.kustomizations;
  const apply = (dir: string): BoundedCommand => ({ argv: ["kubectl", "apply", "--server-side", "-k", dir], timeoutSeconds: TIMEOUTS.apply });
  const wait = (seconds: number, ...args: string[]): BoundedCommand => ({ argv: ["kubectl", "wait", ...args, `--timeout=${seconds}s`], timeoutSeconds: outerLimit(seconds) });
  return [
    ...(operator ? [apply(operator)] : []),
    wait(TIMEOUTS.crdsEstablished, "--for=condition=Established", "crd", "--all"),
    ...install.deployments.flatMap((d) => [
      wait(install.availableSeconds, "--for=condition=Available", "-n", d.namespace, `deployment/${d.name}`),
      ...(d.selector ? [wait(TIMEOUTS.operatorPodsReady, "--for=condition=Ready", "pods", "-n", d.namespace, "-l", d.selector)] : []),
    ]),
    ...rest.map(apply),
    ...install.runtimes.map((name) => wait(TIMEOUTS.runtimeCreated, "--for=create", `clustertrainingruntime/${name}`)),
  ];
}
