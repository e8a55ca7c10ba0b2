// The Kind node image, pulled once by the engine (digest enforced there) and loaded into
// each run's own dockerd under a local name, so no run downloads it again.
import { parsePinnedImage } from "../catalog/reference.js";
import { shellQuote } from "../exec/shell.js";

export interface LocalNodeImage {
  /** The pinned reference the engine pulls, e.g. kindest/node:v1.35.5@sha256:…. */
  pinned: string;
  /** The name it is loaded under and the kind config uses, e.g. docker.io/kindest/node:v1.35.5-ce977ae6d659. */
  reference: string;
  tag: string;
}

/** The local name for a digest-pinned node image: its tag plus the digest's first 12 hex digits. */
export function localNodeImage(pinned: string): LocalNodeImage {
  const parsed = parsePinnedImage(pinned);
  if (typeof parsed === "string") throw new Error(`node image: ${parsed}`);
  const hex = parsed.digest.replace(/^sha256:/, "").slice(0, 12);
  const tag = `${parsed.tag}-${hex}`;
  return { pinned: parsed.ref, reference: `${parsed.name}:${tag}`, tag };
}

/**
 * sh script: `docker load` the archive; when the store did not take the archive's name,
 * tag what it loaded. Fails naming the reference when neither gives it.
 */
export function loadNodeImageScript(archive: string, reference: string): string {
  const ref = shellQuote(reference);
  return [
    `out=$(docker load -i ${shellQuote(archive)}) || exit $?`,
    `printf '%s\\n' "$out"`,
    `docker image inspect ${ref} >/dev/null 2>&1 && exit 0`,
    `loaded=$(printf '%s\\n' "$out" | sed -n 's/^Loaded image ID: //p; s/^Loaded image: //p' | head -n 1)`,
    `[ -n "$loaded" ] && docker tag "$loaded" ${ref} && exit 0`,
    `echo "docker load did not give the node image the name ${reference}" >&2`,
    "exit 1",
  ].join("\n");
}
