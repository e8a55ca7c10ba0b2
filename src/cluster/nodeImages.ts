// Confirms that `kind load` left each image in the node under its exact reference.

/** Image references from `crictl images -o json`. */
export function parseCrictlImages(json: string): string[] {
  const parsed = JSON.parse(json) as { images?: { repoTags?: string[] | null }[] };
  return (parsed.images ?? []).flatMap((i) => i.repoTags ?? []);
}

/** The gitVersion of an API server's /version answer (e.g. "v1.34.10"). */
export function parseServerVersion(json: string): string {
  const version = (JSON.parse(json) as { gitVersion?: unknown }).gitVersion;
  if (typeof version !== "string" || !/^v\d+\.\d+\.\d+/.test(version)) throw new Error(`the API server's /version gives no gitVersion: ${json.trim().slice(0, 200)}`);
  return version;
}

/** Problems for each expected reference that the node does not have; empty when all are present. */
export function missingImages(expected: string[], present: string[], node: string): string[] {
  const have = new Set(present);
  return expected
    .filter((ref) => !have.has(ref))
    .map((ref) => {
      const anonymous = present.filter((p) => p.startsWith("import-"));
      const hint = anonymous.length > 0 ? `; it holds unnamed imports (${anonymous.join(", ")}): the tarball lost its io.containerd.image.name annotation` : "";
      return `image ${ref} is not in node ${node} after kind load${hint}; the node has: ${present.join(", ") || "no images"}`;
    });
}
