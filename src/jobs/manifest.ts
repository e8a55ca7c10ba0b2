// Renders a framework's job from its catalog template for one run: this run's image,
// the catalog's resources, and a label that selects the job and its pods.
import { stringify } from "yaml";
import type { CatalogEntry } from "../catalog/loader.js";
import { KUBEFLOW_API_VERSION } from "../catalog/jobTemplate.js";

/** Label on the job and its pods, so one selector finds everything a framework created. */
export const FRAMEWORK_LABEL = "training-operator-ci/framework";
const JOB_NAMESPACE = "default";

export interface RenderedJob {
  kind: string;
  name: string;
  namespace: string;
  /** `kubectl get` resource name, e.g. jaxjob.kubeflow.org. */
  resource: string;
  /** Label selector for the job's pods. */
  selector: string;
  manifest: Record<string, any>;
  yaml: string;
}

export function renderJob(entry: CatalogEntry, image: string): RenderedJob {
  const manifest = structuredClone(entry.job.manifest) as Record<string, any>;
  const name: string = manifest.metadata?.name ?? `${entry.name}-e2e`;
  const namespace: string = manifest.metadata?.namespace ?? JOB_NAMESPACE;
  manifest.metadata = { ...manifest.metadata, name, namespace, labels: { ...manifest.metadata?.labels, [FRAMEWORK_LABEL]: entry.name } };
  const replicaSpecs = manifest.spec[entry.job.replicaSpecsField] as Record<string, any>;
  for (const replica of Object.values(replicaSpecs)) {
    const pod = replica.template;
    pod.metadata = { ...pod.metadata, labels: { ...pod.metadata?.labels, [FRAMEWORK_LABEL]: entry.name } };
    for (const container of pod.spec.containers as Record<string, any>[]) {
      if (container.name !== entry.spec.job.container) continue;
      container.image = image;
      container.imagePullPolicy ??= "IfNotPresent";
      container.resources = structuredClone(entry.spec.job.resources);
    }
  }
  return {
    kind: entry.spec.job.kind,
    name,
    namespace,
    resource: `${entry.spec.job.kind.toLowerCase()}.${KUBEFLOW_API_VERSION.split("/")[0]}`,
    selector: `${FRAMEWORK_LABEL}=${entry.name}`,
    manifest,
    yaml: stringify(manifest),
  };
}
