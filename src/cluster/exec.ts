// Running commands that act on the cluster. Each exec carries a fresh nonce so Dagger
// never answers from its cache: the cluster's state is outside what Dagger can see.
import { ReturnType, type Container } from "@dagger.io/dagger";
import { bounded, shellCommand } from "../run/shell.js";
import { CommandFailed } from "../run/steps.js";

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

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

/** Runs argv bounded by `timeoutSeconds`; returns the outcome whatever the exit code. */
export async function execute(container: Container, argv: string[], timeoutSeconds: number, stdin?: string): Promise<ExecResult> {
  try {
    const ran = await uncached(container)
      .withExec(bounded(timeoutSeconds, argv), { expect: ReturnType.Any, ...(stdin === undefined ? {} : { stdin }) })
      .sync();
    const [exitCode, stdout, stderr] = await Promise.all([ran.exitCode(), ran.stdout(), ran.stderr()]);
    return { exitCode, stdout, stderr };
  } catch (error) {
    // Exit codes outside ReturnType.Any (a signal bounded() did not map) still carry the output.
    const failed = asExecResult(error);
    if (failed) return failed;
    throw error;
  }
}

/** Runs argv bounded by `timeoutSeconds`; throws CommandFailed (with its output) on a non-zero exit. */
export async function mustExecute(container: Container, argv: string[], timeoutSeconds: number, stdin?: string): Promise<string> {
  const result = await execute(container, argv, timeoutSeconds, stdin);
  if (result.exitCode !== 0) {
    throw new CommandFailed(shellCommand(argv), result.exitCode, result.stdout, result.stderr, timeoutSeconds);
  }
  return result.stdout;
}
