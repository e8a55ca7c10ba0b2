// The images the module would build for a run, built here from the module's own plans:
// each framework image layer for layer from buildPlan (on a Debian bookworm Python 3.11 base
// instead of the pinned python image, which no registry here serves), the operator's extra
// images from operatorNeeds, and every archive written as the module writes it.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { execFileSync } from "node:child_process";
import type { CatalogEntry } from "../../src/catalog/loader.js";
import type { OperatorImage } from "../../src/catalog/operatorNeeds.js";
import { aptInstallScript, buildPlan, pipInstallArgs, REQUIREMENTS_MOUNT, userAddArgs, type ImagePlan, type Layer } from "../../src/catalog/plan.js";
import { REPO_ROOT } from "../helpers/catalogFixture.js";
import { imageId, writeOciArchive } from "./ociArchive.js";

/** The lab's stand-in for python:3.11.16-slim-bookworm: Debian bookworm's Python 3.11. */
export const PYTHON_BASE = "lab/python:3.11-bookworm";

const json = (value: unknown) => JSON.stringify(value);

/** Labelled as the lab's, so tidy.sh removes an image once a rebuild leaves it untagged. */
function build(tag: string, context: string, dockerfile: string): void {
  writeFileSync(join(context, "Dockerfile"), dockerfile);
  execFileSync("docker", ["build", "-q", "--label", "lab.recipe=module-plan", "-t", tag, context], { stdio: ["ignore", "ignore", "inherit"] });
}

function freshContext(root: string, name: string): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The base: Debian's Python 3.11 with pip, trusting the CA bundle the host trusts. */
export function buildPythonBase(contextRoot: string): void {
  const ctx = freshContext(contextRoot, "python-base");
  copyFileSync("/etc/ssl/certs/ca-certificates.crt", join(ctx, "ca-certificates.crt"));
  build(
    PYTHON_BASE,
    ctx,
    [
      "FROM lab/debian:bookworm",
      "RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip python-is-python3 ca-certificates && rm -rf /var/lib/apt/lists/*",
      "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
      // Debian marks its Python as externally managed; the image's Python is the payload's alone.
      "ENV PIP_BREAK_SYSTEM_PACKAGES=1",
    ].join("\n") + "\n",
  );
}

/**
 * Where the image installs what the development machines cannot (torch from PyTorch's
 * index), the framework declares a local stand-in (tests/debian-packages.txt,
 * tests/requirements-local.txt); the payload tests use it, and so does the lab.
 */
