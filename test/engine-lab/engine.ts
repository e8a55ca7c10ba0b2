// The engine lab's engine: Dagger v0.21.8 built here from its public source (build/dagger.sh),
// in an image of its own (build/image.sh), run as a container under the lab's Docker, as a
// user's CLI starts a released one. The real `dagger` CLI reaches it through
// _EXPERIMENTAL_DAGGER_RUNNER_HOST=docker-container://<name>.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { diskUse } from "../lab/diskUse.js";
import { docker, removeContainers } from "../lab/localRunner.js";
import { needsRuncLab } from "../lab/environment.js";
import { LAB_CACHE, runCase, selected } from "../lab/harness.js";

export const ENGINE_IMAGE = "lab/dagger-engine:v0.21.8";
const NAME = "lab-dagger-engine";
/**
 * The network the engine shares with the lab's registry and Go proxy (build/sdk.sh), with fixed
 * addresses: the engine's own DNS does not answer for Docker's container names.
 */
const NETWORK = "lab-engine";
export const REGISTRY = "10.213.77.10:5000";
/** A second registry on that network, with authentication, that publish pushes to (registryCases.ts). */
export const AUTH_REGISTRY = "10.213.77.14:5000";
const GOPROXY_ADDRESS = "10.213.77.11";
const GOPROXY_NAME = "lab-goproxy";
/** The lab's Node image (build/sdk.sh), which runs the go proxy. */
export const NODE_IMAGE = "lab/dagger-node:24.13.1";
/** Modules dagger's Go SDK runs `go get` on without a version (cmd/codegen/generator/go/generate_typedefs.go). */
const UNLISTED_MODULES = ["github.com/dagger/querybuilder"];
const HERE = dirname(fileURLToPath(import.meta.url));
/**
 * The engine's state (/var/lib/dagger). Removed with the engine: an engine stopped without a
 * clean shutdown (as stopEngine does) wipes it at its next start ("dagql persistence store
 * marked unclean; wiping and cold-starting", engine/server/server.go), so keeping it only held
 * its 20 GB or more between runs.
 */
export const STATE_VOLUME = "lab-dagger-state";
/** Seconds the engine may take to answer its first query. */
const START_TIMEOUT_SECONDS = 120;

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

export interface CliOptions {
  cwd?: string;
  timeoutSeconds?: number;
  env?: Record<string, string>;
  stdin?: string;
}

export interface Engine {
  name: string;
  /** Runs the real `dagger` CLI against this engine, bounded; never throws on a non-zero exit. */
  cli(args: string[], options?: CliOptions): Promise<CliResult>;
  stop(): void;
}

const cliPath = (labCache: string) => join(labCache, "engine", "bin", "dagger");

/** The environment a user sets to drive this engine with the CLI. */
export function cliEnvironment(labCache: string): Record<string, string> {
  return {
    _EXPERIMENTAL_DAGGER_RUNNER_HOST: `docker-container://${NAME}`,
    DAGGER_NO_UPDATE_CHECK: "1",
    DO_NOT_TRACK: "1",
    PATH: `${join(labCache, "engine", "bin")}:${process.env.PATH}`,
  };
}

