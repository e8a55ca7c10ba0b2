// The layer digests of an image tarball as Dagger's asTarball writes it (an OCI image layout,
// which docker load also reads): index.json, then the manifest it names (through an image index
// when there is one), then its layers.
import { execFileSync } from "node:child_process";

interface Descriptor {
  mediaType: string;
  digest: string;
}

function blob(tarball: string, path: string): { mediaType?: string; manifests?: Descriptor[]; layers?: Descriptor[] } {
  return JSON.parse(execFileSync("tar", ["-xOf", tarball, path], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }));
}

export function layerDigests(tarball: string): string[] {
  let doc = blob(tarball, "index.json");
  for (let depth = 0; !doc.layers; depth++) {
    const next = doc.manifests?.[0];
    if (!next || depth > 2) throw new Error(`${tarball}: no image manifest under index.json`);
    doc = blob(tarball, `blobs/${next.digest.replace(":", "/")}`);
  }
  return doc.layers.map((l) => l.digest);
}
