/**
 * Runs the Kubeflow Training Operator's end-to-end tests anywhere a Dagger engine runs:
 * builds each framework's test image, loads it into a Kind cluster running in a Dagger
 * service, deploys the operator, runs the framework's job and reports.
 */
import { object, func, type Container, type Directory, type File, type Secret } from "@dagger.io/dagger";
import { catalogListing, listFrameworks, loadCatalog, loadFramework, resolveFrameworks, type CatalogEntry } from "./catalog/loader.js";
import { resolveNodeImage } from "./cluster/kindConfig.js";
import { chooseOperatorLine, type OperatorLine } from "./versions/lines.js";
import { treeLines } from "./operator/deploy.js";
import { NO_MIRRORS, parseMirrorFile, type Mirrors } from "./versions/mirrors.js";
import { clusterShell } from "./clusterShell.js";
import { runE2e } from "./e2e.js";
import { E2eRun } from "./e2eRun.js";
import { buildImage, frameworkImage, imageTarball } from "./images.js";
import { buildPlan } from "./catalog/plan.js";
import { checkCredentials, checkImagesFrom, parsePublished, parseRegistry, planPublish, publishedLines, recordedDigest } from "./publish/plan.js";
import { checkReleaseTag, promoteImage } from "./publish/promote.js";
import { pushImages, registryHost } from "./publish/push.js";
import { pruneRepository } from "./publish/pruneRun.js";
import { RegistryClient } from "./publish/registryClient.js";
import { ArgumentError } from "./catalog/errors.js";
import { directoryReader, moduleSource } from "./moduleSource.js";

/** The catalog entries a registry function works on: those listed, or with "all" every framework of either operator line. */
async function registryEntries(framework: string): Promise<CatalogEntry[]> {
  const reader = directoryReader(moduleSource());
  const names = framework.trim() === "all" ? await listFrameworks(reader) : await resolveFrameworks(reader, framework);
  return Promise.all(names.map((name) => loadFramework(reader, name)));
}

/** The registry client for `registry`'s host, with the secret's plaintext read only here. */
async function registryClient(registry: string, username: string, password: Secret | undefined, actions: string, plainHttp: boolean): Promise<RegistryClient> {
  return new RegistryClient(registryHost(parseRegistry(registry)), password ? { username, password: await password.plaintext() } : undefined, actions, plainHttp);
}

/** The run's mirrors: the file's, checked (a bad entry is an error naming it), or none. */
async function mirrorsFrom(file?: File): Promise<Mirrors> {
  return file ? parseMirrorFile(await file.contents()) : NO_MIRRORS;
}

