// Running from mirrors: a file that replaces the outside references a run uses (images,
// binaries, git repositories, Python package indexes, the operator build's Go module proxy) with a team's own copies, for machines
// that cannot reach Docker Hub, GitHub or dl.k8s.io. Every replacement stays pinned: an image
// by digest, a binary by sha256; a git mirror must still resolve each tag to the pinned commit
// (operator/deploy.ts checks that as for the public repository).
import { parse } from "yaml";
import { z } from "zod";
import { ArgumentError } from "../catalog/errors.js";
import { normalizeName } from "../catalog/reference.js";
import type { PinnedBinary } from "./pins.js";

const DIGEST_PINNED = /^[A-Za-z0-9][A-Za-z0-9._\-/:]*@sha256:[a-f0-9]{64}$/;
const url = z.string().regex(/^(https?):\/\/[^\s]+$/, "must be an http(s) URL");

const MirrorFileSchema = z.strictObject({
  /** Image reference as the run names it (any form Docker accepts) -> a copy pinned by digest. */
  images: z.record(z.string().min(1), z.string().regex(DIGEST_PINNED, "must be pinned by digest: name@sha256:<64 hex digits> (or name:tag@sha256:...)")).default({}),
  /** Download URL as the module pins it -> where to fetch it, and the sha256 that copy has. */
  binaries: z.record(url, z.strictObject({ url, sha256: z.string().regex(/^[a-f0-9]{64}$/, "must be 64 lowercase hex digits") })).default({}),
  /** Git repository URL -> a mirror of it; its tags must name the same commits. */
  git: z.record(url, url).default({}),
  /** Python package index URL (the catalog's pipIndexUrl, pipExtraIndexUrls, or PyPI's) -> a mirror of it. */
  pipIndexes: z.record(url, url).default({}),
  /** A Go module proxy (GOPROXY) for the operator build's `go` commands (--build-operator). */
  goProxy: url.optional(),
});

export type MirrorFile = z.infer<typeof MirrorFileSchema>;

/** pip's default index, which a mirror file may replace like any other. */
export const PYPI_INDEX = "https://pypi.org/simple";

/** A reference in one canonical form, `registry/repository:tag@digest` (tag or digest may be empty), so any spelling Docker accepts matches. */
function imageKey(reference: string): string {
  const [named, digest = ""] = reference.split("@") as [string, string?];
  const slash = named.lastIndexOf("/");
  const colon = named.lastIndexOf(":");
  const [name, tag] = colon > slash ? [named.slice(0, colon), named.slice(colon + 1)] : [named, ""];
  return `${normalizeName(name)}:${tag}@${digest}`;
}

/** The replacements a run applies; with no file, every reference stays as the module pins it. */
export class Mirrors {
  private readonly images: Map<string, string>;

  constructor(private readonly file: MirrorFile = { images: {}, binaries: {}, git: {}, pipIndexes: {} }) {
    this.images = new Map(Object.entries(file.images).map(([from, to]) => [imageKey(from), to]));
  }

  /** True when the file replaces anything (the summary then says so). */
  get used(): boolean {
    return this.file.goProxy !== undefined || [this.file.images, this.file.binaries, this.file.git, this.file.pipIndexes].some((m) => Object.keys(m).length > 0);
  }

  /** The Go module proxy for the operator build, if the file names one. */
  get goProxy(): string | undefined {
    return this.file.goProxy;
  }

  /** The reference to pull for `reference`: its mirror, or itself. */
  image(reference: string): string {
    return this.images.get(imageKey(reference)) ?? reference;
  }

  /** The binary to download for `binary`: from its mirror, checked against the mirror's sha256. */
  binary(binary: PinnedBinary): PinnedBinary {
    const mirror = this.file.binaries[binary.url];
    return mirror ? { name: binary.name, url: mirror.url, sha256: mirror.sha256 } : binary;
  }

  /** The repository to fetch for `repository`. */
  git(repository: string): string {
    return this.file.git[repository] ?? repository;
  }

  /** The index to install from for `index` (PYPI_INDEX where a plan names none). */
  pipIndex(index: string): string {
    return this.file.pipIndexes[index] ?? index;
  }

  /** A pip install's indexes, mirrored: pip's default (PyPI) too, where the file replaces it. */
  pipIndexes<L extends { indexUrl?: string; extraIndexUrls: string[] }>(layer: L): L {
    const index = layer.indexUrl ?? PYPI_INDEX;
    const mirrored = this.pipIndex(index);
    return { ...layer, indexUrl: layer.indexUrl !== undefined || mirrored !== index ? mirrored : undefined, extraIndexUrls: layer.extraIndexUrls.map((u) => this.pipIndex(u)) };
  }
}

/** No file: every reference as the module pins it. */
export const NO_MIRRORS = new Mirrors();

/** Parses a mirror file's text; an unknown key, an image without a digest or a binary without a sha256 is an error naming the entry. */
export function parseMirrorFile(text: string, argument = "mirrors"): Mirrors {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new ArgumentError(argument, `invalid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const result = MirrorFileSchema.safeParse(doc ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : /^[A-Za-z]\w*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`)).join("").replace(/^\./, "");
    const what = issue.code === "unrecognized_keys" ? `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}: a mirror file has images, binaries, git, pipIndexes and goProxy` : issue.message;
    throw new ArgumentError(argument, `${where || "(top level)"}: ${what}`);
  }
  return new Mirrors(result.data);
}
