// Upstream release trees for the tests that run real kustomize over real manifests, and for
// the lab. Trainer v2.3.0 and JobSet v0.12.0 come from their real git repositories at the
// commit the pinned tag resolves to (upstreamGit.ts), what `dag.git(...)` gives the module.
// v1.9.4 has no git repository here (its tree holds a binary no stored copy has: README of
// the upstream folder), so its tree comes from the Go module proxy, whose zip holds the files
// of the tag; its commit is checked against the public repository's tag (refs.txt).
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { JOBSET, OPERATOR_V1, TRAINER_V2, type PinnedTree } from "../../src/versions/pins.js";
import { exportTree, publicRefs, repositorySlug, resolveTag } from "./upstreamGit.js";

const PINS: Record<"v1" | "v2" | "jobset", PinnedTree> = { v1: OPERATOR_V1, v2: TRAINER_V2, jobset: JOBSET };

/** The Go module proxy's copy of Training Operator v1.9.4, its tag checked against the public repository's. */
function v1ModuleTree(): string {
  const module = `github.com/kubeflow/training-operator@${OPERATOR_V1.tag}`;
  const tagged = resolveTag(publicRefs(repositorySlug(OPERATOR_V1.repository)), OPERATOR_V1.tag);
  if (tagged !== OPERATOR_V1.commit) throw new Error(`kubeflow/trainer tag ${OPERATOR_V1.tag} is commit ${tagged}, not the pinned ${OPERATOR_V1.commit}`);
  const info = JSON.parse(execFileSync("go", ["mod", "download", "-json", module], { encoding: "utf8" })) as { Dir: string; Origin?: { Hash?: string } };
  if (info.Origin?.Hash && info.Origin.Hash !== tagged) throw new Error(`${module} is commit ${info.Origin.Hash}, not the tag's ${tagged}`);
  return info.Dir;
}

/** Writes `folders` of a pinned release tree to `target` (replacing what was there), writable. */
export function copyTree(which: keyof typeof PINS, target: string, folders: string[]): string {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  if (which !== "v1") return exportTree(PINS[which], target, folders);
  const dir = v1ModuleTree();
  for (const folder of folders) cpSync(join(dir, folder), join(target, folder), { recursive: true });
  execFileSync("chmod", ["-R", "u+w", target]);
  return target;
}
