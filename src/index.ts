/**
 * Runs the Kubeflow Training Operator's end-to-end tests anywhere a Dagger engine runs:
 * builds each framework's test image, loads it into a Kind cluster running in a Dagger
 * service, deploys the operator, runs the framework's job and reports.
 */
import { object, func, type Container, type File } from "@dagger.io/dagger";
import { loadCatalog } from "./catalog/loader.js";
import { frameworkImage, imageTarball } from "./images.js";
import { directoryReader, moduleSource } from "./moduleSource.js";

/**
 * Kubeflow Training Operator end-to-end tests in Kind: framework images, cluster, operator, jobs.
 */
@object()
export class TrainingOperatorCi {
  /**
   * List the frameworks in the catalog (frameworks/<name>/framework.yaml): name, job kind and summary, one per line.
   */
  @func()
  async frameworks(): Promise<string> {
    const entries = await loadCatalog(directoryReader(moduleSource()));
    return entries.map((e) => `${e.name}\t${e.spec.job.kind}\t${e.spec.summary}`).join("\n");
  }

  /**
   * Build a framework's test image: pinned base, system packages, pinned Python dependencies, test tools, payload, labels.
   *
   * @param framework Catalog entry to build, e.g. "jax" (list them with `frameworks`).
   * @param tag Image tag. Empty: a hash of exactly the image's inputs, so different content never shares a tag. "latest" is refused.
   * @param revision VCS revision to record in the org.opencontainers.image.revision label (not part of the tag).
   */
  @func()
  async image(framework = "jax", tag = "", revision = ""): Promise<Container> {
    return (await frameworkImage(moduleSource(), framework, { tag, revision })).container;
  }

  /**
   * Export a framework's test image as an OCI tarball named with its full reference, ready for `kind load image-archive` or `docker load`.
   *
   * @param framework Catalog entry to build, e.g. "jax" (list them with `frameworks`).
   * @param tag Image tag. Empty: a hash of exactly the image's inputs. "latest" is refused.
   * @param revision VCS revision to record in the org.opencontainers.image.revision label (not part of the tag).
   */
  @func()
  async tarball(framework = "jax", tag = "", revision = ""): Promise<File> {
    const { container, plan } = await frameworkImage(moduleSource(), framework, { tag, revision });
    return imageTarball(container, plan);
  }

  /**
   * Print the full reference a framework's image gets, e.g. docker.io/kubeflow-ci/jax-e2e:c-0123456789abcdef, without building it.
   *
   * @param framework Catalog entry, e.g. "jax" (list them with `frameworks`).
   * @param tag Image tag. Empty: a hash of exactly the image's inputs. "latest" is refused.
   */
  @func()
  async imageRef(framework = "jax", tag = ""): Promise<string> {
    return (await frameworkImage(moduleSource(), framework, { tag })).plan.reference;
  }
}
