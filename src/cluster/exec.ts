// Running commands that act on the cluster. Each exec carries a fresh nonce so Dagger
// never answers from its cache: the cluster's state is outside what Dagger can see.
import { ExecError, ReturnType, type Container } from "@dagger.io/dagger";
import { bounded, shellCommand } from "../run/shell.js";
import { CommandFailed } from "../run/steps.js";

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
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
    if (error instanceof ExecError) return { exitCode: error.exitCode, stdout: error.stdout, stderr: error.stderr };
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
