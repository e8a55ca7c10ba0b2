// Which published test images to remove: per framework, every image (a manifest digest with
// its tags) older than the newest `keep` versions. Age comes from the created annotation
// `publish` writes (the commit's time); an image without one is never removed, since nothing
// says how old it is, and neither is one a release names (any tag publish does not write,
// e.g. promote's v1.2.0): deleting a manifest deletes every tag on it.

/** The tags publish writes: a version (content tag), a commit id, pr-N. */
const PUBLISH_TAG = /^(c-[0-9a-f]{16}|[0-9a-f]{7,64}|pr-[0-9]+)$/;

/** One published image of a framework: a manifest and the tags that point at it. */
export interface PublishedImage {
  digest: string;
  tags: string[];
  /** org.opencontainers.image.created, when the manifest has it. */
  created?: string;
}

export interface PrunePlan {
  keep: PublishedImage[];
  remove: PublishedImage[];
  /** Images kept because they say nothing of their age. */
  undated: PublishedImage[];
  /** Images kept because a release names them. */
  released: PublishedImage[];
}

/** Groups a repository's tags by the digest each names. */
export function imagesByDigest(tagged: { tag: string; digest: string; created?: string }[]): PublishedImage[] {
  const byDigest = new Map<string, PublishedImage>();
  for (const { tag, digest, created } of tagged) {
    const image = byDigest.get(digest) ?? { digest, tags: [], created };
    image.tags.push(tag);
    byDigest.set(digest, image);
  }
  return [...byDigest.values()].map((i) => ({ ...i, tags: i.tags.sort() }));
}

/** The newest `keep` dated images stay, the older ones go; undated ones stay. */
export function planPrune(images: PublishedImage[], keep: number): PrunePlan {
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`keep must be a whole number of at least 1, found ${keep}`);
  const released = images.filter((i) => i.tags.some((t) => !PUBLISH_TAG.test(t)));
  const candidates = images.filter((i) => !released.includes(i));
  const dated = candidates.filter((i) => i.created !== undefined && !Number.isNaN(Date.parse(i.created)));
  const undated = candidates.filter((i) => !dated.includes(i));
  // Newest first; equal times by digest, so the plan does not depend on the registry's order.
  dated.sort((a, b) => Date.parse(b.created!) - Date.parse(a.created!) || a.digest.localeCompare(b.digest));
  return { keep: dated.slice(0, keep), remove: dated.slice(keep), undated, released };
}

/** The plan as lines a person reads: what goes (or would go), what stays and why. */
export function describePrune(repository: string, plan: PrunePlan, dryRun: boolean): string[] {
  const show = (i: PublishedImage) => `${repository}@${i.digest} (${i.tags.join(", ")}${i.created ? `, created ${i.created}` : ""})`;
  return [
    ...plan.remove.map((i) => `${dryRun ? "would remove" : "removed"} ${show(i)}`),
    ...plan.keep.map((i) => `keep ${show(i)}`),
    ...plan.undated.map((i) => `keep ${show(i)}: no created annotation, so its age is unknown`),
    ...plan.released.map((i) => `keep ${show(i)}: a release names it`),
  ];
}
