// The operator's Dockerfile under --mirrors: its base images (FROM) are resolved by the engine,
// outside the module's image pulls, so a mirror file reaches them only by rewriting those lines.
// The rewrite goes into a generated copy of the Dockerfile; the tree under test is not edited.
import { ArgumentError } from "../catalog/errors.js";

/** An image a stage starts FROM, with its 1-based line in the Dockerfile. */
export interface BaseImage {
  line: number;
  image: string;
}

/** What the rewrite needs of a mirror file (versions/mirrors.ts). */
export interface DockerfileMirrors {
  /** The reference to pull for `reference`: its mirror, or itself when the file has none. */
  image(reference: string): string;
  /** The Go module proxy the build's `go` commands use, if the file names one. */
  goProxy?: string;
}

/** A parsed instruction: its first line, and the text with continuations joined. */
interface Instruction {
  line: number;
  lastLine: number;
  text: string;
}

const FROM = /^FROM\s+((?:--[a-z]+=\S+\s+)*)(\S+)(?:\s+AS\s+(\S+))?\s*$/i;

/** Instructions with backslash continuations joined (comments and blank lines skipped). */
function instructions(text: string, file: string): Instruction[] {
  const lines = text.split("\n");
  if (/^#\s*escape\s*=/i.test(lines[0] ?? "")) throw new ArgumentError("operator-source", `${file}: the escape parser directive is not supported here`);
  const result: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let joined = lines[i]!;
    while (/\\\s*$/.test(joined) && i + 1 < lines.length) joined = joined.replace(/\\\s*$/, " ") + lines[++i]!;
    const trimmed = joined.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    result.push({ line: start + 1, lastLine: i + 1, text: trimmed });
  }
  return result;
}

/** A FROM instruction: where it is, its flags, image and stage name, and whether the image is a base image. */
interface From extends Instruction {
  flags: string;
  image: string;
  stage?: string;
  /** Not `scratch`, not an earlier stage by name. */
  base: boolean;
}

/** The Dockerfile's FROM instructions, in order. */
function fromInstructions(text: string, file: string): From[] {
  const stages = new Set<string>();
  return instructions(text, file)
    .filter((instruction) => /^FROM\s/i.test(instruction.text))
    .map((instruction) => {
      const match = FROM.exec(instruction.text);
      if (!match) throw new ArgumentError("operator-source", `${file}:${instruction.line}: cannot read "${instruction.text}" as FROM [--platform=...] IMAGE [AS NAME]`);
      const [, flags, image, stage] = match as unknown as [string, string, string, string | undefined];
      const base = image.toLowerCase() !== "scratch" && !stages.has(image.toLowerCase());
      if (stage) stages.add(stage.toLowerCase());
      return { ...instruction, flags, image, stage, base };
    });
}

/** The images the Dockerfile's stages start from: not `scratch`, not an earlier stage by name. */
export function dockerfileBaseImages(text: string, file: string): BaseImage[] {
  return fromInstructions(text, file)
    .filter((from) => from.base)
    .map(({ line, image }) => ({ line, image }));
}

/**
 * The Dockerfile with every base image replaced by its mirror, and, when the mirror file names
 * a Go module proxy, `ARG GOPROXY` declared in every stage (a build argument is the environment
 * of that stage's RUN commands, and stays out of the image). A base image the mirror file lacks
 * is refused, naming the line: under --mirrors nothing is fetched from where the file does not
 * say. So is one written with a build argument, which the module cannot resolve.
 */
export function mirroredDockerfile(text: string, file: string, mirrors: DockerfileMirrors): { text: string; replaced: { from: string; to: string }[] } {
  const froms = fromInstructions(text, file);
  const mirrored = froms.map((from) => {
    if (!from.base) return from.image;
    if (from.image.includes("$")) {
      throw new ArgumentError("mirrors", `${file}:${from.line}: FROM ${from.image} names its image through a build argument, which --mirrors cannot map; build without --mirrors, or give the stage an image name`);
    }
    const to = mirrors.image(from.image);
    if (to === from.image) {
      throw new ArgumentError("mirrors", `${file}:${from.line}: FROM ${from.image} has no entry in images: add "${from.image}: <your copy>@sha256:<digest>" (the operator build's base images come from the mirror file too)`);
    }
    return to;
  });
  const lines = text.split("\n");
  // From the last instruction up, so that the lines inserted leave the earlier line numbers as they were.
  for (let i = froms.length - 1; i >= 0; i--) {
    const from = froms[i]!;
    const stageLines = [`FROM ${from.flags}${mirrored[i]}${from.stage ? ` AS ${from.stage}` : ""}`, ...(mirrors.goProxy ? ["ARG GOPROXY"] : [])];
    lines.splice(from.line - 1, from.lastLine - from.line + 1, ...stageLines);
  }
  return { text: lines.join("\n"), replaced: froms.flatMap((from, i) => (from.base ? [{ from: from.image, to: mirrored[i]! }] : [])) };
}
