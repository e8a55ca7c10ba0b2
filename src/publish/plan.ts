// What `publish` pushes, decided without an engine: each framework image's names in the
// caller's registry (one per tag) and the manifest annotations that tie it to its source,
// its commit and its pinned packages. Nothing here reads the clock: a republish of the same
// sources at the same commit asks for the same metadata, so the engine's cached build
// yields the same digests.
import { ArgumentError } from "../catalog/errors.js";
import type { CatalogEntry } from "../catalog/loader.js";
import { contentTag } from "../catalog/tag.js";

/** What the caller asks of a publish (the module's `publish` arguments). */
export interface PublishRequest {
  /** Registry and path the images go under, e.g. ghcr.io/kubeflow/training-operator-ci. */
  registry: string;
  /** The commit the images were built from: a tag and the revision annotation. */
  revision?: string;
  /** A pull request number: the tag pr-N. */
  pr?: number;
  /** When that commit was made (RFC 3339, e.g. `git log -1 --format=%cI`): the created annotation. */
  created?: string;
  /** Where the module's source lives, e.g. https://github.com/<owner>/<repo>: the source annotation. */
  source?: string;
}

/** One framework's publish: where its image goes and what its manifest says. */
export interface PublishPlan {
  framework: string;
  /** The registry repository, e.g. ghcr.io/kubeflow/training-operator-ci/jax-e2e. */
  repository: string;
  /** The catalog's version of the image first (its content tag), then the commit and pr-N. */
  tags: string[];
  annotations: Record<string, string>;
}

const HOST = /^(?:localhost|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+|\[[0-9a-f:]+\])(?::[0-9]{1,5})?$/i;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const COMMIT = /^[0-9a-f]{7,64}$/;
/** RFC 3339 with seconds and an offset, as git's %cI prints it. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Annotation keys this module adds besides the OCI ones. */
export const ANNOTATION_PREFIX = "org.kubeflow.training-operator-ci";

/**
 * The registry and path, as `host[:port]/path`, without scheme, tag or trailing slash. The
 * host must look like one (a dot, a port or localhost), so a bare "kubeflow-ci" is not
 * silently taken for Docker Hub.
 */
