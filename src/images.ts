// Turns an image plan into a Dagger Container, one builder step per plan layer, and
// into a named tarball that `kind load image-archive` and `docker load` understand.
import { CacheSharingMode, dag, type Container, type Directory, type File } from "@dagger.io/dagger";
import { loadFramework, type CatalogEntry } from "./catalog/loader.js";
import { aptInstallScript, buildPlan, pipInstallArgs, REQUIREMENTS_MOUNT, userAddArgs, type ImagePlan, type Layer, type PlanOptions } from "./catalog/plan.js";
import type { OperatorImage, OperatorNeeds } from "./catalog/operatorNeeds.js";
import { archiveAnnotations } from "./cluster/archiveNames.js";
import type { ImageArchive } from "./exec/runner.js";
import { directoryReader } from "./moduleSource.js";
import { NO_MIRRORS, type Mirrors } from "./versions/mirrors.js";

const PIP_CACHE = "/root/.cache/pip";

function applyLayer(container: Container, source: Directory, layer: Layer, mirrors: Mirrors): Container {
  switch (layer.step) {
    case "base":
      return container.from(mirrors.image(layer.image.ref));
    case "system-packages":
      return container.withExec(["sh", "-c", aptInstallScript(layer.packages)]);
    case "user":
      return container.withExec(userAddArgs(layer));
    case "python-dependencies":
      // Only the requirements file is mounted, so later layers cannot invalidate this one;
      // the pip cache volume makes a rebuild after a requirements change download little.
      return container
        .withMountedFile(REQUIREMENTS_MOUNT, source.file(layer.requirements.path))
        .withMountedCache(PIP_CACHE, dag.cacheVolume("training-operator-ci-pip"), { sharing: CacheSharingMode.Locked })
        .withEnvVariable("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .withEnvVariable("PIP_ROOT_USER_ACTION", "ignore")
        .withExec(pipInstallArgs(mirrors.pipIndexes(layer)))
        .withExec(["python", "-m", "pip", "check"])
        .withoutEnvVariable("PIP_ROOT_USER_ACTION")
        .withoutEnvVariable("PIP_DISABLE_PIP_VERSION_CHECK")
        .withoutMount(PIP_CACHE)
        .withoutMount(REQUIREMENTS_MOUNT);
    case "test-tools":
    case "payload":
      return layer.files.reduce((c, f) => c.withFile(f.target, source.file(f.path)), container);
    case "metadata": {
      let c = Object.entries(layer.env).reduce((acc, [name, value]) => acc.withEnvVariable(name, value), container);
      c = Object.entries(layer.labels).reduce((acc, [name, value]) => acc.withLabel(name, value), c);
      return c.withWorkdir(layer.workdir).withDefaultArgs(layer.command);
    }
  }
}

/**
 * The framework image, built lazily: nothing runs until something needs its content. Mirrors
 * change only where the base and the packages come from, never the plan's tag.
 */
export function buildImage(source: Directory, plan: ImagePlan, base: Container = dag.container(), mirrors: Mirrors = NO_MIRRORS): Container {
  return plan.layers.reduce((c, layer) => applyLayer(c, source, layer, mirrors), base);
}

/** The image as an OCI tarball that carries its full reference (archiveAnnotations). */
export function imageTarball(image: Container, name: Pick<ImagePlan, "reference" | "tag">): File {
  return Object.entries(archiveAnnotations(name))
    .reduce((c, [key, value]) => c.withAnnotation(key, value), image)
    .asTarball();
}

/** A framework's catalog entry, its build plan and its image, ready to use. */
export interface FrameworkImage {
  entry: CatalogEntry;
  plan: ImagePlan;
  container: Container;
  /** With --images-from: the published image it is, reference@digest (loaded under plan.reference). */
  pulledFrom?: string;
}

/** Loads a framework from the module source and plans and wires its image. */
export async function frameworkImage(source: Directory, framework: string, options: PlanOptions = {}, mirrors: Mirrors = NO_MIRRORS): Promise<FrameworkImage> {
  const entry = await loadFramework(directoryReader(source), framework);
  const plan = buildPlan(entry, options);
  return { entry, plan, container: buildImage(source, plan, dag.container(), mirrors) };
}

/**
 * An image pulled by the engine (which enforces its digest, if pinned), from its mirror if the
 * run has one, as a tarball named `name.reference`.
 */
export function pulledImageArchive(from: string, name: Pick<ImagePlan, "reference" | "tag">, mirrors: Mirrors = NO_MIRRORS): ImageArchive<File> {
  return { reference: name.reference, file: imageTarball(dag.container().from(mirrors.image(from)), name) };
}

/** The frameworks' images as named tarballs. */
export function frameworkArchives(images: FrameworkImage[]): ImageArchive<File>[] {
  return images.map((image) => ({ reference: image.plan.reference, file: imageTarball(image.container, image.plan) }));
}

/**
 * An image the operator starts: its pinned base plus its files, executable, the run's kubectl
 * where it asks for one (`kubectl`: the tools container's, pinned by sha256) and its command.
 */
export function operatorImage(source: Directory, image: OperatorImage, kubectl: File, base: Container = dag.container(), mirrors: Mirrors = NO_MIRRORS): Container {
  let c = image.files.reduce((acc, f) => acc.withFile(f.target, source.file(f.path), { permissions: 0o755 }), base.from(mirrors.image(image.from.ref)));
  if (image.kubectl) c = c.withFile(image.kubectl, kubectl, { permissions: 0o755 });
  return image.command ? c.withDefaultArgs(image.command) : c;
}

/** Images the operator starts for the frameworks' jobs, named as the flags expect; `kubectl` is the run's own. */
export function operatorArchives(source: Directory, needs: OperatorNeeds, kubectl: File, mirrors: Mirrors = NO_MIRRORS): ImageArchive<File>[] {
  return needs.images.map((image) => ({ reference: image.reference, file: imageTarball(operatorImage(source, image, kubectl, dag.container(), mirrors), image) }));
}
