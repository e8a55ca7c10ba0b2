// `promote`: gives each framework's published image of these sources (found by its version,
// the content tag) a release tag, by digest, through the registry API: the release then names
// exactly the images its e2e jobs tested, and nothing is rebuilt.
import { ArgumentError } from "../catalog/errors.js";
import { tagProblem } from "../catalog/reference.js";
import type { RegistryClient } from "./registryClient.js";

/** A release tag: a valid OCI tag, never "latest" and never a version's own form. */
export function checkReleaseTag(tag: string): void {
  const problem = tagProblem(tag);
  if (problem) throw new ArgumentError("release", problem);
  if (/^c-[0-9a-f]{16}$/.test(tag)) throw new ArgumentError("release", `"${tag}" has the form of an image version (c-<16 hex>); give the release's own tag, e.g. v1.2.0`);
}

/**
 * Tags the image `repository:version` (or, given, exactly the manifest `digest`, which must
 * carry that version) as `repository:release`; returns `repository:release@digest`.
 */
export async function promoteImage(client: RegistryClient, repository: string, version: string, release: string, digest?: string): Promise<string> {
  const path = client.pathOf(repository);
  const manifest = await client.rawManifest(path, digest ?? version);
  if (digest) {
    const said = (JSON.parse(Buffer.from(manifest.bytes).toString("utf8")) as { annotations?: Record<string, string> }).annotations?.["org.opencontainers.image.version"];
    if (said !== version) throw new Error(`${repository}@${digest} is not version ${version} of these sources (its version annotation: ${JSON.stringify(said)})`);
  }
  const given = await client.putManifest(path, release, manifest);
  if (given && given !== manifest.digest) throw new Error(`${repository}:${release} got ${given}, not ${manifest.digest} of ${version}`);
  return `${repository}:${release}@${manifest.digest}`;
}
