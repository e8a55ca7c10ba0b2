// The one interface every cluster step runs its commands through: argv, stdin, inputs to
// place, a time limit. The module's runner is a Dagger container bound to the Docker service
// (cluster/daggerRunner.ts); the lab's is a client container on a local Docker (test/lab). Like
// kind's providers, the steps above never know which one they drive.
import { shellCommand } from "./shell.js";
import { CommandFailed } from "./steps.js";

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Something a command needs in place: a text written out, or a file or directory the
 * runner knows how to place (`H`: a Dagger File or Directory, or a local path).
 */
export type Input<H> = { path: string; text: string; mode?: number } | { path: string; file: H } | { path: string; directory: H };

export interface RunOptions {
  timeoutSeconds: number;
  stdin?: string;
}

export interface CommandRunner<H> {
  /** A runner whose later commands also see these inputs. */
  with(inputs: Input<H>[]): CommandRunner<H>;
  /** Runs argv, bounded by the time limit; returns the outcome whatever the exit code. */
  run(argv: string[], options: RunOptions): Promise<ExecResult>;
  /** Runs argv, then gives a reader for the text files it left under `dir`. */
  runAndRead(argv: string[], options: RunOptions, dir: string): Promise<{ result: ExecResult; read: (path: string) => Promise<string> }>;
}

/** Runs argv; throws CommandFailed (with its output) on a non-zero exit. */
export async function mustRun<H>(runner: CommandRunner<H>, argv: string[], timeoutSeconds: number, stdin?: string): Promise<string> {
  const result = await runner.run(argv, { timeoutSeconds, ...(stdin === undefined ? {} : { stdin }) });
  if (result.exitCode !== 0) throw new CommandFailed(shellCommand(argv), result.exitCode, result.stdout, result.stderr, timeoutSeconds);
  return result.stdout;
}

/** A file the runner places, and the full reference of the image it holds. */
export interface ImageArchive<H> {
  /** e.g. docker.io/kubeflow-ci/jax-e2e:c-…. */
  reference: string;
  file: H;
  /** Further names the nodes give the same image once loaded (a runtime's own image name, asRuntimeImage). */
  aliases?: string[];
}