function localStandIn(entry: CatalogEntry): { debian: string[]; requirements?: string } | undefined {
  const dir = join(REPO_ROOT, "frameworks", entry.name, "tests");
  const debianFile = join(dir, "debian-packages.txt");
  if (!existsSync(debianFile)) return undefined;
  const debian = readFileSync(debianFile, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const local = join(dir, "requirements-local.txt");
  return { debian, requirements: existsSync(local) ? local : undefined };
}

/** One Dockerfile instruction block per plan layer, in the plan's order. */
function dockerfileFor(entry: CatalogEntry, plan: ImagePlan, ctx: string): string {
  const lines: string[] = [];
  const copy = (path: string, target: string) => {
    mkdirSync(dirname(join(ctx, path)), { recursive: true });
    copyFileSync(join(REPO_ROOT, path), join(ctx, path));
    lines.push(`COPY ${path} ${target}`);
  };
  for (const layer of plan.layers as Layer[]) {
    switch (layer.step) {
      case "base":
        lines.push(`FROM ${PYTHON_BASE}`);
        break;
      case "system-packages":
        lines.push(`RUN ${aptInstallScript(layer.packages)}`);
        break;
      case "user":
        lines.push(`RUN ${userAddArgs(layer).join(" ")}`);
        break;
      case "python-dependencies": {
        const standIn = localStandIn(entry);
        if (standIn) {
          lines.push(`RUN ${aptInstallScript(standIn.debian)}`);
          if (standIn.requirements && readFileSync(standIn.requirements, "utf8").split("\n").some((l) => l.trim() && !l.startsWith("#"))) {
            copyFileSync(standIn.requirements, join(ctx, "requirements-local.txt"));
            lines.push(`COPY requirements-local.txt ${REQUIREMENTS_MOUNT}`, `RUN python -m pip install --no-deps -r ${REQUIREMENTS_MOUNT} && rm ${REQUIREMENTS_MOUNT}`);
          }
          break;
        }
        copy(layer.requirements.path, REQUIREMENTS_MOUNT);
        lines.push(`RUN ${pipInstallArgs(layer).join(" ")} && python -m pip check && rm ${REQUIREMENTS_MOUNT}`);
        break;
      }
      case "test-tools":
      case "payload":
        for (const f of layer.files) copy(f.path, f.target);
        break;
      case "metadata":
        for (const [k, v] of Object.entries(layer.env)) lines.push(`ENV ${k}=${json(v)}`);
        for (const [k, v] of Object.entries(layer.labels)) lines.push(`LABEL ${json(k)}=${json(v)}`);
        lines.push(`WORKDIR ${layer.workdir}`, `CMD ${json(layer.command)}`);
        break;
    }
  }
  return lines.join("\n") + "\n";
}

export interface BuiltArchive {
  reference: string;
  /** Host path of the OCI archive. */
  file: string;
}

/** Builds a framework's image from its plan and writes its archive (kept when the image did not change). */
export function frameworkArchive(entry: CatalogEntry, tag: string, contextRoot: string, archiveDir: string): BuiltArchive {
  const plan = buildPlan(entry, { tag });
  const ctx = freshContext(contextRoot, `framework-${entry.name}`);
  const before = imageId(plan.reference);
  build(plan.reference, ctx, dockerfileFor(entry, plan, ctx));
  forgetReplaced(before, plan.reference, archiveDir);
  return archiveOf(plan.reference, plan.tag, archiveDir);
}

/** A rebuild's predecessor goes at once, image and archive: a run's peak disk use holds one of each. */
function forgetReplaced(before: string | undefined, reference: string, archiveDir: string): void {
  if (!before || before === imageId(reference)) return;
  rmSync(archiveFile(before, archiveDir), { force: true });
  try {
    execFileSync("docker", ["image", "rm", before], { stdio: "ignore" });
  } catch {
    // still used by another tag or a container: tidy.sh removes it once it is not
  }
}

function archiveFile(id: string, archiveDir: string): string {
  return join(archiveDir, `${id.replace("sha256:", "").slice(0, 24)}.tar`);
}

/**
 * An image the operator starts (PyTorchJob's init container, MPIJob's kubectl delivery): a Debian
 * busybox stand-in for the pinned alpine, plus its files, the lab's kubectl (`kubectl`, the
 * run's own in a real run) and its command, as operatorImage does.
 */
export function operatorImageArchive(image: OperatorImage, contextRoot: string, archiveDir: string, kubectl: string): BuiltArchive {
  const ctx = freshContext(contextRoot, `operator-image-${image.reference.split("/").at(-1)!.replace(/[^a-z0-9.-]/g, "-")}`);
  const lines = ["FROM lab/debian:bookworm", `RUN ${aptInstallScript(["busybox"])}`];
  for (const f of image.files) {
    mkdirSync(dirname(join(ctx, f.path)), { recursive: true });
    copyFileSync(join(REPO_ROOT, f.path), join(ctx, f.path));
    lines.push(`COPY ${f.path} ${f.target}`, `RUN chmod 0755 ${f.target}`);
  }
  if (image.kubectl) {
    copyFileSync(kubectl, join(ctx, "kubectl"));
    lines.push(`COPY kubectl ${image.kubectl}`, `RUN chmod 0755 ${image.kubectl}`);
  }
  if (image.command) lines.push(`CMD ${json(image.command)}`);
  const before = imageId(image.reference);
  build(image.reference, ctx, lines.join("\n") + "\n");
  forgetReplaced(before, image.reference, archiveDir);
  return archiveOf(image.reference, image.tag, archiveDir);
}

/** The archive of an image already in the lab's Docker, rewritten only when the image changed. */
export function archiveOf(reference: string, tag: string, archiveDir: string): BuiltArchive {
  mkdirSync(archiveDir, { recursive: true });
  const id = imageId(reference);
  if (!id) throw new Error(`image ${reference} is not in the lab's Docker`);
  const file = archiveFile(id, archiveDir);
  if (!existsSync(file)) writeOciArchive(reference, { reference, tag }, `${file}.partial`), execFileSync("mv", [`${file}.partial`, file]);
  return { reference, file };
}

/**
 * Removes what earlier runs built and this one does not use: framework images of the module's
 * plans other than `kept` (the lab once built every framework), and every archive but `used`.
 * Nothing the lab keeps sits on the disk unused.
 */
export function forgetUnused(kept: string[], used: BuiltArchive[], archiveDir: string): string[] {
  // By image ID: another tag of a kept image (the engine lab's registry copy of the Python base) frees nothing.
  const keptIds = new Set(kept.flatMap((ref) => {
    try {
      return [execFileSync("docker", ["image", "inspect", "--format", "{{.Id}}", ref], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()];
    } catch {
      return []; // not in Docker: nothing of it to keep
    }
  }));
  const images = execFileSync("docker", ["images", "--no-trunc", "--filter", "label=lab.recipe=module-plan", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.split(" "))
    .filter(([id, ref]) => id && ref && !ref.includes("<none>") && !keptIds.has(id))
    .map(([, ref]) => ref!);
  if (images.length > 0) execFileSync("docker", ["image", "rm", ...images], { stdio: "ignore" });
  const usedFiles = new Set(used.map((a) => a.file));
  const archives = readdirSync(archiveDir).map((name) => join(archiveDir, name)).filter((file) => !usedFiles.has(file));
  for (const file of archives) rmSync(file, { force: true });
  return [...images, ...archives];
}
