// Checks a framework's job template: a Kubeflow v1 job whose replicas all run the
// framework container. The module fills in name, image, pull policy and resources when rendering.
import { CatalogError } from "./errors.js";

export interface JobTemplate {
  /** The parsed manifest, as written. */
  manifest: Record<string, unknown>;
  /** Field under spec holding the replicas, e.g. jaxReplicaSpecs. */
  replicaSpecsField: string;
  /** Replica type to replica count, e.g. { Worker: 2 }. */
  replicas: Record<string, number>;
}

export const KUBEFLOW_API_VERSION = "kubeflow.org/v1";

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Validates a parsed template against the catalog's job kind and container name. */
export function checkJobTemplate(file: string, parsed: unknown, kind: string, container: string): JobTemplate {
  const fail = (field: string, detail: string): never => {
    throw new CatalogError(file, field, detail);
  };
  if (!isRecord(parsed)) return fail("(top level)", `must be a ${kind} manifest (a YAML mapping)`);
  if (parsed.apiVersion !== KUBEFLOW_API_VERSION) fail("apiVersion", `must be "${KUBEFLOW_API_VERSION}", found ${JSON.stringify(parsed.apiVersion)}`);
  if (parsed.kind !== kind) fail("kind", `must be "${kind}" as framework.yaml job.kind says, found ${JSON.stringify(parsed.kind)}`);
  const spec = parsed.spec;
  if (!isRecord(spec)) return fail("spec", "missing: the job spec with its replica specs");
  const fields = Object.keys(spec).filter((k) => k.endsWith("ReplicaSpecs"));
  if (fields.length !== 1) return fail("spec", `must have exactly one *ReplicaSpecs field (e.g. jaxReplicaSpecs), found ${fields.length ? fields.join(", ") : "none"}`);
  const replicaSpecsField = fields[0]!;
  const replicaSpecs = spec[replicaSpecsField];
  if (!isRecord(replicaSpecs) || Object.keys(replicaSpecs).length === 0) return fail(`spec.${replicaSpecsField}`, "must map replica types to replica specs");
  const replicas: Record<string, number> = {};
  for (const [type, replicaSpec] of Object.entries(replicaSpecs)) {
    const at = `spec.${replicaSpecsField}.${type}`;
    if (!isRecord(replicaSpec)) return fail(at, "must be a replica spec");
    const count = replicaSpec.replicas ?? 1;
    if (!Number.isInteger(count) || (count as number) < 1) fail(`${at}.replicas`, `must be a whole number of at least 1, found ${JSON.stringify(count)}`);
    replicas[type] = count as number;
    const podSpec = isRecord(replicaSpec.template) ? replicaSpec.template.spec : undefined;
    const containers = isRecord(podSpec) ? podSpec.containers : undefined;
    if (!Array.isArray(containers)) return fail(`${at}.template.spec.containers`, `missing: list the container "${container}"`);
    const main = containers.find((c) => isRecord(c) && c.name === container);
    if (!isRecord(main)) return fail(`${at}.template.spec.containers`, `no container named "${container}" (framework.yaml job.container)`);
    for (const owned of ["image", "imagePullPolicy", "resources"]) {
      if (owned in main) fail(`${at}.template.spec.containers[${container}].${owned}`, `is set by the module from the catalog; remove it from the template`);
    }
  }
  return { manifest: parsed, replicaSpecsField, replicas };
}
