// The dagger CLI's plain progress (--progress=plain), read back into steps: a step prints
// `N   : <call with its arguments>` when it starts, `N   : [time] | <line>` for each line of its
// output, and `N   : <call> DONE|CACHED|ERROR [time]` when it ends, under the same number (dagger
// v0.21.8 dagql/idtui/frontend_plain.go); a withExec ends once when the call is made and again,
// with its real duration, if the command runs. The cases use it to tell, from the engine's own
// output, whether a layer's command ran.

export type StepStatus = "DONE" | "CACHED" | "ERROR";

export interface ProgressStep {
  /** The step as it started: the call with its arguments. */
  call: string;
  /** Every status it ended with, in order. */
  statuses: StepStatus[];
  /** The longest of its durations, in seconds. */
  seconds: number;
  /** Lines of output it printed. */
  outputLines: number;
}

const LINE = /^(\d+)\s*: (.*)$/;
const END = /\s(DONE|CACHED|ERROR) \[([^\]]*)\]\s*$/;
const OUTPUT = /^\[[^\]]*\] \| /;

/** "1m2.5s", "2.2s", "350ms" in seconds. */
function durationSeconds(text: string): number {
  let seconds = 0;
  for (const [, value, unit] of text.matchAll(/([\d.]+)(ms|h|m|s)/g)) seconds += Number(value) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as "ms" | "s" | "m" | "h"];
  return seconds;
}

export function progressSteps(output: string): ProgressStep[] {
  const steps = new Map<number, ProgressStep>();
  for (const raw of plain(output).split("\n")) {
    const line = LINE.exec(raw);
    if (!line) continue;
    const index = Number(line[1]);
    const text = line[2]!.replace(/^[┆\s]+/, "").trim();
    const end = END.exec(text);
    let step = steps.get(index);
    if (!step) steps.set(index, (step = { call: end ? text.slice(0, end.index) : text, statuses: [], seconds: 0, outputLines: 0 }));
    if (end) {
      step.statuses.push(end[1] as StepStatus);
      step.seconds = Math.max(step.seconds, durationSeconds(end[2]!));
    } else if (OUTPUT.test(text)) step.outputLines++;
  }
  return [...steps.values()];
}

/**
 * True when the step's command ran, for a command that always prints (pip install does): a cache
 * hit prints nothing, and may end DONE rather than CACHED, after a while on a busy machine.
 */
export const ran = (step: ProgressStep) => step.outputLines > 0;

/** The module's own step timer, from its summary (`  ok  2m11s  deploy operator`): step name to seconds. */
export function summarySteps(summary: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of summary.split("\n")) {
    const m = /^\s+(?:ok|FAILED)\s+((?:\d+h)?(?:\d+m)?[\d.]+m?s)\s+(.+)$/.exec(line);
    if (m) found.set(m[2]!.trim(), durationSeconds(m[1]!));
  }
  return found;
}

/** The summary's steps in one line: "ok 5.7s check inputs; …". */
export const stepFigures = (summary: string) =>
  summary.trim().split("\n").filter((l) => /^\s+(ok|FAILED)\s/.test(l)).map((l) => l.trim().replace(/\s+/g, " ")).join("; ");

/** The text without terminal colours. */
export const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "");

/** The steps whose call matches; throws when none does (the output changed form). */
export function stepsMatching(output: string, pattern: RegExp): ProgressStep[] {
  const found = progressSteps(output).filter((s) => pattern.test(s.call));
  if (found.length === 0) throw new Error(`no step of the CLI's output matches ${pattern}`);
  return found;
}

/** The runs of a framework's `pip install` exec (its packages layer) in a CLI's output. */
export const pipInstallRuns = (result: { stderr: string }) => stepsMatching(result.stderr, /^withExec python -m pip install/).filter(ran);
