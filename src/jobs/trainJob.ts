// Renders a framework's Kubeflow Trainer v2 TrainJob for one run, on the ClusterTrainingRuntime
// it names, as installed: the runtime lookup, its webhook, its RBAC and its restart behaviour
// are what users get, so they are what the run tests. The runtimes leave restarts to JobSet's
// defaults (pods restart OnFailure, six retries), which a TrainJob cannot change (v2.3.0's
// runtimePatches allow neither); the run itself fails on the first container restart or
// non-zero exit instead (status.ts), and the server bounds the job with activeDeadlineSeconds.
import { stringify } from "yaml";
import type { CatalogEntry } from "../catalog/loader.js";
import { TRAINER_API_VERSION } from "../catalog/trainJobTemplate.js";
import { FRAMEWORK_LABEL, JOB_NAMESPACE, type RenderedJob, type ReplicatedJob } from "./manifest.js";

/** JobSet labels every pod with its JobSet's name, which is the TrainJob's. */
export const JOBSET_NAME_LABEL = "jobset.sigs.k8s.io/jobset-name";
/**
 * How much longer than the server's deadline the run waits, so that the TrainJob's own verdict
 * (Failed, DeadlineExceeded) is what a timeout reports.
 */
export const DEADLINE_GRACE_SECONDS = 30;

type Manifest = Record<string, any>;

/**
 * The runtime's replicated Jobs (JobSet's default of one Job each), which the TrainJob's
 * status.jobsStatus reports, and which of them must succeed: JobSet's successPolicy (operator
 * All, the default) wants every targeted one, or every one when it targets none. Its operator
 * Any, which no built-in runtime uses, is refused rather than judged wrongly.
 */
export function runtimeReplicatedJobs(clusterRuntime: Manifest): ReplicatedJob[] {
  const name = clusterRuntime.metadata?.name as string;
  const spec = clusterRuntime.spec?.template?.spec;
  const replicated = spec?.replicatedJobs;
  if (!Array.isArray(replicated) || replicated.length === 0) {
    throw new Error(`ClusterTrainingRuntime ${name} has no spec.template.spec.replicatedJobs to run a TrainJob on`);
  }
  const policy = spec.successPolicy ?? {};
  if ((policy.operator ?? "All") !== "All") {
    throw new Error(`ClusterTrainingRuntime ${name}: spec.template.spec.successPolicy.operator ${JSON.stringify(policy.operator)} is not supported; the run judges "All"`);
  }
  const targets: string[] = Array.isArray(policy.targetReplicatedJobs) ? policy.targetReplicatedJobs.map(String) : [];
  return replicated.map((r: Manifest) => ({
    name: String(r.name),
    replicas: Number.isInteger(r.replicas) ? (r.replicas as number) : 1,
    mustSucceed: targets.length === 0 || targets.includes(String(r.name)),
  }));
}

/**
 * The framework's TrainJob with this run's image, the catalog's command and resources, on
 * `clusterRuntime` (the runtime the template names, as the tree deploys it), bounded by the
 * catalog's time limit on the server too.
 */
export function renderTrainJob(entry: CatalogEntry, image: string, clusterRuntime: Manifest): RenderedJob {
  const template = entry.trainJob;
  if (!template) throw new Error(`${entry.specFile} has no trainJob: ${entry.name} cannot run on Trainer v2`);
  if (clusterRuntime.metadata?.name !== template.runtime) {
    throw new Error(`the TrainJob of ${entry.name} runs on ${template.runtime}, not on ${clusterRuntime.metadata?.name}`);
  }
  const replicatedJobs = runtimeReplicatedJobs(clusterRuntime);
  const manifest = structuredClone(template.manifest) as Manifest;
  const name: string = manifest.metadata?.name ?? `${entry.name}-e2e`;
  const namespace: string = manifest.metadata?.namespace ?? JOB_NAMESPACE;
  const timeout = entry.timeoutSeconds;
  manifest.metadata = { ...manifest.metadata, name, namespace, labels: { ...manifest.metadata?.labels, [FRAMEWORK_LABEL]: entry.name } };
  manifest.spec.runtimeRef = { apiGroup: "trainer.kubeflow.org", kind: "ClusterTrainingRuntime", name: template.runtime };
  manifest.spec.activeDeadlineSeconds = timeout;
  manifest.spec.trainer = {
    ...manifest.spec.trainer,
    image,
    command: [...entry.spec.image.command],
    resourcesPerNode: structuredClone(entry.resources),
  };
  return {
    kind: "TrainJob",
    name,
    namespace,
    resource: "trainjob.trainer.kubeflow.org",
    selector: `${FRAMEWORK_LABEL}=${entry.name}`,
    podSelector: `${JOBSET_NAME_LABEL}=${name}`,
    successCondition: "Complete",
    pods: template.numNodes,
    // Set when the controller cannot create the JobSet (trainjob_controller.go, v2.3.0); the TrainJob gets no condition then.
    warningEvents: ["TrainJobResourcesCreationFailed"],
    related: [
      { resource: "jobset.jobset.x-k8s.io", name },
      { resource: "clustertrainingruntime.trainer.kubeflow.org", name: template.runtime },
    ],
    waitSeconds: timeout + DEADLINE_GRACE_SECONDS,
    failOnRestart: true,
    jobsStatus: replicatedJobs,
    // Suspending stops the JobSet's pods (kept restarting by OnFailure) once a failure's diagnostics are kept.
    stop: ["kubectl", "patch", "trainjob.trainer.kubeflow.org", name, "-n", namespace, "--type=merge", "-p", '{"spec":{"suspend":true}}'],
    manifest,
    yaml: stringify(manifest),
  };
}
