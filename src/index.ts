/**
 * Runs the Kubeflow Training Operator's end-to-end tests anywhere a Dagger engine runs:
 * builds each framework's test image, loads it into a Kind cluster running in a Dagger
 * service, deploys the operator, runs the framework's job and reports.
 */
import { object, func, type Container, type Directory, type File } from "@dagger.io/dagger";
import { catalogListing, loadCatalog, resolveFrameworks } from "./catalog/loader.js";
import { resolveNodeImage } from "./cluster/kindConfig.js";
import { parseOperatorLine } from "./versions/lines.js";
import { NO_MIRRORS, parseMirrorFile, type Mirrors } from "./versions/mirrors.js";
import { clusterShell } from "./clusterShell.js";
import { runE2e } from "./e2e.js";
import { E2eRun } from "./e2eRun.js";
import { frameworkImage, imageTarball } from "./images.js";
import { directoryReader, moduleSource } from "./moduleSource.js";

/** The run's mirrors: the file's, checked (a bad entry is an error naming it), or none. */
async function mirrorsFrom(file?: File): Promise<Mirrors> {
  return file ? parseMirrorFile(await file.contents()) : NO_MIRRORS;
}

/**
 * Kubeflow Training Operator end-to-end tests in Kind: framework images, cluster, operator, jobs.
 */
@object()
export class TrainingOperatorCi {
  /**
   * List the frameworks in the catalog (frameworks/<name>/framework.yaml), one per line: name, v1 job kind, Trainer v2 runtime (or "-") and summary.
   */
  @func()
  async frameworks(): Promise<string> {
    return catalogListing(await loadCatalog(directoryReader(moduleSource())));
  }

  /**
   * Build a framework's test image: pinned base, system packages, pinned Python dependencies, test tools, payload, labels.
   *
   * @param framework Catalog entry to build, e.g. "jax" (list them with `frameworks`).
   * @param tag Image tag. Empty: a hash of exactly the image's inputs, so different content never shares a tag. "latest" is refused.
   * @param revision VCS revision to record in the org.opencontainers.image.revision label (not part of the tag).
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
   */
  @func()
  async image(framework = "jax", tag = "", revision = "", mirrors?: File): Promise<Container> {
    return (await frameworkImage(moduleSource(), framework, { tag, revision }, await mirrorsFrom(mirrors))).container;
  }

