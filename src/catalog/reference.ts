// Image references: parsing pinned base images, normalising repositories the way
// Docker and containerd do, and validating tags against the OCI grammar.

/** OCI distribution spec tag grammar. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const REGISTRY_HOST = "(?:[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]+)?/)?";
const PINNED = new RegExp(
  `^(?<name>${REGISTRY_HOST}${PATH_COMPONENT}(?:/${PATH_COMPONENT})*):(?<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127})@(?<digest>sha256:[a-f0-9]{64})$`,
);

export interface PinnedImage {
  /** Name with registry, without tag or digest, e.g. `docker.io/library/python`. */
  name: string;
  tag: string;
  digest: string;
  /** `name:tag@digest`, the form handed to `Container.from`. */
  ref: string;
}

/** Why a tag is unusable, or undefined when it is a valid, explicit OCI tag. */
export function tagProblem(tag: string): string | undefined {
  if (tag === "latest") {
    return `"latest" is refused: it names no content and lets two runs silently share an image; use a version, a PR tag like "pr-123", or leave it empty for a content hash`;
  }
  if (!TAG.test(tag)) {
    return `"${tag}" is not a valid OCI tag: use 1 to 128 characters from [A-Za-z0-9_.-], not starting with "." or "-"`;
  }
  return undefined;
}

/** Why a repository path is unusable, or undefined when valid. */
export function repositoryProblem(repository: string): string | undefined {
  if (repository.includes(":") || repository.includes("@")) {
    return `"${repository}" must be a repository path without tag or digest, e.g. "kubeflow-ci/jax-e2e"`;
  }
  if (!REPOSITORY.test(repository)) {
    return `"${repository}" is not a valid repository path: lowercase letters, digits and separators (. _ -) in components joined by "/", e.g. "kubeflow-ci/jax-e2e"`;
  }
  return undefined;
}

/** Parses `name:tag@sha256:<64 hex>`; returns a problem string when the reference is not pinned so. */
export function parsePinnedImage(ref: string): PinnedImage | string {
  const match = PINNED.exec(ref);
  if (!match?.groups) {
    return `"${ref}" is not a pinned image reference: use name:tag@sha256:<64 hex digits>`;
  }
  const { name, tag, digest } = match.groups as { name: string; tag: string; digest: string };
  if (tag === "latest") {
    return `"${ref}" uses the tag "latest": name the version the digest belongs to`;
  }
  const normalized = normalizeName(name);
  return { name: normalized, tag, digest, ref: `${normalized}:${tag}@${digest}` };
}

/**
 * Fully qualified name as containerd stores it: images without a registry live on
 * docker.io, and single-component names under docker.io/library.
 */
export function normalizeName(name: string): string {
  const [first, ...rest] = name.split("/");
  const hasRegistry = rest.length > 0 && (first!.includes(".") || first!.includes(":") || first === "localhost");
  if (hasRegistry) return name;
  return rest.length === 0 ? `docker.io/library/${name}` : `docker.io/${name}`;
}

/** Full reference of an image this module builds, e.g. `docker.io/kubeflow-ci/jax-e2e:c-0123abcd`. */
export function imageReference(repository: string, tag: string): string {
  return `${normalizeName(repository)}:${tag}`;
}

/** Whether `ref` names neither a tag nor a digest (`ghcr.io/x/y`: a container runtime takes :latest). */
export function isUntagged(ref: string): boolean {
  return ref !== "" && !ref.includes("@") && !/:[^/]*$/.test(ref);
}

/** Parses `name:tag` (no digest) into its fully qualified form; returns a problem string when it is not one. */
export function parseTaggedReference(ref: string): { name: string; tag: string; ref: string } | string {
  const match = new RegExp(`^(?<name>${REGISTRY_HOST}${PATH_COMPONENT}(?:/${PATH_COMPONENT})*):(?<tag>[^:@/]+)$`).exec(ref);
  if (!match?.groups) return `"${ref}" must be name:tag, e.g. docker.io/kubeflow-ci/pytorch-init:3.22.6`;
  const problem = tagProblem(match.groups.tag!);
  if (problem) return problem;
  const name = normalizeName(match.groups.name!);
  return { name, tag: match.groups.tag!, ref: `${name}:${match.groups.tag}` };
}
