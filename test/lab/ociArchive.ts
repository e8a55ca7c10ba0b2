// An image from the lab's Docker as the module's archives are: an OCI image layout whose
// index.json names the image with exactly the annotations the module's imageTarball sets
// (src/cluster/archiveNames.ts), plus the manifest.json Docker's classic store reads (as
// containerd's exporter, which Dagger uses, also writes).
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { archiveAnnotations } from "../../src/cluster/archiveNames.js";
import { docker } from "./localRunner.js";

const sha256File = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** Familiar form Docker shows in manifest.json RepoTags (docker.io/library/x:t -> x:t, docker.io/a/b:t -> a/b:t). */
function familiar(reference: string): string {
  return reference.replace(/^docker\.io\/library\//, "").replace(/^docker\.io\//, "");
}

/** Writes `image` (in the lab's Docker) to `out` as an OCI archive named `name`. */
export function writeOciArchive(image: string, name: { reference: string; tag: string }, out: string): void {
  const work = mkdtempSync(join(tmpdir(), "oci-"));
  try {
    const saved = join(work, "saved");
    const layout = join(work, "layout");
    mkdirSync(saved);
    mkdirSync(join(layout, "blobs", "sha256"), { recursive: true });
    execFileSync("sh", ["-c", `docker save "$1" | tar -C "$2" -xf -`, "sh", image, saved]);
    const [entry] = JSON.parse(readFileSync(join(saved, "manifest.json"), "utf8")) as { Config: string; Layers: string[] }[];
    if (!entry) throw new Error(`docker save ${image}: no manifest entry`);
    const moved = new Map<string, { digest: string; size: number }>();
    // docker save links a layer it lists twice to the first copy: resolve every path before moving any.
    const real = new Map([entry.Config, ...entry.Layers].map((p) => [join(saved, p), realpathSync(join(saved, p))]));
    const blob = (link: string) => {
      const path = real.get(link) ?? link;
      const known = moved.get(path);
      if (known) return known;
      const digest = sha256File(path);
      const size = statSync(path).size;
      renameSync(path, join(layout, "blobs", "sha256", digest));
      moved.set(path, { digest: `sha256:${digest}`, size });
      return moved.get(path)!;
    };
    const config = blob(join(saved, entry.Config));
    const layers = entry.Layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", ...blob(join(saved, l)) }));
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config }, layers });
    const manifestPath = join(work, "manifest");
    writeFileSync(manifestPath, manifest);
    const manifestBlob = blob(manifestPath);
    const annotations = archiveAnnotations(name);
    writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(
      join(layout, "index.json"),
      JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifestBlob, annotations }] }),
    );
    writeFileSync(
      join(layout, "manifest.json"),
      JSON.stringify([{ Config: `blobs/sha256/${config.digest.slice(7)}`, RepoTags: [familiar(name.reference)], Layers: layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`) }]),
    );
    execFileSync("tar", ["-C", layout, "-cf", out, "."]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `docker image inspect` Id of an image in the lab's Docker, or undefined. */
export function imageId(image: string): string | undefined {
  try {
    return docker(["image", "inspect", "-f", "{{.Id}}", image]).trim();
  } catch {
    return undefined;
  }
}
