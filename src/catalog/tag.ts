// Image tags: an explicit --tag, validated, or a hash of exactly the image's inputs,
// so different content never shares a tag and identical content always does.
import { createHash } from "node:crypto";
import { ArgumentError } from "./errors.js";
import type { CatalogEntry, SourceFile } from "./loader.js";
import { tagProblem } from "./reference.js";

/** Bump when the build steps in images.ts change what a given set of inputs produces. */
const BUILD_RECIPE_VERSION = 1;
const CONTENT_TAG_PREFIX = "c-";

const digestOf = (f: SourceFile & { target?: string }) => ({ path: f.path, target: f.target, sha256: f.sha256 });

/** Everything that determines the image's content, and nothing else. */
function imageInputs(entry: CatalogEntry): unknown {
  const { baseImage: _override, ...image } = entry.spec.image;
  return {
    recipe: BUILD_RECIPE_VERSION,
    summary: entry.spec.summary, // the description label
    base: entry.baseImage.ref,
    systemPackages: entry.systemPackages,
    env: entry.defaults.env,
    workdir: entry.defaults.workdir,
    image: { ...image, requirements: digestOf(entry.requirements), payload: entry.payload.map(digestOf) },
    testTools: entry.testTools.map(digestOf),
  };
}

/** JSON with object keys sorted, so equal inputs always hash the same. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** `c-` and the first 16 hex digits of the sha256 of the image inputs. */
export function contentTag(entry: CatalogEntry): string {
  const digest = createHash("sha256").update(canonicalJson(imageInputs(entry))).digest("hex");
  return `${CONTENT_TAG_PREFIX}${digest.slice(0, 16)}`;
}

/** The tag to use: `tag` when given (validated), else the content tag. */
export function resolveTag(entry: CatalogEntry, tag?: string | null): string {
  if (tag === undefined || tag === null || tag === "") return contentTag(entry);
  const problem = tagProblem(tag);
  if (problem) throw new ArgumentError("tag", problem);
  return tag;
}
