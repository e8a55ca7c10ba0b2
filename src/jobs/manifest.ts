// Renders a framework's Training Operator v1 job from its catalog template for one run: this
// run's image, the catalog's resources, and a label that selects the job and its pods.
// (Trainer v2's TrainJob: trainJob.ts.)
import { stringify } from "yaml";
import type { CatalogEntry } from "../catalog/loader.js";
import { KUBEFLOW_API_VERSION } from "../catalog/jobTemplate.js";

/** Label on the job and its pods, so one selector finds everything a framework created. */
export const FRAMEWORK_LABEL = "training-operator-ci/framework";
export const JOB_NAMESPACE = "default";

export interface RenderedJob {
  kind: string;
  name: string;
  namespace: string;
  /** `kubectl get` resource name, e.g. jaxjob.kubeflow.org. */
  resource: string;
  /** Label selector for the job itself. */
  selector: string;
  /** Label selector for the job's pods. */
  podSelector: string;
  /** The condition type that means success: Succeeded (v1 jobs) or Complete (TrainJob). */
  successCondition: string;
  /** How many pods the job runs at once. */
  pods: number;
  /** Reasons of Warning events on the job that explain why it is stuck (shown while waiting). */
  warningEvents: string[];
  /** Further objects worth keeping after a failure, each as `kubectl get <resource> <name> -o yaml`. */
  related: { resource: string; name: string }[];
  /** How long the run waits for the job's verdict. */
  waitSeconds: number;
  /**
   * Whether the first container restart or non-zero exit fails the run, and a restart before
   * success too (TrainJob: the runtime restarts failed pods, which would hide a flake).
   */
  failOnRestart: boolean;
  /** TrainJob: what status.jobsStatus must report once Complete, one entry per replicated Job. */
  jobsStatus?: ReplicatedJob[];
  /** Stops the job's pods after a failure (once its diagnostics are kept), so the next job has room. */
  stop?: string[];
  manifest: Record<string, any>;
  /** Everything `kubectl apply` gets for this job (the job last). */
  yaml: string;
}

/** A replicated Job of a TrainJob's runtime and how many Jobs it makes. */
export interface ReplicatedJob {
  name: string;
  replicas: number;
  /**
   * Whether its Jobs must succeed: those the runtime's successPolicy targets (all, without
   * one). The others serve them (an MPI runtime's sshd nodes) and are deleted once they have.
   */
  mustSucceed: boolean;
}

/** The framework's Training Operator v1 job; a framework without one (a Trainer v2 runtime only) is an error naming its file. */
export function renderJob(entry: CatalogEntry, image: string): RenderedJob {
  const template = entry.job;
  const spec = entry.spec.job;
  if (!template || !spec) throw new Error(`${entry.specFile} has no job: ${entry.name} cannot run on Training Operator v1`);
  const manifest = structuredClone(template.manifest) as Record<string, any>;
  const name: string = manifest.metadata?.name ?? `${entry.name}-e2e`;
  const namespace: string = manifest.metadata?.namespace ?? JOB_NAMESPACE;
  manifest.metadata = { ...manifest.metadata, name, namespace, labels: { ...manifest.metadata?.labels, [FRAMEWORK_LABEL]: entry.name } };
  const replicaSpecs = manifest.spec[template.replicaSpecsField] as Record<string, any>;
  for (const replica of Object.values(replicaSpecs)) {
    const pod = replica.template;
    pod.metadata = { ...pod.metadata, labels: { ...pod.metadata?.labels, [FRAMEWORK_LABEL]: entry.name } };
    for (const container of pod.spec.containers as Record<string, any>[]) {
      if (container.name !== spec.container) continue;
      container.image = image;
      // The run loads this image into the node: a missing one fails at once (ErrImageNeverPull) instead of going to a registry.
      container.imagePullPolicy = "Never";
      container.resources = structuredClone(entry.resources);
    }
  }
  const selector = `${FRAMEWORK_LABEL}=${entry.name}`;
  return {
    kind: spec.kind,
    name,
    namespace,
    resource: `${spec.kind.toLowerCase()}.${KUBEFLOW_API_VERSION.split("/")[0]}`,
    selector,
    podSelector: selector,
    successCondition: "Succeeded",
    pods: Object.values(template.replicas).reduce((a, b) => a + b, 0),
    warningEvents: [],
    related: [],
    waitSeconds: entry.timeoutSeconds,
    // The v1 jobs never restart a pod (restartPolicy Never, backoffLimit 0): their own Failed is the verdict.
    failOnRestart: false,
    manifest,
    yaml: stringify(manifest),
  };
}
