// Writes an image of the lab's Docker as an OCI image layout (blobs/ and index.json) into a
// folder, and prints the digest of its image manifest: what dagger's engine image build does
// for each SDK's content (toolchains/engine-dev/build/sdk.go), whose blobs the engine reads
// from its builtin content store by that digest.
//   npx tsx test/engine-lab/build/ociLayout.ts IMAGE OUTDIR
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeOciArchive } from "../../lab/ociArchive.js";

const [image, out] = process.argv.slice(2);
if (!image || !out) throw new Error("usage: ociLayout.ts IMAGE OUTDIR");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const tar = join(out, "layout.tar");
writeOciArchive(image, { reference: image, tag: image.split(":").at(-1)! }, tar);
execFileSync("tar", ["-C", out, "-xf", tar]);
rmSync(tar);
const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8")) as { manifests: { digest: string }[] };
console.log(index.manifests[0]!.digest);
