// Checks a framework's TrainJob template (Kubeflow Trainer v2): a TrainJob on one of the
// built-in ClusterTrainingRuntimes with its node count. The module fills in image, command,
// resources and the deadline (and a name if the template has none) when rendering, and runs it
// on that runtime as the operator installs it.
import { CatalogError } from "./errors.js";

export const TRAINER_API_VERSION = "trainer.kubeflow.org/v1alpha1";
/**
 * JobSet refuses a JobSet whose pod names `<name>-node-0-<index>-<5 chars>` would exceed 63
 * characters (jobset v0.12.0 pkg/webhooks/jobset_webhook.go); with up to 10 nodes that leaves 48.
 */
export const TRAINJOB_NAME_LIMIT = 48;
export const MAX_TRAINJOB_NODES = 10;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** Variables the v2.3.0 runtime plugins set (pkg/runtime/framework/plugins/{torch,xgboost,jax}). */
const RUNTIME_ENV = /^(PET_|DMLC_)|^JAX_(COORDINATOR_ADDRESS|NUM_PROCESSES|PROCESS_ID)$/;

export interface TrainJobTemplate {
  /** The template's path in the module source, e.g. frameworks/jax/trainjob.yaml. */
  file: string;
  /** The parsed manifest, as written. */
  manifest: Record<string, unknown>;
  /** The ClusterTrainingRuntime it names (spec.runtimeRef.name), e.g. torch-distributed. */
  runtime: string;
  /** spec.trainer.numNodes: one pod per node. */
  numNodes: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A TrainJob name the API and JobSet accept; returns the problem, if any. */
export function trainJobNameProblem(name: string): string | undefined {
  if (!DNS_1035_LABEL.test(name)) return `"${name}" is not an RFC 1035 label (lower-case letters, digits and '-', starting with a letter)`;
  if (name.length > TRAINJOB_NAME_LIMIT) return `"${name}" has ${name.length} characters; JobSet's pod names allow at most ${TRAINJOB_NAME_LIMIT}`;
  return undefined;
}

export function checkTrainJobTemplate(file: string, parsed: unknown): TrainJobTemplate {
  const fail = (field: string, detail: string): never => {
    throw new CatalogError(file, field, detail);
  };
  if (!isRecord(parsed)) return fail("(top level)", "must be a TrainJob manifest (a YAML mapping)");
  if (parsed.apiVersion !== TRAINER_API_VERSION) fail("apiVersion", `must be "${TRAINER_API_VERSION}", found ${JSON.stringify(parsed.apiVersion)}`);
  if (parsed.kind !== "TrainJob") fail("kind", `must be "TrainJob", found ${JSON.stringify(parsed.kind)}`);
  const name = isRecord(parsed.metadata) ? parsed.metadata.name : undefined;
  if (name !== undefined) {
    const problem = typeof name === "string" ? trainJobNameProblem(name) : "must be a string";
    if (problem) fail("metadata.name", problem);
  }
  const spec = parsed.spec;
  if (!isRecord(spec)) return fail("spec", "missing: the TrainJob spec with runtimeRef and trainer");
  const ref = spec.runtimeRef;
  if (!isRecord(ref) || typeof ref.name !== "string" || ref.name === "") return fail("spec.runtimeRef.name", "missing: the built-in ClusterTrainingRuntime to run on, e.g. torch-distributed");
  if (ref.kind !== undefined && ref.kind !== "ClusterTrainingRuntime") {
    fail("spec.runtimeRef.kind", `must be ClusterTrainingRuntime (or left out): the module runs the job on that built-in runtime as the operator installs it, found ${JSON.stringify(ref.kind)}`);
  }
  const trainer = spec.trainer;
  if (!isRecord(trainer)) return fail("spec.trainer", "missing: the trainer with numNodes");
  const nodes = trainer.numNodes;
  if (!Number.isInteger(nodes) || (nodes as number) < 1 || (nodes as number) > MAX_TRAINJOB_NODES) {
    fail("spec.trainer.numNodes", `must be a whole number from 1 to ${MAX_TRAINJOB_NODES}, found ${JSON.stringify(nodes)}`);
  }
  for (const owned of ["image", "command", "args", "resourcesPerNode"]) {
    if (owned in trainer) fail(`spec.trainer.${owned}`, "is set by the module from the catalog (image.command, job.resources); remove it from the template");
  }
  if ("activeDeadlineSeconds" in spec) fail("spec.activeDeadlineSeconds", "is set by the module from framework.yaml job.timeoutSeconds; remove it from the template");
  const procs = trainer.numProcPerNode;
  if (procs !== undefined && (!Number.isInteger(procs) || (procs as number) < 1)) {
    fail("spec.trainer.numProcPerNode", `must be a whole number of at least 1 (v2.3.0's CRD takes an integer), found ${JSON.stringify(procs)}`);
  }
  const env = Array.isArray(trainer.env) ? trainer.env : [];
  for (const [i, variable] of env.entries()) {
    const name = isRecord(variable) ? variable.name : undefined;
    if (typeof name === "string" && RUNTIME_ENV.test(name)) {
      fail(`spec.trainer.env[${i}].name`, `${name} is set by the runtime (PET_*, DMLC_* and JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES, JAX_PROCESS_ID); the webhook refuses it`);
    }
  }
  return { file, manifest: parsed, runtime: ref.name as string, numNodes: nodes as number };
}
