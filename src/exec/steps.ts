// A run is a list of named steps over one shared context, each timed, so the summary
// and the error say which step took how long or failed (the shape of Kind's create actions).
import { EXIT_KILLED, EXIT_TIMED_OUT } from "./shell.js";

export type StepStatus = "ok" | "failed";

export interface StepRecord {
  name: string;
  status: StepStatus;
  seconds: number;
  error?: string;
}

/** A step failed: carries the step's name and the last lines of the log that explains it. */
export class StepFailure extends Error {
  constructor(
    readonly step: string,
    readonly reason: string,
    readonly logTail: string[] = [],
  ) {
    super(`step "${step}" failed: ${reason}`);
    this.name = "StepFailure";
  }
}

/** A command that exited non-zero, with its output kept for the error. */
export class CommandFailed extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number,
    readonly stdout: string,
    readonly stderr: string,
    readonly timeoutSeconds?: number,
  ) {
    super(
      exitCode === EXIT_TIMED_OUT && timeoutSeconds !== undefined
        ? `\`${command}\` timed out after ${timeoutSeconds}s`
        : exitCode === EXIT_KILLED
          ? `\`${command}\` was killed by a signal (out of memory?)`
          : `\`${command}\` exited with code ${exitCode}`,
    );
    this.name = "CommandFailed";
  }

  /** The last lines of stderr, or of stdout when stderr is empty. */
  tail(lines = 15): string[] {
    const text = this.stderr.trim() !== "" ? this.stderr : this.stdout;
    return text.trimEnd().split("\n").slice(-lines);
  }
}

export class RunRecorder {
  readonly steps: StepRecord[] = [];

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {}

  /**
   * Runs `action` as step `name`; a failure is recorded and rethrown as a StepFailure.
   * With `limitSeconds`, a step still running then fails, naming the limit.
   */
  async step<T>(name: string, action: () => Promise<T>, limitSeconds?: number): Promise<T> {
    const started = this.clock();
    this.log(`▶ ${name}`);
    try {
      const value = limitSeconds === undefined ? await action() : await withinLimit(action(), limitSeconds);
      const seconds = (this.clock() - started) / 1000;
      this.steps.push({ name, status: "ok", seconds });
      this.log(`✔ ${name} (${formatSeconds(seconds)})`);
      return value;
    } catch (error) {
      const seconds = (this.clock() - started) / 1000;
      const failure = asStepFailure(name, error);
      this.steps.push({ name, status: "failed", seconds, error: failure.reason });
      this.log(`✘ ${name} (${formatSeconds(seconds)}): ${failure.reason}`);
      throw failure;
    }
  }

  /** Records progress inside a step (shown in the engine's log, not in the summary). */
  note(line: string): void {
    this.log(`  ${line}`);
  }
}

/** An error that knows which log lines explain it. */
export class FailureWithLog extends Error {
  constructor(
    message: string,
    readonly logTail: string[],
  ) {
    super(message);
    this.name = "FailureWithLog";
  }
}

/** Resolves like `work`, or rejects once `seconds` have passed. */
export async function withinLimit<T>(work: Promise<T>, seconds: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${formatSeconds(seconds)}`)), seconds * 1000);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Pauses for `seconds`. */
export const sleep = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

export function asStepFailure(step: string, error: unknown): StepFailure {
  if (error instanceof StepFailure) return error;
  if (error instanceof CommandFailed) return new StepFailure(step, error.message, error.tail());
  if (error instanceof FailureWithLog) return new StepFailure(step, error.message, error.logTail);
  return new StepFailure(step, error instanceof Error ? error.message : String(error));
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds - minutes * 60)).padStart(2, "0")}s`;
}

/** Runs `tasks` with at most `limit` at a time, keeping every outcome (one failure stops nothing). */
export async function settleWithLimit<T>(tasks: (() => Promise<T>)[], limit: number): Promise<PromiseSettledResult<T>[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrency limit must be a whole number of at least 1, got ${limit}`);
  const results: PromiseSettledResult<T>[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      try {
        results[index] = { status: "fulfilled", value: await tasks[index]!() };
      } catch (reason) {
        results[index] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}