export function parseRegistry(value: string, argument = "registry"): string {
  const fail = (why: string): never => {
    throw new ArgumentError(argument, `"${value}" ${why}; give host[:port]/path, e.g. ghcr.io/kubeflow/training-operator-ci or localhost:5000/e2e`);
  };
  const trimmed = value.trim().replace(/\/+$/, "");
  if (trimmed === "") fail("is empty");
  if (/^[a-z]+:\/\//i.test(trimmed)) fail("has a scheme");
  if (/[@]/.test(trimmed) || /:[^/]*$/.test(trimmed.split("/").slice(1).join("/"))) fail("has a tag or digest");
  const [host, ...path] = trimmed.split("/");
  if (!HOST.test(host!) || !(host!.includes(".") || host!.includes(":") || host === "localhost")) fail(`does not start with a registry host (${host})`);
  const bad = path.find((p) => !PATH_COMPONENT.test(p));
  if (bad !== undefined) fail(`has an invalid path component "${bad}" (lowercase letters, digits and . _ - separators)`);
  return [host!.toLowerCase(), ...path].join("/");
}

function checkRequest(request: PublishRequest): void {
  if (request.revision && !COMMIT.test(request.revision)) {
    throw new ArgumentError("revision", `"${request.revision}" is not a commit: give its hexadecimal id (7 to 64 digits, lowercase), e.g. $(git rev-parse HEAD)`);
  }
  if (request.pr !== undefined && (!Number.isInteger(request.pr) || request.pr < 1)) {
    throw new ArgumentError("pr", `${request.pr} is not a pull request number (a whole number of at least 1)`);
  }
  if (request.created && (!RFC3339.test(request.created) || Number.isNaN(Date.parse(request.created)))) {
    throw new ArgumentError("created", `"${request.created}" is not an RFC 3339 time: give the commit's, e.g. $(git log -1 --format=%cI)`);
  }
  if (request.source && !/^https:\/\/\S+$/.test(request.source)) {
    throw new ArgumentError("source", `"${request.source}" must be an https:// URL of the module's source`);
  }
}

/** The registry repository of a framework's image: the catalog repository's last component under the registry path. */
export function publishedRepository(registry: string, entry: Pick<CatalogEntry, "spec">): string {
  return `${registry}/${entry.spec.image.repository.split("/").at(-1)}`;
}

/** The catalog's version first, then the commit and pr-N when given. */
export function publishTags(entry: CatalogEntry, request: Pick<PublishRequest, "revision" | "pr">): string[] {
  return [contentTag(entry), ...(request.revision ? [request.revision] : []), ...(request.pr ? [`pr-${request.pr}`] : [])];
}

/** The manifest's annotations: OCI's (only those the request can say truly) and the pinned packages. */
export function publishAnnotations(entry: CatalogEntry, request: PublishRequest): Record<string, string> {
  const annotations: Record<string, string> = {
    "org.opencontainers.image.title": `${entry.name}-e2e`,
    "org.opencontainers.image.description": entry.spec.summary,
    "org.opencontainers.image.version": contentTag(entry),
    "org.opencontainers.image.base.name": `${entry.baseImage.name}:${entry.baseImage.tag}`,
    "org.opencontainers.image.base.digest": entry.baseImage.digest,
    [`${ANNOTATION_PREFIX}.framework`]: entry.name,
    [`${ANNOTATION_PREFIX}.python-packages`]: entry.requirements.pins.map((p) => `${p.name}==${p.version}`).sort().join(","),
  };
  if (entry.systemPackages.length > 0) annotations[`${ANNOTATION_PREFIX}.system-packages`] = [...entry.systemPackages].sort().join(",");
  if (request.revision) annotations["org.opencontainers.image.revision"] = request.revision;
  if (request.created) annotations["org.opencontainers.image.created"] = request.created;
  if (request.source) annotations["org.opencontainers.image.source"] = request.source;
  return annotations;
}

/** Checks the request, then plans each framework's publish. Bad input fails here, before anything is built. */
export function planPublish(entries: CatalogEntry[], request: PublishRequest): PublishPlan[] {
  const registry = parseRegistry(request.registry);
  checkRequest(request);
  const plans = entries.map((entry) => ({
    framework: entry.name,
    repository: publishedRepository(registry, entry),
    tags: publishTags(entry, request),
    annotations: publishAnnotations(entry, request),
  }));
  const seen = new Map<string, string>();
  for (const plan of plans) {
    const other = seen.get(plan.repository);
    if (other) throw new ArgumentError("framework", `${other} and ${plan.framework} would both publish to ${plan.repository}; their catalog repositories end alike`);
    seen.set(plan.repository, plan.framework);
  }
  return plans;
}

/** Credentials come as a pair (user name and secret password) or not at all. */
export function checkCredentials(username: string, hasPassword: boolean, prefix = ""): void {
  if ((username === "") === hasPassword) {
    throw new ArgumentError(`${prefix}${hasPassword ? "username" : "password"}`, `give --${prefix}username and --${prefix}password together, or neither for a registry without authentication`);
  }
}

/** `framework<TAB>repository:tag@digest`, one line per pushed tag: what publish returns. */
export function publishedLines(published: { framework: string; references: string[] }[]): string {
  return published.flatMap((p) => p.references.map((ref) => `${p.framework}\t${ref}`)).join("\n");
}

/** One line of publish's output: a framework's image under one tag, with its digest. */
export interface PublishedRecord {
  framework: string;
  repository: string;
  tag: string;
  digest: string;
}

/** Reads publish's output (framework<TAB>repository:tag@digest per line); a bad line is an error naming it. */
export function parsePublished(text: string, argument = "published"): PublishedRecord[] {
  const records: PublishedRecord[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const match = /^([a-z0-9][a-z0-9_-]*)\t(\S+):([A-Za-z0-9_][A-Za-z0-9._-]{0,127})@(sha256:[0-9a-f]{64})$/.exec(line.trim());
    if (!match) throw new ArgumentError(argument, `line ${i + 1} is not publish's output (framework, a tab, repository:tag@sha256:<64 hex>): ${JSON.stringify(line.slice(0, 120))}`);
    records.push({ framework: match[1]!, repository: match[2]!, tag: match[3]!, digest: match[4]! });
  });
  if (records.length === 0) throw new ArgumentError(argument, "lists no published image: give the file publish's output was saved to (dagger call -o FILE publish ...)");
  return records;
}

/** The digest `records` give the framework's image at `repository:tag`, or an error saying the file lacks it. */
export function recordedDigest(records: PublishedRecord[], framework: string, repository: string, tag: string, argument = "published"): string {
  const found = records.find((r) => r.framework === framework && r.repository === repository && r.tag === tag);
  if (!found) throw new ArgumentError(argument, `lists no ${framework} image at ${repository}:${tag} (it lists ${records.map((r) => `${r.repository}:${r.tag}`).join(", ")})`);
  return found.digest;
}

/** test's registry arguments make sense only together with --images-from; a revision only without it. */
export function checkImagesFrom(args: { imagesFrom: string; revision: string; credentials: boolean; published: boolean }): void {
  if (args.imagesFrom === "") {
    if (args.credentials) throw new ArgumentError("registry-username", "is for --images-from's registry; give --images-from, or leave the registry arguments out");
    if (args.published) throw new ArgumentError("published", "checks the images --images-from pulls; give --images-from too");
    return;
  }
  if (args.revision !== "") throw new ArgumentError("revision", "labels images the run builds; with --images-from the published images carry their own");
}