  /**
   * Export a framework's test image as an OCI tarball named with its full reference, ready for `kind load image-archive` or `docker load`.
   *
   * @param framework Catalog entry to build, e.g. "jax" (list them with `frameworks`).
   * @param tag Image tag. Empty: a hash of exactly the image's inputs. "latest" is refused.
   * @param revision VCS revision to record in the org.opencontainers.image.revision label (not part of the tag).
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
   */
  @func()
  async tarball(framework = "jax", tag = "", revision = "", mirrors?: File): Promise<File> {
    const { container, plan } = await frameworkImage(moduleSource(), framework, { tag, revision }, await mirrorsFrom(mirrors));
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

  /**
   * Run the JAX end-to-end test with no arguments needed: build the JAX image, start Kind in a Dagger service, load the image, deploy the operator (Training Operator v1, or Kubeflow Trainer v2 with --operator v2), run the JAXJob (a TrainJob on jax-distributed with v2). Prints the summary; fails naming the failed step with its last log lines.
   *
   * @param operatorSource Operator checkout to deploy, e.g. --operator-source=. from a kubeflow/trainer tree: release-1.9 for v1, v2.x for --operator v2. Its operator image must name a release, or add --build-operator; with v2 its manifests/base/runtimes are applied, validated by its own webhook. Default: the pinned upstream release of the line.
   * @param buildOperator Build the operator image from the operator source's Dockerfile and deploy it instead of the released image.
   * @param tag Image tag. Empty: a hash of exactly the image's inputs. "latest" is refused.
   * @param kubernetesVersion Kubernetes minor of the Kind node: 1.34 or 1.35 (v1), 1.33 to 1.35 (v2), the minors each line is tested on upstream. Empty: 1.35.
   * @param operator Operator line: v1 (Training Operator v1.9.4, JAXJob, MPIJob, PaddleJob, PyTorchJob, TFJob, XGBoostJob) or v2 (Kubeflow Trainer v2.3.0 with JobSet, TrainJob). Empty: v1.
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
   */
  @func({ cache: "never" })
  async testJax(operatorSource?: Directory, buildOperator = false, tag = "", kubernetesVersion = "", operator = "", mirrors?: File): Promise<string> {
    return (await this.test("jax", tag, "", operatorSource, buildOperator, "", kubernetesVersion, operator, mirrors)).check();
  }

  /**
   * Run the PyTorch end-to-end test (a PyTorchJob, master and worker, over gloo; a TrainJob on torch-distributed with --operator v2). Prints the summary; fails naming the failed step with its last log lines.
   *
   * @param operatorSource Operator checkout to deploy, e.g. --operator-source=. from a kubeflow/trainer tree: release-1.9 for v1, v2.x for --operator v2. Its operator image must name a release, or add --build-operator; with v2 its manifests/base/runtimes are applied, validated by its own webhook. Default: the pinned upstream release of the line.
   * @param buildOperator Build the operator image from the operator source's Dockerfile and deploy it instead of the released image.
   * @param tag Image tag. Empty: a hash of exactly the image's inputs. "latest" is refused.
   * @param kubernetesVersion Kubernetes minor of the Kind node: 1.34 or 1.35 (v1), 1.33 to 1.35 (v2), the minors each line is tested on upstream. Empty: 1.35.
   * @param operator Operator line: v1 (Training Operator v1.9.4, JAXJob, MPIJob, PaddleJob, PyTorchJob, TFJob, XGBoostJob) or v2 (Kubeflow Trainer v2.3.0 with JobSet, TrainJob). Empty: v1.
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
   */
  @func({ cache: "never" })
  async testPytorch(operatorSource?: Directory, buildOperator = false, tag = "", kubernetesVersion = "", operator = "", mirrors?: File): Promise<string> {
    return (await this.test("pytorch", tag, "", operatorSource, buildOperator, "", kubernetesVersion, operator, mirrors)).check();
  }

  /**
   * Run the XGBoost end-to-end test (an XGBoostJob, master and worker, over the collective's tracker; a TrainJob on xgboost-distributed with --operator v2). Prints the summary; fails naming the failed step with its last log lines.
   *
   * @param operatorSource Operator checkout to deploy, e.g. --operator-source=. from a kubeflow/trainer tree: release-1.9 for v1, v2.x for --operator v2. Its operator image must name a release, or add --build-operator; with v2 its manifests/base/runtimes are applied, validated by its own webhook. Default: the pinned upstream release of the line.
   * @param buildOperator Build the operator image from the operator source's Dockerfile and deploy it instead of the released image.
   * @param tag Image tag. Empty: a hash of exactly the image's inputs. "latest" is refused.
   * @param kubernetesVersion Kubernetes minor of the Kind node: 1.34 or 1.35 (v1), 1.33 to 1.35 (v2), the minors each line is tested on upstream. Empty: 1.35.
   * @param operator Operator line: v1 (Training Operator v1.9.4, JAXJob, MPIJob, PaddleJob, PyTorchJob, TFJob, XGBoostJob) or v2 (Kubeflow Trainer v2.3.0 with JobSet, TrainJob). Empty: v1.
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
   */
  @func({ cache: "never" })
  async testXgboost(operatorSource?: Directory, buildOperator = false, tag = "", kubernetesVersion = "", operator = "", mirrors?: File): Promise<string> {
    return (await this.test("xgboost", tag, "", operatorSource, buildOperator, "", kubernetesVersion, operator, mirrors)).check();
  }

  /**
   * Run the end-to-end test of one or more catalog frameworks in one Kind cluster. Chain `check` to fail on failure, or `report -o DIR` to keep the summary, result.json and diagnostics.
   *
   * @param framework Catalog entries to test, comma-separated, e.g. "jax" or "jax,pytorch,xgboost", or "all": every framework the operator line runs (list them with `frameworks`). All share one cluster; jobs run concurrently as far as memory allows.
   * @param tag Image tag, e.g. "pr-123" in CI. Empty: a hash of exactly each image's inputs. "latest" is refused.
   * @param revision VCS revision to record in the images' org.opencontainers.image.revision label.
   * @param operatorSource Operator checkout to deploy, e.g. --operator-source=. from a kubeflow/trainer tree: release-1.9 for v1, v2.x for --operator v2. Its operator image must name a release, or add --build-operator; with v2 its manifests/base/runtimes are applied, validated by its own webhook. Default: the pinned upstream release of the line.
   * @param buildOperator Build the operator image from the operator source's Dockerfile and deploy it instead of the released image.
   * @param nodeImage Kind node image, pinned by digest (kindest/node:vX.Y.Z@sha256:...). Empty: the image kind's release pinned for the Kubernetes version.
   * @param kubernetesVersion Kubernetes minor of the Kind node: 1.34 or 1.35 (v1), 1.33 to 1.35 (v2), the minors each line is tested on upstream. Empty: 1.35.
   * @param operator Operator line: v1 (Training Operator v1.9.4, JAXJob, MPIJob, PaddleJob, PyTorchJob, TFJob, XGBoostJob) or v2 (Kubeflow Trainer v2.3.0 with JobSet, TrainJob). Empty: v1.
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
   */
  @func({ cache: "never" })
  async test(
    framework = "jax",
    tag = "",
    revision = "",
    operatorSource?: Directory,
    buildOperator = false,
    nodeImage = "",
    kubernetesVersion = "",
    operator = "",
    mirrors?: File,
  ): Promise<E2eRun> {
    const line = parseOperatorLine(operator);
    const frameworks = await resolveFrameworks(directoryReader(moduleSource()), framework, line);
    const outcome = await runE2e(moduleSource(), {
      frameworks,
      tag,
      revision,
      operator: line,
      operatorSource,
      buildOperator,
      nodeImage,
      kubernetesVersion,
      mirrors: await mirrorsFrom(mirrors),
      reportCommand: `dagger call test --framework ${frameworks.join(",")} --operator ${line} [the same arguments] report -o ./e2e-report`,
    });
    return new E2eRun(outcome.report.ok, outcome.summary, outcome.message, outcome.reportDir);
  }

  /**
   * A shell on a fresh Kind cluster for interactive debugging: `dagger call cluster terminal` creates the cluster, loads the framework images, deploys the operator, then opens a shell with kubectl, kind and docker; the rendered jobs are in /e2e/jobs.
   *
   * @param framework Catalog entries whose images to load, comma-separated, e.g. "jax", or "all" (every framework the operator line runs).
   * @param operatorSource Operator checkout to deploy, e.g. --operator-source=. from a kubeflow/trainer tree: release-1.9 for v1, v2.x for --operator v2. Its operator image must name a release, or add --build-operator; with v2 its manifests/base/runtimes are applied, validated by its own webhook. Default: the pinned upstream release of the line.
   * @param buildOperator Build the operator image from the operator source's Dockerfile and deploy it instead of the released image.
   * @param nodeImage Kind node image, pinned by digest. Empty: the image kind's release pinned for the Kubernetes version.
   * @param kubernetesVersion Kubernetes minor of the Kind node: 1.34 or 1.35 (v1), 1.33 to 1.35 (v2), the minors each line is tested on upstream. Empty: 1.35.
   * @param operator Operator line: v1 (Training Operator v1.9.4, JAXJob, MPIJob, PaddleJob, PyTorchJob, TFJob, XGBoostJob) or v2 (Kubeflow Trainer v2.3.0 with JobSet, TrainJob). Empty: v1.
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
   */
  @func({ cache: "never" })
  async cluster(framework = "jax", operatorSource?: Directory, buildOperator = false, nodeImage = "", kubernetesVersion = "", operator = "", mirrors?: File): Promise<Container> {
    const line = parseOperatorLine(operator);
    return clusterShell(moduleSource(), {
      frameworks: await resolveFrameworks(directoryReader(moduleSource()), framework, line),
      operator: line,
      operatorSource,
      buildOperator,
      nodeImage: resolveNodeImage(nodeImage, kubernetesVersion, line),
      mirrors: await mirrorsFrom(mirrors),
    });
  }
}
