// Kind inside the Docker service: create the cluster, hand clients a kubeconfig that
// reaches it, load image tarballs and prove they arrived under their exact names. Every
// command goes through a CommandRunner, so the lab drives the same code with local Docker.
import { CommandFailed, sleep } from "../exec/steps.js";
import { clusterCommands, KIND_CONFIG_PATH, nodeContainer, outerLimit, TIMEOUTS } from "./commands.js";
import { DOCKER_HOST_ALIAS, renderKindConfig, rewriteKubeconfig, type ClusterOptions } from "./kindConfig.js";
import { missingImages, parseCrictlImages, parseServerVersion } from "./nodeImages.js";
import { mustRun, type CommandRunner, type ImageArchive } from "../exec/runner.js";

export type { ImageArchive } from "../exec/runner.js";

export const KUBECONFIG_PATH = "/root/.kube/config";
const NODE_ARCHIVE_PATH = "/images/node.tar";

export class KindCluster<H> {
  private constructor(
    readonly options: ClusterOptions,
    /** Runs commands in the client bound to the Docker service, with this cluster's kind config (and kubeconfig once created). */
    readonly runner: CommandRunner<H>,
    /** When the node container this run created started (docker's State.StartedAt). */
    private readonly nodeStartedAt?: string,
  ) {}

  /** A handle on a cluster not created yet: enough for docker and kind commands (and diagnostics). */
  static attach<H>(runner: CommandRunner<H>, options: ClusterOptions): KindCluster<H> {
    return new KindCluster(options, runner.with([{ path: KIND_CONFIG_PATH, text: renderKindConfig(options) }]));
  }

  /** Loads the engine-pulled node image into dockerd under the name the kind config uses (options.nodeImage). */
  async loadNodeImage(archive: H, note: (line: string) => void): Promise<void> {
    const commands = clusterCommands(this.options.name);
    note(`dockerd ${(await mustRun(this.runner, commands.dockerReady, TIMEOUTS.dockerReady)).trim()}`);
    const withArchive = this.runner.with([{ path: NODE_ARCHIVE_PATH, file: archive }]);
    const out = await mustRun(withArchive, commands.loadNodeImage(NODE_ARCHIVE_PATH, this.options.nodeImage), TIMEOUTS.loadNodeImage);
    note(`node image: ${out.trim().split("\n").at(-1) ?? ""} as ${this.options.nodeImage}`);
  }

  /** Creates the cluster (removing a stale one, creating kind's network IPv4-only if missing) and waits for its node. */
  async create(note: (line: string) => void): Promise<KindCluster<H>> {
    const commands = clusterCommands(this.options.name);
    await this.runner.run(commands.deleteStale, { timeoutSeconds: TIMEOUTS.deleteStale });
    note((await mustRun(this.runner, commands.ensureNetwork, TIMEOUTS.ensureNetwork)).trim());
    await mustRun(this.runner, commands.create, TIMEOUTS.createCluster);
    const kubeconfig = await mustRun(this.runner, commands.getKubeconfig, TIMEOUTS.getKubeconfig);
    const started = (await mustRun(this.runner, commands.nodeState, TIMEOUTS.inspect)).trim();
    const cluster = new KindCluster(
      this.options,
      this.runner.with([{ path: KUBECONFIG_PATH, text: rewriteKubeconfig(kubeconfig, DOCKER_HOST_ALIAS, this.options.apiServerPort), mode: 0o600 }]),
      started.split(" ")[1],
    );
    await cluster.run(commands.waitNodes, outerLimit(TIMEOUTS.nodeReady));
    return cluster;
  }

  /**
   * Whether the node is still the container this run created, running since it started. A
   * dockerd that died mid-run is started again by the next command bound to the service, on
   * the same data folder: its containers are then stopped (or started anew), and whatever the
   * run reads after that is not the cluster it tested. Returns the problem, or undefined.
   */
  async nodeRestartProblem(): Promise<string | undefined> {
    if (!this.nodeStartedAt) return undefined;
    const result = await this.runner.run(clusterCommands(this.options.name).nodeState, { timeoutSeconds: TIMEOUTS.inspect });
    const [running, startedAt] = result.stdout.trim().split(" ");
    if (result.exitCode === 0 && running === "true" && startedAt === this.nodeStartedAt) return undefined;
    const now = result.exitCode === 0 ? `running=${running}, started ${startedAt}` : `not found: ${result.stderr.trim()}`;
    return `the Kind node ${nodeContainer(this.options.name)} is no longer the container this run started at ${this.nodeStartedAt} (${now}): dockerd or the node restarted mid-run, so what follows (diagnostics included) comes from a restarted Docker service`;
  }

  /** The Kubernetes version the API server reports (e.g. "v1.34.10"). */
  async serverVersion(): Promise<string> {
    return parseServerVersion(await this.run(clusterCommands(this.options.name).serverVersion));
  }

  /** Runs a command against the cluster; throws CommandFailed on a non-zero exit. */
  run(argv: string[], timeoutSeconds: number = TIMEOUTS.inspect, stdin?: string): Promise<string> {
    return mustRun(this.runner, argv, timeoutSeconds, stdin);
  }

  /** `kind load image-archive` each archive, then checks the node lists every exact reference. */
  async loadImages(archives: ImageArchive<H>[], note: (line: string) => void): Promise<void> {
    const commands = clusterCommands(this.options.name);
    for (const [index, archive] of archives.entries()) {
      const path = `/images/${index}.tar`;
      await mustRun(this.runner.with([{ path, file: archive.file }]), commands.loadImage(path), TIMEOUTS.loadImage);
      note(`loaded ${archive.reference}`);
      for (const alias of archive.aliases ?? []) {
        await mustRun(this.runner, commands.tagImage(archive.reference, alias), TIMEOUTS.inspect);
        note(`  also as ${alias}`);
      }
    }
    const present = parseCrictlImages(await this.run(commands.nodeImages));
    const problems = missingImages(
      archives.flatMap((a) => [a.reference, ...(a.aliases ?? [])]),
      present,
      nodeContainer(this.options.name),
    );
    if (problems.length > 0) throw new Error(problems.join("\n"));
  }

  /** Applies a manifest from stdin, retrying while the operator's webhook is not yet reachable or not yet up to date. */
  async apply(manifestYaml: string, attempts = 5, pauseSeconds = 6): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.run(["kubectl", "apply", "--server-side", "-f", "-"], TIMEOUTS.apply, manifestYaml);
        return;
      } catch (error) {
        // Also Trainer v2's refusal of a TrainJob whose runtime, applied just before it, its webhook's cache has not seen yet.
        const transient =
          error instanceof CommandFailed && /failed calling webhook|connection refused|no endpoints available|must be created before the TrainJob is created/i.test(error.stderr);
        if (!transient || attempt >= attempts) throw error;
        await sleep(pauseSeconds);
      }
    }
  }
}
