// The engine lab's engine: Dagger v0.21.8 built here from its public source (build/dagger.sh),
// in an image of its own (build/image.sh), run as a container under the lab's Docker, as a
// user's CLI starts a released one. The real `dagger` CLI reaches it through
// _EXPERIMENTAL_DAGGER_RUNNER_HOST=docker-container://<name>.
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { docker } from "../lab/localRunner.js";
import { needsRuncLab } from "../lab/environment.js";

export const ENGINE_IMAGE = "lab/dagger-engine:v0.21.8";
const NAME = "lab-dagger-engine";
const STATE_VOLUME = "lab-dagger-state";
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

/** Starts the engine (replacing one an earlier run left) and waits until the CLI gets an answer. */
export async function startEngine(labCache: string): Promise<Engine> {
  try {
    docker(["rm", "-f", NAME]);
  } catch {
    /* none left */
  }
  // Privileged, as the CLI starts a released engine; where the sandbox lacks CAP_SYS_RESOURCE,
  // runc-lab drops it, for the engine's container and for the containers the engine runs.
  const runtime = needsRuncLab() ? ["--runtime", "runc-lab"] : [];
  const worker = needsRuncLab() ? ["--oci-worker-binary", "/usr/local/bin/runc-lab"] : [];
  docker(["run", "-d", "--privileged", ...runtime, "--name", NAME, "-v", `${STATE_VOLUME}:/var/lib/dagger`, ENGINE_IMAGE, ...worker]);
  const engine: Engine = {
    name: NAME,
    cli: (args, options) => runCli(labCache, args, options),
    stop() {
      try {
        docker(["rm", "-f", NAME]);
      } catch {
        /* already gone */
      }
    },
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
