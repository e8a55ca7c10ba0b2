// Loads and validates the catalog: frameworks/defaults.yaml plus one folder per framework.
import { createHash } from "node:crypto";
import { ArgumentError, CatalogError, CatalogErrors } from "./errors.js";
import { checkJobTemplate, type JobTemplate } from "./jobTemplate.js";
import { checkTrainJobTemplate, type TrainJobTemplate } from "./trainJobTemplate.js";
import { joinPath, type SourceReader } from "./reader.js";
import { parsePinnedImage, type PinnedImage } from "./reference.js";
import { parseRequirements, type Requirement } from "./requirements.js";
import { DefaultsSchema, FrameworkSpecSchema, type CatalogDefaults, type ContainerResources, type FrameworkSpec, type PlacedFileSpec } from "./schema.js";
import { parseYaml, validate } from "./yamlFile.js";

export const CATALOG_DIR = "frameworks";
export const DEFAULTS_FILE = `${CATALOG_DIR}/defaults.yaml`;
export const SPEC_FILE_NAME = "framework.yaml";
const FRAMEWORK_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/** A file of the module source, with its content and digest. */
export interface SourceFile {
  /** Path from the module source root, e.g. frameworks/jax/requirements.txt. */
  path: string;
  content: string;
  sha256: string;
}

/** A source file and where it goes in the image. */
export interface PlacedFile extends SourceFile {
  target: string;
}

