// The Dagger side of the command runner: commands run in a container (bound to the Docker
// service for cluster steps). Each exec carries a fresh nonce so Dagger never answers from
// its cache: the cluster's state is outside what Dagger can see.
import { ReturnType, type Container, type Directory, type File } from "@dagger.io/dagger";
import { bounded } from "../exec/shell.js";
import { mustRun, type CommandRunner, type ExecResult, type Input, type RunOptions } from "../exec/runner.js";

export type { ExecResult } from "../exec/runner.js";

/** What a Dagger runner places: Files and Directories of the engine. */
export type DaggerHandle = File | Directory;

/**
 * The SDK's ExecError, recognised by its shape: the runtime's bundled SDK exports only a
 * few names (see test/runtime/facts.ts), and ExecError is not one of them.
 */
export function asExecResult(error: unknown): ExecResult | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { name?: unknown; code?: unknown; exitCode?: unknown; stdout?: unknown; stderr?: unknown };
  if (e.name !== "ExecError" && e.code !== "D109") return undefined;
  if (typeof e.exitCode !== "number") return undefined;
  return { exitCode: e.exitCode, stdout: typeof e.stdout === "string" ? e.stdout : "", stderr: typeof e.stderr === "string" ? e.stderr : "" };
}

let sequence = 0;

/** A container whose next exec is unique to this call. */
export function uncached(container: Container): Container {
  sequence += 1;
  return container.withEnvVariable("E2E_EXEC_NONCE", `${Date.now()}-${sequence}`);
}

function place(container: Container, input: Input<DaggerHandle>): Container {
  if ("text" in input) return container.withNewFile(input.path, input.text, input.mode === undefined ? {} : { permissions: input.mode });
  if ("file" in input) return container.withMountedFile(input.path, input.file as File);
  return container.withMountedDirectory(input.path, input.directory as Directory);
}

function execIn(container: Container, argv: string[], options: RunOptions): Container {
  return uncached(container).withExec(bounded(options.timeoutSeconds, argv), {
    expect: ReturnType.Any,
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
}

async function outcome(ran: Container): Promise<ExecResult> {
  const [exitCode, stdout, stderr] = await Promise.all([ran.exitCode(), ran.stdout(), ran.stderr()]);
  return { exitCode, stdout, stderr };
}

/** Commands in a Dagger container. */
export class DaggerRunner implements CommandRunner<DaggerHandle> {
  constructor(readonly container: Container) {}

  with(inputs: Input<DaggerHandle>[]): DaggerRunner {
    return new DaggerRunner(inputs.reduce(place, this.container));
  }

  async run(argv: string[], options: RunOptions): Promise<ExecResult> {
    try {
      return await outcome(await execIn(this.container, argv, options).sync());
    } catch (error) {
      // Exit codes outside ReturnType.Any (a signal bounded() did not map) still carry the output.
      const failed = asExecResult(error);
      if (failed) return failed;
      throw error;
    }
  }

  async runAndRead(argv: string[], options: RunOptions, dir: string) {
    const ran = await execIn(this.container, argv, options).sync();
    const result = await outcome(ran);
    // Evaluated now: the directory is lazy, and the cluster is gone once the service stops.
    const files = await ran.directory(dir).sync();
    return { result, read: (path: string) => files.file(path).contents() };
  }
}

/** Runs argv in a container; throws CommandFailed (with its output) on a non-zero exit. */
export function mustExecute(container: Container, argv: string[], timeoutSeconds: number, stdin?: string): Promise<string> {
  return mustRun(new DaggerRunner(container), argv, timeoutSeconds, stdin);
}
