// Kind inside the Docker service: create the cluster, hand clients a kubeconfig that
// reaches it, load image tarballs and prove they arrived under their exact names.
import type { Container, File } from "@dagger.io/dagger";
import { CommandFailed, sleep } from "../run/steps.js";
import { clusterCommands, KIND_CONFIG_PATH, nodeContainer, outerLimit, TIMEOUTS } from "./commands.js";
import { KUBECONFIG_PATH } from "./docker.js";
import { execute, mustExecute } from "./exec.js";
import { DOCKER_HOST_ALIAS, renderKindConfig, rewriteKubeconfig, type ClusterOptions } from "./kindConfig.js";
import { missingImages, parseCrictlImages } from "./nodeImages.js";

export interface ImageArchive {
  /** Full reference the archive names, e.g. docker.io/kubeflow-ci/jax-e2e:c-…. */
  reference: string;
  file: File;
}

export class KindCluster {
  private constructor(
    readonly options: ClusterOptions,
    /** Client bound to the Docker service, with a kubeconfig for this cluster. */
    public client: Container,
  ) {}

  /** A handle on a cluster not created yet: enough for docker and kind commands (and diagnostics). */
  static attach(client: Container, options: ClusterOptions): KindCluster {
    return new KindCluster(options, client.withNewFile(KIND_CONFIG_PATH, renderKindConfig(options)));
  }

  /** Loads the engine-pulled node image into dockerd under the name the kind config uses (options.nodeImage). */
  async loadNodeImage(archive: File, note: (line: string) => void): Promise<void> {
    const commands = clusterCommands(this.options.name);
    note(`dockerd ${(await mustExecute(this.client, commands.dockerReady, TIMEOUTS.dockerReady)).trim()}`);
    const path = "/images/node.tar";
    const out = await mustExecute(this.client.withMountedFile(path, archive), commands.loadNodeImage(path, this.options.nodeImage), TIMEOUTS.loadNodeImage);
    note(`node image: ${out.trim().split("\n").at(-1) ?? ""} as ${this.options.nodeImage}`);
  }

  /** Creates the cluster (removing a stale one, creating kind's network IPv4-only if missing) and waits for its node. */
  async create(note: (line: string) => void): Promise<KindCluster> {
    const options = this.options;
    const commands = clusterCommands(options.name);
    const withConfig = this.client;
    await execute(withConfig, commands.deleteStale, TIMEOUTS.deleteStale);
    note((await mustExecute(withConfig, commands.ensureNetwork, TIMEOUTS.ensureNetwork)).trim());
    await mustExecute(withConfig, commands.create, TIMEOUTS.createCluster);
    const kubeconfig = await mustExecute(withConfig, commands.getKubeconfig, TIMEOUTS.getKubeconfig);
    const cluster = new KindCluster(
      options,
      withConfig.withNewFile(KUBECONFIG_PATH, rewriteKubeconfig(kubeconfig, DOCKER_HOST_ALIAS, options.apiServerPort), { permissions: 0o600 }),
    );
    await cluster.run(commands.waitNodes, outerLimit(TIMEOUTS.nodeReady));
    return cluster;
  }

  /** Runs a command against the cluster; throws CommandFailed on a non-zero exit. */
  run(argv: string[], timeoutSeconds: number = TIMEOUTS.inspect, stdin?: string): Promise<string> {
    return mustExecute(this.client, argv, timeoutSeconds, stdin);
  }

  /** `kind load image-archive` each archive, then checks the node lists every exact reference. */
  async loadImages(archives: ImageArchive[], note: (line: string) => void): Promise<void> {
    const commands = clusterCommands(this.options.name);
    for (const [index, archive] of archives.entries()) {
      const path = `/images/${index}.tar`;
      await mustExecute(this.client.withMountedFile(path, archive.file), commands.loadImage(path), TIMEOUTS.loadImage);
      note(`loaded ${archive.reference}`);
    }
    const present = parseCrictlImages(await this.run(commands.nodeImages));
    const problems = missingImages(
      archives.map((a) => a.reference),
      present,
      nodeContainer(this.options.name),
    );
    if (problems.length > 0) throw new Error(problems.join("\n"));
  }

  /** Applies a manifest from stdin, retrying while the operator's webhook is not yet reachable. */
  async apply(manifestYaml: string, attempts = 5, pauseSeconds = 6): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.run(["kubectl", "apply", "--server-side", "-f", "-"], TIMEOUTS.apply, manifestYaml);
        return;
      } catch (error) {
        const transient = error instanceof CommandFailed && /failed calling webhook|connection refused|no endpoints available/i.test(error.stderr);
        if (!transient || attempt >= attempts) throw error;
        await sleep(pauseSeconds);
      }
    }
  }
}
