// Installing the operator into a cluster, through the command runner: render the overlay
// to find the Deployment, layer a generated kustomization for a built image or the
// frameworks' flags, server-side apply, and wait for CRDs and Deployment.
import { operatorCommands, outerLimit, TIMEOUTS } from "../cluster/commands.js";
import type { KindCluster } from "../cluster/kind.js";
import { mustRun, type CommandRunner, type Input } from "../cluster/runner.js";
import { findOperatorDeployment, operatorKustomization, STANDALONE_OVERLAY, type OperatorChanges, type OperatorDeployment } from "./plan.js";

const OPERATOR_MOUNT = "/operator";
const OVERRIDE_DIR = "/e2e/operator";

export interface OperatorInstall<H> {
  /** Folder to `kubectl apply -k` once `inputs` are in place. */
  kustomization: string;
  deployment: OperatorDeployment;
  /** The operator tree, and any generated kustomization. */
  inputs: Input<H>[];
}

/**
 * Renders the tree's standalone overlay with `kubectl kustomize` (no cluster needed) to find
 * the operator Deployment, and layers a generated kustomization on it when `changes` ask for
 * anything. Throws when the overlay does not render or has no operator Deployment.
 */
export async function planOperatorInstall<H>(tools: CommandRunner<H>, tree: H, changes: OperatorChanges): Promise<OperatorInstall<H>> {
  const overlay = `${OPERATOR_MOUNT}/${STANDALONE_OVERLAY}`;
  const treeInput: Input<H> = { path: OPERATOR_MOUNT, directory: tree };
  const deployment = findOperatorDeployment(await mustRun(tools.with([treeInput]), ["kubectl", "kustomize", overlay], TIMEOUTS.inspect));
  const generated = operatorKustomization(`../..${overlay}`, deployment, changes);
  if (!generated) return { kustomization: overlay, deployment, inputs: [treeInput] };
  return { kustomization: OVERRIDE_DIR, deployment, inputs: [treeInput, { path: `${OVERRIDE_DIR}/kustomization.yaml`, text: generated }] };
}

/** Server-side applies the operator and waits for its CRDs and Deployment; a timeout is a failure. */
export async function applyOperator<H>(cluster: KindCluster<H>, install: OperatorInstall<H>): Promise<void> {
  const client = cluster.runner.with(install.inputs);
  const commands = operatorCommands(install.kustomization, install.deployment);
  await mustRun(client, commands.apply, TIMEOUTS.apply);
  await mustRun(client, commands.crdsEstablished, outerLimit(TIMEOUTS.crdsEstablished));
  await mustRun(client, commands.available, outerLimit(TIMEOUTS.operatorAvailable));
}