/** --operator, or when it is empty the line of the --operator-source tree (chooseOperatorLine). */
async function operatorLine(operator: string, source?: Directory): Promise<{ line: OperatorLine; fromTree: boolean }> {
  return chooseOperatorLine(operator, source && operator.trim() === "" ? await treeLines(source) : undefined);
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
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes, goProxy) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
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
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes, goProxy) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
   */
  @func()
  async tarball(framework = "jax", tag = "", revision = "", mirrors?: File): Promise<File> {
    const { container, plan } = await frameworkImage(moduleSource(), framework, { tag, revision }, await mirrorsFrom(mirrors));
    return imageTarball(container, plan);
  }

  /**
   * Build the frameworks' test images and push them to a registry, tagged with each image's version (a hash of exactly what it is built from, as `image-ref` prints it), the commit and pr-N where given, and annotated with source, revision, version, the commit's time and the pinned packages. Prints one line per pushed tag: framework, then reference@digest. Stops at the first failed push.
   *
   * @param registry Registry and path to push under, host[:port]/path, e.g. ghcr.io/kubeflow/training-operator-ci: each image goes to <registry>/<name>-e2e.
   * @param framework Comma-separated catalog entries, or "all": every framework of either operator line.
   * @param username Registry user name; give it with password, or neither for a registry without authentication.
   * @param password Registry password or token as a Dagger secret, e.g. env:REGISTRY_TOKEN. It is never printed or stored in a layer.
   * @param revision The commit the images are built from (its full id, git rev-parse HEAD): a tag, the revision annotation and label.
   * @param pr Pull request number: the tag pr-N. 0: none.
   * @param created The commit's time, RFC 3339 (git log -1 --format=%cI): the created annotation. Empty: none; the clock is never used, so the same sources and commit publish the same metadata.
   * @param source https URL of the module's source repository: the source annotation. Empty: none.
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes, goProxy) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
   */
  @func({ cache: "never" })
  async publish(
    registry: string,
    framework = "all",
    username = "",
    password?: Secret,
    revision = "",
    pr = 0,
    created = "",
    source = "",
    mirrors?: File,
  ): Promise<string> {
    checkCredentials(username, password !== undefined);
    const entries = await registryEntries(framework);
    const plans = planPublish(entries, { registry, revision: revision || undefined, pr: pr || undefined, created: created || undefined, source: source || undefined });
    const resolved = await mirrorsFrom(mirrors);
    const images = entries.map((entry, i) => ({ plan: plans[i]!, container: buildImage(moduleSource(), buildPlan(entry, { revision }), undefined, resolved) }));
    return publishedLines(await pushImages(images, password ? { username, password } : undefined));
  }

  /**
   * List a registry's published test images older than each framework's newest --keep versions (by the created annotation publish writes) and, with --dry-run=false, delete them: each old manifest with every tag naming it. An image without a created annotation is always kept. Dry run by default.
   *
   * @param registry Registry and path the images were published under, as given to publish, e.g. ghcr.io/kubeflow/training-operator-ci.
   * @param framework Comma-separated catalog entries, or "all": every framework of either operator line.
   * @param keep How many of each framework's newest images to keep (at least 1).
   * @param username Registry user name; give it with password, or neither for a registry without authentication.
   * @param password Registry password or token as a Dagger secret, e.g. env:REGISTRY_TOKEN; needs the right to delete.
   * @param dryRun List what would be deleted without deleting it. Set --dry-run=false to delete.
   * @param plainHttp Reach the registry over plain HTTP: a self-hosted registry without TLS (one the engine lists as insecure for publish). The credentials then travel unencrypted.
   */
  @func({ cache: "never" })
  async pruneImages(registry: string, framework = "all", keep = 5, username = "", password?: Secret, dryRun = true, plainHttp = false): Promise<string> {
    checkCredentials(username, password !== undefined);
    const plans = planPublish(await registryEntries(framework), { registry });
    if (!Number.isInteger(keep) || keep < 1) throw new ArgumentError("keep", `${keep} must be a whole number of at least 1`);
    const client = await registryClient(registry, username, password, dryRun ? "pull" : "pull,delete", plainHttp);
    const lines: string[] = [];
    for (const plan of plans) lines.push(...(await pruneRepository(client, plan.repository, keep, dryRun)));
    return lines.join("\n");
  }

  /**
   * Tag each framework's published image of these sources with a release tag, by digest and without rebuilding: the image publish pushed under its version (the content tag these sources give it, which test --images-from tests). The release then names exactly the images its e2e jobs passed on. Prints one line per framework: framework, then reference@digest.
   *
   * @param registry Registry and path the images were published under, as given to publish, e.g. ghcr.io/kubeflow/training-operator-ci.
   * @param release The release tag to add, e.g. v1.2.0. "latest" and the form of an image version (c-<16 hex>) are refused.
   * @param framework Comma-separated catalog entries, or "all": every framework of either operator line.
   * @param username Registry user name; give it with password, or neither for a registry without authentication.
   * @param password Registry password or token as a Dagger secret, e.g. env:REGISTRY_TOKEN; needs the right to push.
   * @param published publish's output (dagger call -o FILE publish ...): tag exactly the digests publish pushed (each must carry its version), not whatever the version tags name now.
   * @param plainHttp Reach the registry over plain HTTP: a self-hosted registry without TLS (one the engine lists as insecure for publish). The credentials then travel unencrypted.
   */
  @func({ cache: "never" })
  async promote(registry: string, release: string, framework = "all", username = "", password?: Secret, published?: File, plainHttp = false): Promise<string> {
    checkCredentials(username, password !== undefined);
    checkReleaseTag(release);
    const plans = planPublish(await registryEntries(framework), { registry });
    const recorded = published ? parsePublished(await published.contents()) : undefined;
    const client = await registryClient(registry, username, password, "pull,push", plainHttp);
    const lines: string[] = [];
    for (const plan of plans) {
      const version = plan.tags[0]!;
      const digest = recorded ? recordedDigest(recorded, plan.framework, plan.repository, version) : undefined;
      try {
        lines.push(`${plan.framework}\t${await promoteImage(client, plan.repository, version, release, digest)}`);
      } catch (error) {
        throw new Error(`promote ${plan.framework}: ${(error as Error).message}; ${lines.length > 0 ? `already tagged: ${lines.map((l) => l.split("\t")[1]).join(", ")}` : "nothing was tagged"}`);
      }
    }
    return lines.join("\n");
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
   * @param operatorSource Operator checkout to deploy, e.g. --operator-source=. from a kubeflow/trainer tree: release-1.9 (v1) or v2.x and master (v2), its line taken from the tree when --operator is empty. Its operator image must name a release, or add --build-operator; with v2 its manifests/base/runtimes are applied, validated by its own webhook. Default: the pinned upstream release of the line.
   * @param buildOperator Build the operator image from the operator source's Dockerfile and deploy it instead of the released image.
   * @param tag Image tag. Empty: a hash of exactly the image's inputs. "latest" is refused.
   * @param kubernetesVersion Kubernetes minor of the Kind node: 1.34 or 1.35 (v1), 1.33 to 1.35 (v2), the minors each line is tested on upstream. Empty: 1.35.
   * @param operator Operator line: v1 (Training Operator v1.9.4, JAXJob, MPIJob, PaddleJob, PyTorchJob, TFJob, XGBoostJob) or v2 (Kubeflow Trainer v2.3.0 with JobSet, TrainJob). Empty: the line of --operator-source's tree (Trainer v2's manifests/overlays/manager, the Training Operator's manifests/overlays/standalone), else v1.
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes, goProxy) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
   */
  @func({ cache: "never" })
  async testJax(operatorSource?: Directory, buildOperator = false, tag = "", kubernetesVersion = "", operator = "", mirrors?: File): Promise<string> {
    return (await this.test("jax", tag, "", operatorSource, buildOperator, "", kubernetesVersion, operator, mirrors)).check();
  }

  /**
   * Run the PyTorch end-to-end test (a PyTorchJob, master and worker, over gloo; a TrainJob on torch-distributed with --operator v2). Prints the summary; fails naming the failed step with its last log lines.
   *
   * @param operatorSource Operator checkout to deploy, e.g. --operator-source=. from a kubeflow/trainer tree: release-1.9 (v1) or v2.x and master (v2), its line taken from the tree when --operator is empty. Its operator image must name a release, or add --build-operator; with v2 its manifests/base/runtimes are applied, validated by its own webhook. Default: the pinned upstream release of the line.
   * @param buildOperator Build the operator image from the operator source's Dockerfile and deploy it instead of the released image.
   * @param tag Image tag. Empty: a hash of exactly the image's inputs. "latest" is refused.
   * @param kubernetesVersion Kubernetes minor of the Kind node: 1.34 or 1.35 (v1), 1.33 to 1.35 (v2), the minors each line is tested on upstream. Empty: 1.35.
   * @param operator Operator line: v1 (Training Operator v1.9.4, JAXJob, MPIJob, PaddleJob, PyTorchJob, TFJob, XGBoostJob) or v2 (Kubeflow Trainer v2.3.0 with JobSet, TrainJob). Empty: the line of --operator-source's tree (Trainer v2's manifests/overlays/manager, the Training Operator's manifests/overlays/standalone), else v1.
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes, goProxy) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
   */
  @func({ cache: "never" })
  async testPytorch(operatorSource?: Directory, buildOperator = false, tag = "", kubernetesVersion = "", operator = "", mirrors?: File): Promise<string> {
    return (await this.test("pytorch", tag, "", operatorSource, buildOperator, "", kubernetesVersion, operator, mirrors)).check();
  }

  /**
   * Run the XGBoost end-to-end test (an XGBoostJob, master and worker, over the collective's tracker; a TrainJob on xgboost-distributed with --operator v2). Prints the summary; fails naming the failed step with its last log lines.
   *
   * @param operatorSource Operator checkout to deploy, e.g. --operator-source=. from a kubeflow/trainer tree: release-1.9 (v1) or v2.x and master (v2), its line taken from the tree when --operator is empty. Its operator image must name a release, or add --build-operator; with v2 its manifests/base/runtimes are applied, validated by its own webhook. Default: the pinned upstream release of the line.
   * @param buildOperator Build the operator image from the operator source's Dockerfile and deploy it instead of the released image.
   * @param tag Image tag. Empty: a hash of exactly the image's inputs. "latest" is refused.
   * @param kubernetesVersion Kubernetes minor of the Kind node: 1.34 or 1.35 (v1), 1.33 to 1.35 (v2), the minors each line is tested on upstream. Empty: 1.35.
   * @param operator Operator line: v1 (Training Operator v1.9.4, JAXJob, MPIJob, PaddleJob, PyTorchJob, TFJob, XGBoostJob) or v2 (Kubeflow Trainer v2.3.0 with JobSet, TrainJob). Empty: the line of --operator-source's tree (Trainer v2's manifests/overlays/manager, the Training Operator's manifests/overlays/standalone), else v1.
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes, goProxy) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
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
   * @param operatorSource Operator checkout to deploy, e.g. --operator-source=. from a kubeflow/trainer tree: release-1.9 (v1) or v2.x and master (v2), its line taken from the tree when --operator is empty. Its operator image must name a release, or add --build-operator; with v2 its manifests/base/runtimes are applied, validated by its own webhook. Default: the pinned upstream release of the line.
   * @param buildOperator Build the operator image from the operator source's Dockerfile and deploy it instead of the released image.
   * @param nodeImage Kind node image, pinned by digest (kindest/node:vX.Y.Z@sha256:...). Empty: the image kind's release pinned for the Kubernetes version.
   * @param kubernetesVersion Kubernetes minor of the Kind node: 1.34 or 1.35 (v1), 1.33 to 1.35 (v2), the minors each line is tested on upstream. Empty: 1.35.
   * @param operator Operator line: v1 (Training Operator v1.9.4, JAXJob, MPIJob, PaddleJob, PyTorchJob, TFJob, XGBoostJob) or v2 (Kubeflow Trainer v2.3.0 with JobSet, TrainJob). Empty: the line of --operator-source's tree (Trainer v2's manifests/overlays/manager, the Training Operator's manifests/overlays/standalone), else v1.
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes, goProxy) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
   * @param imagesFrom Registry and path the images were published under (publish --registry): test those images, each found by the version these sources give it and pulled by digest, instead of building them. A missing image is an error before any cluster starts. Empty: build them.
   * @param registryUsername User name for --images-from's registry; give it with registry-password, or neither.
   * @param registryPassword Password or token for --images-from's registry, as a Dagger secret, e.g. env:REGISTRY_TOKEN.
   * @param published publish's output (dagger call -o FILE publish ...): with --images-from, each image's digest must be the one publish pushed, else the run stops as a digest mismatch before any cluster starts.
   * @param featureGates Kubeflow Trainer v2 only: the controller's --feature-gates, e.g. TrainJobStatus=true (what upstream's e2e setup turns on). Empty: the manifests' own.
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
    imagesFrom = "",
    registryUsername = "",
    registryPassword?: Secret,
    published?: File,
    featureGates = "",
  ): Promise<E2eRun> {
    const { line, fromTree } = await operatorLine(operator, operatorSource);
    const frameworks = await resolveFrameworks(directoryReader(moduleSource()), framework, line);
    checkCredentials(registryUsername, registryPassword !== undefined, "registry-");
    checkImagesFrom({ imagesFrom, revision, credentials: registryPassword !== undefined, published: published !== undefined });
    const auth = registryPassword ? { username: registryUsername, password: registryPassword } : undefined;
    const recorded = published ? parsePublished(await published.contents()) : undefined;
    const outcome = await runE2e(moduleSource(), {
      frameworks,
      tag,
      revision,
      operator: line,
      lineFromTree: fromTree,
      featureGates,
      operatorSource,
      buildOperator,
      nodeImage,
      kubernetesVersion,
      mirrors: await mirrorsFrom(mirrors),
      ...(imagesFrom ? { imagesFrom: { registry: imagesFrom, auth, recorded } } : {}),
      reportCommand: `dagger call test --framework ${frameworks.join(",")} --operator ${line} [the same arguments] report -o ./e2e-report`,
    });
    return new E2eRun(outcome.report.ok, outcome.summary, outcome.message, outcome.reportDir);
  }

  /**
   * A shell on a fresh Kind cluster for interactive debugging: `dagger call cluster terminal` creates the cluster, loads the framework images, deploys the operator, then opens a shell with kubectl, kind and docker; the rendered jobs are in /e2e/jobs.
   *
   * @param framework Catalog entries whose images to load, comma-separated, e.g. "jax", or "all" (every framework the operator line runs).
   * @param operatorSource Operator checkout to deploy, e.g. --operator-source=. from a kubeflow/trainer tree: release-1.9 (v1) or v2.x and master (v2), its line taken from the tree when --operator is empty. Its operator image must name a release, or add --build-operator; with v2 its manifests/base/runtimes are applied, validated by its own webhook. Default: the pinned upstream release of the line.
   * @param buildOperator Build the operator image from the operator source's Dockerfile and deploy it instead of the released image.
   * @param nodeImage Kind node image, pinned by digest. Empty: the image kind's release pinned for the Kubernetes version.
   * @param kubernetesVersion Kubernetes minor of the Kind node: 1.34 or 1.35 (v1), 1.33 to 1.35 (v2), the minors each line is tested on upstream. Empty: 1.35.
   * @param operator Operator line: v1 (Training Operator v1.9.4, JAXJob, MPIJob, PaddleJob, PyTorchJob, TFJob, XGBoostJob) or v2 (Kubeflow Trainer v2.3.0 with JobSet, TrainJob). Empty: the line of --operator-source's tree (Trainer v2's manifests/overlays/manager, the Training Operator's manifests/overlays/standalone), else v1.
   * @param mirrors Mirror file (YAML: images, binaries, git, pipIndexes, goProxy) that replaces the outside references a run uses with your copies, each still pinned (images by digest, binaries by sha256; a git mirror's tags must name the pinned commits): see docs/usage.md. Default: none, the public sources.
   * @param featureGates Kubeflow Trainer v2 only: the controller's --feature-gates, e.g. TrainJobStatus=true (what upstream's e2e setup turns on). Empty: the manifests' own.
   */
  @func({ cache: "never" })
  async cluster(framework = "jax", operatorSource?: Directory, buildOperator = false, nodeImage = "", kubernetesVersion = "", operator = "", mirrors?: File, featureGates = ""): Promise<Container> {
    const { line } = await operatorLine(operator, operatorSource);
    return clusterShell(moduleSource(), {
      frameworks: await resolveFrameworks(directoryReader(moduleSource()), framework, line),
      operator: line,
      operatorSource,
      buildOperator,
      nodeImage: resolveNodeImage(nodeImage, kubernetesVersion, line),
      mirrors: await mirrorsFrom(mirrors),
      featureGates,
    });
  }
}