function runCli(labCache: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cliPath(labCache), ["--progress=plain", ...args], {
      // Outside any module unless asked: the CLI loads the module of its working directory.
      cwd: options.cwd ?? tmpdir(),
      env: { ...process.env, ...cliEnvironment(labCache), ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdin.end(options.stdin ?? "");
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), (options.timeoutSeconds ?? 600) * 1000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      resolve({ exitCode: code ?? (signal ? 137 : -1), stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/**
 * The lab's Go module proxy (goproxy/server.mjs) on the engine's network, returned by address,
 * in front of this machine's: it answers the version queries this machine's proxy refuses for
 * the modules dagger's Go SDK asks for without a version, with the versions the TypeScript
 * runtime's go.mod pins.
 */
function startGoProxy(work: string): string {
  removeContainers(GOPROXY_NAME);
  const upstream = execFileSync("go", ["env", "GOPROXY"], { encoding: "utf8" }).trim().split(/[,|]/)[0]!;
  const runtimeMod = readFileSync(join(work, "src", "dagger-v0.21.8-no-docs", "sdk", "typescript", "runtime", "go.mod"), "utf8");
  const latest: Record<string, { version: string; time: string }> = {};
  for (const module of UNLISTED_MODULES) {
    const version = new RegExp(`^\\s*${module.replace(/\./g, "\\.")}\\s+(\\S+)`, "m").exec(runtimeMod)?.[1];
    if (!version) throw new Error(`the TypeScript runtime's go.mod does not require ${module}`);
    const download = JSON.parse(execFileSync("go", ["mod", "download", "-json", `${module}@${version}`], { encoding: "utf8" })) as { Info: string };
    const info = JSON.parse(readFileSync(download.Info, "utf8")) as { Time: string };
    latest[module] = { version, time: info.Time };
  }
  docker([
    "run", "-d", "--name", GOPROXY_NAME, "--network", NETWORK, "--ip", GOPROXY_ADDRESS,
    "-e", `UPSTREAM=${upstream}`, "-e", `LATEST=${JSON.stringify(latest)}`, "-e", "NODE_OPTIONS=--use-openssl-ca",
    "-v", `${join(HERE, "goproxy", "server.mjs")}:/goproxy/server.mjs:ro`,
    "--entrypoint", "node", NODE_IMAGE, "/goproxy/server.mjs",
  ]);
  return `http://${GOPROXY_ADDRESS}:8080`;
}

/**
 * Pushes an image of the lab's Docker to the lab's registry (through its published port) and
 * returns its reference as the engine pulls it, pinned by digest.
 */
export function pushToLabRegistry(image: string, name: string): string {
  const local = `127.0.0.1:5000/${name}`;
  docker(["tag", image, local]);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(docker(["push", local]))?.[1];
  if (!digest) throw new Error(`pushing ${image} to the lab's registry gave no digest`);
  return `${REGISTRY}/${name}@${digest}`;
}

/** Removes the engine's container, its state and the lab's Go proxy, if they run. */
export function stopEngine(): void {
  removeContainers(NAME, GOPROXY_NAME);
  docker(["volume", "rm", "-f", STATE_VOLUME]);
}

/** Starts the engine (replacing one an earlier run left) and waits until the CLI gets an answer. */
export async function startEngine(labCache: string): Promise<Engine> {
  removeContainers(NAME);
  // Privileged, as the CLI starts a released engine; where the sandbox lacks CAP_SYS_RESOURCE,
  // the lab's dockerd runs it with runc-lab (and its image has runc-lab as the engine's runc).
  const runtime = needsRuncLab() ? ["--runtime", "runc-lab"] : [];
  // The SDKs' content (build/sdk.sh), where the engine image would carry it, with the digests
  // that name it; the lab's registry over plain HTTP (engine.json, as a user's mirror would be).
  const work = join(labCache, "engine");
  const configFile = join(work, "engine.json");
  // The GC sized for a development machine: by default it keeps 20% of the disk free
  // (engine/server/gc.go), which a disk as full as this one never has, so it pruned everything
  // above its 10 GB reserve between two runs and the JAX layers with it.
  const gc = { reservedSpace: "20GB", minFreeSpace: "3GB", maxUsedSpace: "40GB" };
  writeFileSync(configFile, JSON.stringify({ registries: { [REGISTRY]: { http: true }, [AUTH_REGISTRY]: { http: true } }, gc }, null, 2) + "\n");
  const sdkEnv = readFileSync(join(work, "sdk.env"), "utf8").split("\n").filter(Boolean).flatMap((line) => ["-e", line]);
  const goproxy = startGoProxy(work);
  docker([
    "run", "-d", "--privileged", ...runtime, "--name", NAME, "--network", NETWORK,
    "-v", `${STATE_VOLUME}:/var/lib/dagger`,
    "-v", `${join(work, "content")}:/usr/local/share/dagger/content:ro`,
    "-v", `${configFile}:/etc/dagger/engine.json:ro`,
    ...sdkEnv,
    // Passed to the Go SDK's execs (engine/engineutil/executor_spec.go).
    "-e", `_DAGGER_ENGINE_SYSTEMENV_GOPROXY=${goproxy}`,
    ENGINE_IMAGE,
  ]);
  const engine: Engine = {
    name: NAME,
    cli: (args, options) => runCli(labCache, args, options),
    stop: stopEngine,
  };
  const deadline = Date.now() + START_TIMEOUT_SECONDS * 1000;
  let last: CliResult | undefined;
  while (Date.now() < deadline) {
    last = await engine.cli(["query"], { timeoutSeconds: 60, stdin: "{ version }" }).catch(() => undefined);
    if (last?.exitCode === 0) return engine;
    await new Promise((r) => setTimeout(r, 3000));
  }
  const logs = (() => {
    try {
      return docker(["logs", "--tail", "30", NAME]);
    } catch (error) {
      return (error as Error).message;
    }
  })();
  engine.stop();
  throw new Error(`the engine did not answer within ${START_TIMEOUT_SECONDS}s: ${last?.stderr.trim().split("\n").slice(-5).join(" | ") ?? "no answer"}\nengine log:\n${logs}`);
}

/** GiB free on the filesystem that holds `path` (the lab's Docker data, where the engine's state lives). */
export function freeGiB(path = "/var/lib"): number {
  const line = execFileSync("df", ["-Pk", path], { encoding: "utf8" }).trim().split("\n").at(-1)!;
  return Number(line.split(/\s+/)[3]) / 1024 / 1024;
}

/**
 * Prunes the engine's cache, least recently used first, until `minFree` is free (the engine's
 * own `engine.localCache.prune`), as a user short of disk would. The cluster cases that load
 * the largest images need room a development disk may lack once the earlier cases' builds are
 * cached; a later case then rebuilds what it needs. Returns the free space before and after.
 */
export async function makeRoom(engine: Engine, minFree = "14GB"): Promise<string> {
  return prune(engine, `(minFreeSpace: "${minFree}")`, `to ${minFree} free`);
}

/**
 * Empties the engine's cache of all it can release (`engine.localCache.prune` without a policy:
 * everything no client is using), as an engine that built nothing yet. Returns the free space
 * before and after.
 */
export async function emptyCache(engine: Engine): Promise<string> {
  return prune(engine, "", "of all it could release");
}

async function prune(engine: Engine, args: string, said: string): Promise<string> {
  const before = freeGiB();
  const result = await engine.cli(["query"], { stdin: `{ engine { localCache { prune${args} } } }`, timeoutSeconds: 600 });
  if (result.exitCode !== 0) throw new Error(`pruning the engine's cache failed: ${result.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  return `${before.toFixed(1)} GiB free, ${freeGiB().toFixed(1)} GiB after pruning the engine's cache ${said}`;
}

/**
 * What the engine's state holds on disk now, and the free space beside it: the figures on where
 * the engine lab's disk goes (docs/development.md). From the disk, not the engine's
 * `engine.localCache.entrySet`, which took 2.5 minutes to answer for 5,000 entries here.
 */
function stateUse(): string {
  const mountpoint = docker(["volume", "inspect", "-f", "{{.Mountpoint}}", STATE_VOLUME]).trim();
  const { kib, changing } = diskUse(mountpoint);
  const gib = (k: number) => (k / 1024 / 1024).toFixed(1);
  // The lab's shared Go caches are still there while a build lane runs (test/lab/build/go-env.sh).
  const goCaches = join(LAB_CACHE, "go", "build");
  const lanes = existsSync(goCaches) ? `; the lab's Go caches ${gib(diskUse(join(LAB_CACHE, "go")).kib)} GiB (a build lane still runs)` : "";
  return `engine state ${gib(kib)} GiB${changing ? " (a run was removing files as it was read)" : ""}${lanes}, ${freeGiB().toFixed(1)} GiB free`;
}

/** Runs a case (when LAB_ONLY picks it), then prints what the engine's state holds on disk after it. */
export async function runCaseShowingState(name: string, body: () => Promise<string>): Promise<void> {
  if (!selected(name)) return;
  await runCase(name, body);
  // A figure, not a check: if it cannot be read, say why and go on to the next case.
  try {
    console.log(`  ${stateUse()}`);
  } catch (error) {
    console.log(`  engine state: not read (${(error as Error).message})`);
  }
}
