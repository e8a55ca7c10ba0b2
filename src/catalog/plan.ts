// The image build plan: layers from most stable to most volatile, each with the inputs
// it depends on. images.ts turns it into Dagger calls; tests check the ordering here.
import { createHash } from "node:crypto";
import type { CatalogEntry, PlacedFile, SourceFile } from "./loader.js";
import type { PinnedImage } from "./reference.js";
import { imageReference } from "./reference.js";
import { resolveTag } from "./tag.js";

export type Layer =
  | { step: "base"; image: PinnedImage }
  | { step: "system-packages"; packages: string[] }
  | { step: "user"; name: string; uid: number }
  | { step: "python-dependencies"; requirements: SourceFile; indexUrl?: string; extraIndexUrls: string[] }
  | { step: "test-tools"; files: PlacedFile[] }
  | { step: "payload"; files: PlacedFile[] }
  | { step: "metadata"; env: Record<string, string>; workdir: string; command: string[]; labels: Record<string, string> };

export interface ImagePlan {
  framework: string;
  tag: string;
  /** Fully qualified, e.g. docker.io/kubeflow-ci/jax-e2e:c-0123456789abcdef. */
  reference: string;
  layers: Layer[];
}

export interface PlanOptions {
  tag?: string | null;
  /** VCS revision of the module source, recorded as a label (not part of the tag). */
  revision?: string | null;
}

/** Where pip reads the requirements from while installing; mounted, never left in the image. */
export const REQUIREMENTS_MOUNT = "/tmp/e2e-requirements.txt";

export function buildPlan(entry: CatalogEntry, options: PlanOptions = {}): ImagePlan {
  const tag = resolveTag(entry, options.tag);
  const reference = imageReference(entry.spec.image.repository, tag);
  const labels: Record<string, string> = {
    "org.opencontainers.image.title": `${entry.name}-e2e`,
    "org.opencontainers.image.description": entry.spec.summary,
    "org.opencontainers.image.version": tag,
    "org.opencontainers.image.ref.name": reference,
    "org.opencontainers.image.base.name": `${entry.baseImage.name}:${entry.baseImage.tag}`,
    "org.opencontainers.image.base.digest": entry.baseImage.digest,
  };
  if (options.revision) labels["org.opencontainers.image.revision"] = options.revision;

  const layers: Layer[] = [{ step: "base", image: entry.baseImage }];
  if (entry.systemPackages.length > 0) layers.push({ step: "system-packages", packages: entry.systemPackages });
  const user = entry.spec.image.user;
  if (user) layers.push({ step: "user", name: user.name, uid: user.uid });
  layers.push({
    step: "python-dependencies",
    requirements: entry.requirements,
    indexUrl: entry.spec.image.pipIndexUrl,
    extraIndexUrls: entry.spec.image.pipExtraIndexUrls,
  });
  if (entry.testTools.length > 0) layers.push({ step: "test-tools", files: entry.testTools });
  layers.push({ step: "payload", files: entry.payload });
  layers.push({ step: "metadata", env: entry.defaults.env, workdir: entry.defaults.workdir, command: entry.spec.image.command, labels });
  return { framework: entry.name, tag, reference, layers };
}

/** apt-get, non-interactive, no recommends, lists removed so they do not bloat the layer. */
export function aptInstallScript(packages: string[]): string {
  return `apt-get update && apt-get install -y --no-install-recommends ${packages.join(" ")} && rm -rf /var/lib/apt/lists/*`;
}

/** useradd: the user, its own group and a home under /home; the image keeps running as root by default. */
export function userAddArgs(layer: Extract<Layer, { step: "user" }>): string[] {
  return ["useradd", "--create-home", "--user-group", "--uid", String(layer.uid), "--shell", "/bin/sh", layer.name];
}

/**
 * pip install exactly the pinned set: --no-deps so nothing unpinned slips in, binary
 * wheels only so no compiler is needed; `pip check` then proves the set is complete.
 */
export function pipInstallArgs(layer: Extract<Layer, { step: "python-dependencies" }>): string[] {
  const index = [
    ...(layer.indexUrl ? ["--index-url", layer.indexUrl] : []),
    ...layer.extraIndexUrls.flatMap((url) => ["--extra-index-url", url]),
  ];
  return ["python", "-m", "pip", "install", "--no-deps", "--only-binary=:all:", ...index, "-r", REQUIREMENTS_MOUNT];
}

/** The inputs a layer's own step reads, as comparable strings (file digests, not names only). */
export function layerInputs(layer: Layer): string[] {
  const file = (f: SourceFile | PlacedFile) => `${f.path}${"target" in f ? `->${f.target}` : ""}@${f.sha256}`;
  switch (layer.step) {
    case "base":
      return [layer.image.ref];
    case "system-packages":
      return layer.packages;
    case "user":
      return userAddArgs(layer);
    case "python-dependencies":
      return [file(layer.requirements), ...pipInstallArgs(layer)];
    case "test-tools":
    case "payload":
      return layer.files.map(file);
    case "metadata":
      return [JSON.stringify(layer.env), layer.workdir, JSON.stringify(layer.command), JSON.stringify(layer.labels)];
  }
}

/**
 * Cache key of each layer as a content-addressed builder sees it: a layer is reused only
 * if its own inputs and every layer below it are unchanged.
 */
export function layerCacheKeys(plan: ImagePlan): { step: Layer["step"]; key: string }[] {
  let parent = "";
  return plan.layers.map((layer) => {
    parent = createHash("sha256").update(parent).update(JSON.stringify([layer.step, layerInputs(layer)])).digest("hex");
    return { step: layer.step, key: parent };
  });
}
