// Renders a framework's Kubeflow Trainer v2 TrainJob for one run, on a fail-fast copy of the
// built-in runtime it names. A TrainJob cannot change its Job's restart policy or backoff
// limit (v2.3.0's runtimePatches allow neither), and the built-in runtimes leave both to their
// defaults (pods restart OnFailure, six retries): a failing payload would take minutes to fail.
// The copy is a namespaced TrainingRuntime identical to the tree's ClusterTrainingRuntime
// except that each Job fails on its first failed pod.
import { stringify } from "yaml";
import type { CatalogEntry } from "../catalog/loader.js";
import { TRAINER_API_VERSION } from "../catalog/trainJobTemplate.js";
import { FRAMEWORK_LABEL, JOB_NAMESPACE, type RenderedJob } from "./manifest.js";

/** JobSet labels every pod with its JobSet's name, which is the TrainJob's. */
export const JOBSET_NAME_LABEL = "jobset.sigs.k8s.io/jobset-name";
/** The built-in runtimes skip the validating webhook through this label; the copy does not. */
const WEBHOOK_VALIDATION_LABEL = "trainer.kubeflow.org/webhook-validation";
const DERIVED_FROM_ANNOTATION = "training-operator-ci/derived-from";

type Manifest = Record<string, any>;

/** A namespaced TrainingRuntime like `clusterRuntime`, whose Jobs fail on their first failed pod and whose JobSet never restarts. */
export function failFastRuntime(clusterRuntime: Manifest, namespace: string = JOB_NAMESPACE): Manifest {
  const name = clusterRuntime.metadata?.name as string;
  const spec = structuredClone(clusterRuntime.spec ?? {});
  const jobSet = spec.template?.spec;
  const replicatedJobs = jobSet?.replicatedJobs;
  if (!Array.isArray(replicatedJobs) || replicatedJobs.length === 0) {
    throw new Error(`ClusterTrainingRuntime ${name} has no spec.template.spec.replicatedJobs to run a TrainJob on`);
  }
  for (const replicated of replicatedJobs) {
    const job = (replicated.template ??= {});
    job.spec ??= {};
    job.spec.backoffLimit = 0;
    const pod = (job.spec.template ??= {});
    pod.spec ??= {};
    pod.spec.restartPolicy = "Never";
  }
  if (jobSet.failurePolicy) jobSet.failurePolicy.maxRestarts = 0;
  const labels = { ...clusterRuntime.metadata?.labels };
  delete labels[WEBHOOK_VALIDATION_LABEL];
  return {
    apiVersion: TRAINER_API_VERSION,
    kind: "TrainingRuntime",
    metadata: {
      name: `${name}-fail-fast`,
      namespace,
      labels,
      annotations: { [DERIVED_FROM_ANNOTATION]: `ClusterTrainingRuntime/${name}; backoffLimit 0, restartPolicy Never` },
    },
    spec,
  };
}

/**
 * The framework's TrainJob with this run's image, the catalog's command and resources, on the
 * fail-fast copy of `clusterRuntime` (the runtime the template names, as the tree deploys it).
 */
export function renderTrainJob(entry: CatalogEntry, image: string, clusterRuntime: Manifest): RenderedJob {
  const template = entry.trainJob;
  if (!template) throw new Error(`${entry.specFile} has no trainJob: ${entry.name} cannot run on Trainer v2`);
  if (clusterRuntime.metadata?.name !== template.runtime) {
    throw new Error(`the TrainJob of ${entry.name} runs on ${template.runtime}, not on ${clusterRuntime.metadata?.name}`);
  }
  const manifest = structuredClone(template.manifest) as Manifest;
  const name: string = manifest.metadata?.name ?? `${entry.name}-e2e`;
  const namespace: string = manifest.metadata?.namespace ?? JOB_NAMESPACE;
  const runtime = failFastRuntime(clusterRuntime, namespace);
  manifest.metadata = { ...manifest.metadata, name, namespace, labels: { ...manifest.metadata?.labels, [FRAMEWORK_LABEL]: entry.name } };
  manifest.spec.runtimeRef = { apiGroup: "trainer.kubeflow.org", kind: "TrainingRuntime", name: runtime.metadata.name };
  manifest.spec.trainer = {
    ...manifest.spec.trainer,
    image,
    command: [...entry.spec.image.command],
    resourcesPerNode: structuredClone(entry.spec.job.resources),
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
      { resource: "trainingruntime.trainer.kubeflow.org", name: runtime.metadata.name },
    ],
    manifest,
    // The runtime first: the TrainJob webhook refuses a TrainJob whose runtime does not exist yet.
    yaml: `${stringify(runtime)}---\n${stringify(manifest)}`,
  };
}