/** One validated framework, with every file it references read. */
export interface CatalogEntry {
  name: string;
  specFile: string;
  spec: FrameworkSpec;
  defaults: CatalogDefaults;
  baseImage: PinnedImage;
  /** Shared packages first, then the framework's own. */
  systemPackages: string[];
  requirements: SourceFile & { pins: Requirement[] };
  testTools: PlacedFile[];
  payload: PlacedFile[];
  /** The Training Operator v1 job template, when the framework has one. */
  job?: JobTemplate;
  /** Each replica's (or node's) requests and limits: job.resources, or trainJob.resources without a job. */
  resources: ContainerResources;
  /** How long its job may take, in seconds: job.timeoutSeconds, or trainJob.timeoutSeconds without a job. */
  timeoutSeconds: number;
  /** The Trainer v2 TrainJob template, when the framework has one. */
  trainJob?: TrainJobTemplate;
  /** operator.images, each with its files read. */
  operatorImages: { reference: string; from: string; files: PlacedFile[]; kubectl?: string; command?: string[] }[];
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function readSource(reader: SourceReader, specFile: string, field: string, dir: string, relative: string): Promise<SourceFile> {
  const path = joinPath(dir, relative);
  if (!(await reader.isFile(path))) {
    throw new CatalogError(specFile, field, `file "${relative}" not found in ${dir}/`);
  }
  const content = await reader.readText(path);
  return { path, content, sha256: sha256(content) };
}

async function readPlaced(reader: SourceReader, specFile: string, field: string, dir: string, files: PlacedFileSpec[]): Promise<PlacedFile[]> {
  return Promise.all(
    files.map(async (f, i) => ({ ...(await readSource(reader, specFile, `${field}[${i}].source`, dir, f.source)), target: f.target })),
  );
}

/** Framework names: folders under frameworks/ not starting with "_" or ".". */
export async function listFrameworks(reader: SourceReader): Promise<string[]> {
  if (!(await reader.isDirectory(CATALOG_DIR))) {
    throw new CatalogError(CATALOG_DIR, undefined, "catalog folder not found in the module source");
  }
  const names: string[] = [];
  for (const entry of await reader.entries(CATALOG_DIR)) {
    if (entry.startsWith("_") || entry.startsWith(".")) continue;
    if (await reader.isDirectory(joinPath(CATALOG_DIR, entry))) names.push(entry);
  }
  return names.sort();
}

async function loadDefaults(reader: SourceReader): Promise<CatalogDefaults> {
  if (!(await reader.isFile(DEFAULTS_FILE))) throw new CatalogError(DEFAULTS_FILE, undefined, "file not found");
  return validate(DEFAULTS_FILE, DefaultsSchema, parseYaml(DEFAULTS_FILE, await reader.readText(DEFAULTS_FILE)));
}

/** Loads one framework; `argument` names the CLI argument the name came from, for errors. */
export async function loadFramework(
  reader: SourceReader,
  name: string,
  defaults?: CatalogDefaults,
  argument = "framework",
): Promise<CatalogEntry> {
  const known = await listFrameworks(reader);
  if (!known.includes(name)) {
    throw new ArgumentError(argument, `unknown framework "${name}"; available: ${known.join(", ") || "none"} (folders under ${CATALOG_DIR}/)`);
  }
  const shared = defaults ?? (await loadDefaults(reader));
  const dir = joinPath(CATALOG_DIR, name);
  const specFile = joinPath(dir, SPEC_FILE_NAME);
  if (!FRAMEWORK_NAME.test(name)) {
    throw new CatalogError(dir, undefined, `folder name must match ${FRAMEWORK_NAME} (it becomes part of image and job names)`);
  }
  if (!(await reader.isFile(specFile))) {
    throw new CatalogError(specFile, undefined, `file not found: every folder under ${CATALOG_DIR}/ is a framework and needs one (prefix helper folders with "_")`);
  }
  const spec = validate(specFile, FrameworkSpecSchema, parseYaml(specFile, await reader.readText(specFile)));

  const baseImage = parsePinnedImage(spec.image.baseImage ?? shared.baseImage);
  if (typeof baseImage === "string") {
    // The schemas already refuse this; kept so the error still names the right file.
    throw spec.image.baseImage ? new CatalogError(specFile, "image.baseImage", baseImage) : new CatalogError(DEFAULTS_FILE, "baseImage", baseImage);
  }

  const requirementsFile = await readSource(reader, specFile, "image.requirements", dir, spec.image.requirements);
  const { requirements: pins, problems } = parseRequirements(requirementsFile.content);
  if (problems.length > 0) {
    throw new CatalogError(requirementsFile.path, undefined, `${problems.join("; ")} (referenced by ${specFile} image.requirements)`);
  }

  const testTools = [
    ...(await readPlaced(reader, DEFAULTS_FILE, "testTools", CATALOG_DIR, shared.testTools)),
    ...(await readPlaced(reader, specFile, "image.testTools", CATALOG_DIR, spec.image.testTools)),
  ];
  const payload = await readPlaced(reader, specFile, "image.payload", dir, spec.image.payload);
  const targets = new Map<string, string>();
  for (const file of [...testTools, ...payload]) {
    const other = targets.get(file.target);
    if (other) throw new CatalogError(specFile, "image.payload", `"${file.path}" and "${other}" both go to ${file.target}`);
    targets.set(file.target, file.path);
  }

  const operatorImages = await Promise.all(
    spec.operator.images.map(async (image, i) => ({ ...image, files: await readPlaced(reader, specFile, `operator.images[${i}].files`, dir, image.files) })),
  );

  let template: JobTemplate | undefined;
  if (spec.job) {
    const templateFile = await readSource(reader, specFile, "job.template", dir, spec.job.template);
    template = checkJobTemplate(templateFile.path, parseYaml(templateFile.path, templateFile.content), spec.job.kind, spec.job.container);
  }
  let trainJob: TrainJobTemplate | undefined;
  if (spec.trainJob) {
    const file = await readSource(reader, specFile, "trainJob.template", dir, spec.trainJob.template);
    trainJob = checkTrainJobTemplate(file.path, parseYaml(file.path, file.content));
  }

  return {
    name,
    specFile,
    spec,
    defaults: shared,
    baseImage,
    systemPackages: [...shared.systemPackages, ...spec.image.systemPackages],
    requirements: { ...requirementsFile, pins },
    testTools,
    payload,
    job: template,
    // The schema guarantees one of them holds both.
    resources: (spec.job?.resources ?? spec.trainJob?.resources)!,
    timeoutSeconds: (spec.job?.timeoutSeconds ?? spec.trainJob?.timeoutSeconds)!,
    trainJob,
    operatorImages,
  };
}

/** Loads every framework, reporting all broken entries together. */
export async function loadCatalog(reader: SourceReader): Promise<CatalogEntry[]> {
  const defaults = await loadDefaults(reader);
  const names = await listFrameworks(reader);
  const results = await Promise.allSettled(names.map((name) => loadFramework(reader, name, defaults)));
  const problems = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
  if (problems.length > 0) {
    throw new CatalogErrors(problems.map((p) => (p instanceof CatalogError ? p : new CatalogError(CATALOG_DIR, undefined, p.message))));
  }
  return results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
}

/** Parses a comma-separated --framework value into distinct names, in order. */
export function parseFrameworkList(value: string, argument = "framework"): string[] {
  const names = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new ArgumentError(argument, `empty; name one or more frameworks, e.g. "jax" or "jax,pytorch"`);
  return [...new Set(names)];
}

/** Which frameworks run on an operator line: those with a job on v1, those with a trainJob on v2. */
export function runsOn(entry: CatalogEntry, line: "v1" | "v2"): boolean {
  return line === "v1" ? entry.job !== undefined : entry.trainJob !== undefined;
}

/**
 * The --framework argument as catalog names: a comma-separated list, or "all": every
 * framework the operator line runs (on v2, those with a trainJob; a listed one without is
 * refused later, naming its file).
 */
export async function resolveFrameworks(reader: SourceReader, value: string, line: "v1" | "v2" = "v1", argument = "framework"): Promise<string[]> {
  const names = parseFrameworkList(value, argument);
  if (names.includes("all")) {
    if (names.length > 1) throw new ArgumentError(argument, `"all" already means every framework; give it alone or list frameworks without it`);
    return (await loadCatalog(reader)).filter((entry) => runsOn(entry, line)).map((entry) => entry.name);
  }
  const known = await listFrameworks(reader);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new ArgumentError(argument, `unknown framework${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `"${n}"`).join(", ")}; available: ${known.join(", ")}, or "all"`);
  }
  return names;
}

/** The catalog as `frameworks` prints it: one line per entry, tab-separated name, v1 job kind, Trainer v2 runtime (or "-") and summary. */
export function catalogListing(entries: CatalogEntry[]): string {
  return entries.map((e) => `${e.name}\t${e.spec.job?.kind ?? "-"}\t${e.trainJob?.runtime ?? "-"}\t${e.spec.summary}`).join("\n");
}
