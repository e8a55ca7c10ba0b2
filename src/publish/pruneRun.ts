// Pruning one framework's published images: read every tag's manifest through the registry
// API, plan (prune.ts), and delete the old manifests unless this is a dry run.
import { describePrune, imagesByDigest, planPrune } from "./prune.js";
import type { RegistryClient } from "./registryClient.js";

const CREATED = "org.opencontainers.image.created";

/** Prunes `repository` (host/path, as publish names it) to its newest `keep` images; returns what it did or would do. */
export async function pruneRepository(client: RegistryClient, repository: string, keep: number, dryRun: boolean): Promise<string[]> {
  const path = client.pathOf(repository);
  const tags = await client.tags(path);
  if (tags.length === 0) return [`${repository}: nothing published`];
  const tagged = [];
  for (const tag of tags) {
    const manifest = await client.manifest(path, tag);
    tagged.push({ tag, digest: manifest.digest, created: manifest.annotations[CREATED] });
  }
  const plan = planPrune(imagesByDigest(tagged), keep);
  if (!dryRun) for (const image of plan.remove) await client.deleteManifest(path, image.digest);
  return describePrune(repository, plan, dryRun);
}
