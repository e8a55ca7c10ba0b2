// The lab's harness: cases with a name, a verdict and figures, and diagnostics kept on disk.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DiagnosticFiles } from "../../src/jobs/collect.js";
import { runClusterSteps, type ClusterOutcome, type ClusterPlan } from "../../src/run/clusterSteps.js";
import { renderSummary, type RunReport } from "../../src/run/report.js";
import type { RunRecorder } from "../../src/exec/steps.js";

export const LAB_CACHE = process.env.LAB_CACHE!;

export interface CaseResult {
  name: string;
  ok: boolean;
  seconds: number;
  detail: string;
}
export const results: CaseResult[] = [];

/** LAB_ONLY=<text>[|<text>…]: run only the cases whose name contains one of them (while working on them). */
const ONLY = process.env.LAB_ONLY ?? "";

/** Whether LAB_ONLY picks a case of this name (all do without it). */
export function selected(name: string): boolean {
  const wanted = ONLY.split("|").filter(Boolean);
  return wanted.length === 0 || wanted.some((text) => name.includes(text));
}

/** Whether every case runs (no LAB_ONLY): only such a run knows what the lab no longer uses. */
export const allCases = () => ONLY.split("|").filter(Boolean).length === 0;

export async function runCase(name: string, body: () => Promise<string>): Promise<boolean> {
  if (!selected(name)) return false;
  const started = Date.now();
  const busyAtStart = machineBusySeconds();
  console.log(`\n=== case: ${name}`);
  const end = (ok: boolean, detail: string) => {
    const seconds = (Date.now() - started) / 1000;
    results.push({ name, ok, seconds, detail });
    console.log(`--- ${ok ? "PASS" : "FAIL"} ${name}: ${detail}`);
    // The machine's, not the case's: cases that run at once each count the other's CPU.
    console.log(`    ${seconds.toFixed(0)} s, the machine's CPU busy ${(machineBusySeconds() - busyAtStart).toFixed(0)} s`);
    return ok;
  };
  try {
    return end(true, await body());
  } catch (error) {
    return end(false, error instanceof Error ? error.message : String(error));
  }
}

/** The machine's busy CPU time so far over all cores, in seconds (/proc/stat counts in USER_HZ, 100 on Linux). */
function machineBusySeconds(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Peak of the host's used memory (MemTotal - MemAvailable), sampled while the cases run. */
export function memorySampler() {
  let peak = 0;
  const sample = () => {
    const info = readFileSync("/proc/meminfo", "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(info)![1]) * 1024;
    peak = Math.max(peak, kb("MemTotal") - kb("MemAvailable"));
  };
  sample();
  // unref: the sampler never keeps the process alive, whatever path the run ends on.
  const timer = setInterval(sample, 2000).unref();
  return { stop: () => (clearInterval(timer), peak) };
}

/**
 * Prints the tally and ends the process: 0 only when all cases passed, and at least one ran
 * (unless LAB_ONLY chose none here).
 * Explicit, so nothing left behind (a timer, a child process) can hold the run open after a
 * failure outside a case.
 */
export function finish(): never {
  const passed = results.filter((r) => r.ok).length;
  console.log(`\n${passed} passed, ${results.length - passed} failed`);
  // Under LAB_ONLY, a script none of whose cases match has nothing to fail.
  process.exit(passed === results.length && (results.length > 0 || ONLY !== "") ? 0 : 1);
}

export function saveDiagnostics(name: string, files: DiagnosticFiles): void {
  const dir = join(LAB_CACHE, "diagnostics", name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  console.log(`lab: diagnostics kept in ${dir}`);
}


/**
 * Runs the module's cluster steps as a case that must pass: prints the summary, keeps any
 * diagnostics under `name`, hands the outcome to `keep` (later cases use its cluster even after
 * a failure), and throws with every failure's reason and log lines unless all passed.
 */
export async function runPassingClusterSteps(
  plan: ClusterPlan<string>,
  recorder: RunRecorder,
  report: RunReport,
  name: string,
  keep: (outcome: ClusterOutcome<string>) => void = () => {},
): Promise<ClusterOutcome<string>> {
  const outcome = await runClusterSteps(plan, recorder, report);
  keep(outcome);
  report.ok = report.failures.length === 0 && report.frameworks.every((f) => f.status === "passed");
  console.log(renderSummary(report));
  if (outcome.diagnostics) saveDiagnostics(name, outcome.diagnostics);
  expect(report.ok, report.failures.map((f) => `${f.step}: ${f.reason}\n${f.logTail.join("\n")}`).join("\n") || "not every framework passed");
  return outcome;
}
