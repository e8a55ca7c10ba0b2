// Upstream release trees, as the Go module proxy serves them (the module zip holds the tree at
// the tag: the same files `dag.git(...).tag(...)` gives the module). Used by the tests that run
// real kustomize over real manifests, and by the lab.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { JOBSET, OPERATOR_V1, TRAINER_V2 } from "../../src/cluster/pins.js";

const MODULES = {
  v1: `github.com/kubeflow/training-operator@${OPERATOR_V1.tag}`,
  v2: `github.com/kubeflow/trainer/v2@${TRAINER_V2.tag}`,
  jobset: `sigs.k8s.io/jobset@${JOBSET.tag}`,
} as const;

/** The module's folder in the Go module cache, downloading it if needed; checks the commit the proxy recorded for it. */
export function moduleTree(which: keyof typeof MODULES): string {
  const info = JSON.parse(execFileSync("go", ["mod", "download", "-json", MODULES[which]], { encoding: "utf8" })) as { Dir: string; Origin?: { Hash?: string } };
  const pinned = which === "v1" ? OPERATOR_V1 : which === "v2" ? TRAINER_V2 : JOBSET;
  if (info.Origin?.Hash && info.Origin.Hash !== pinned.commit) throw new Error(`${MODULES[which]} is commit ${info.Origin.Hash}, not the pinned ${pinned.commit}`);
  return info.Dir;
}

/** Copies `folders` of a module tree to `target` (the cache is read-only, and kustomize needs only these). */
export function copyTree(which: keyof typeof MODULES, target: string, folders: string[]): string {
  const dir = moduleTree(which);
  mkdirSync(target, { recursive: true });
  for (const folder of folders) cpSync(join(dir, folder), join(target, folder), { recursive: true });
  execFileSync("chmod", ["-R", "u+w", target]);
  return target;
}
