// The run's report: a short summary for people, result.json for machines, and the
// error message that says which step failed, why, and how to keep the diagnostics.
import { formatSeconds, type StepFailure, type StepRecord } from "../exec/steps.js";

export type FrameworkStatus = "passed" | "failed" | "not run";

export interface FrameworkReport {
  framework: string;
  image: string;
  job: string;
  status: FrameworkStatus;
  seconds?: number;
  detail: string;
  /** One line per pod: what its payload reported. */
  results: string[];
}

export interface RunReport {
  ok: boolean;
  operator: string;
  cluster: string;
  frameworks: FrameworkReport[];
  steps: StepRecord[];
  failures: { step: string; reason: string; logTail: string[] }[];
  diagnosticsCollected: boolean;
}

/** A report before anything ran: every framework "not run", no failures; the run fills it in. */
export function startReport(
  operator: string,
  cluster: string,
  frameworks: { framework: string; image?: string; job?: string }[],
  steps: StepRecord[],
): RunReport {
  return {
    ok: false,
    operator,
    cluster,
    frameworks: frameworks.map((f) => ({ framework: f.framework, image: f.image ?? "", job: f.job ?? "", status: "not run", detail: "", results: [] })),
    steps,
    failures: [],
    diagnosticsCollected: false,
  };
}

/**
 * The report folder's files: summary.txt, result.json and, after a failure in the cluster,
 * diagnostics/<path>. Plain copies: nothing in it can re-run a command against the cluster.
 */
export function reportFiles(report: RunReport, summary: string, diagnostics?: Record<string, string>): Record<string, string> {
  const files: Record<string, string> = { "summary.txt": summary, "result.json": JSON.stringify(report, null, 2) + "\n" };
  for (const [path, text] of Object.entries(diagnostics ?? {})) files[`diagnostics/${path}`] = text;
  return files;
}

export function failureOf(error: StepFailure) {
  return { step: error.step, reason: error.reason, logTail: error.logTail };
}

export function renderSummary(report: RunReport): string {
  const width = Math.max(...report.frameworks.map((f) => f.framework.length), 4);
  const lines = [
    `training-operator-ci e2e: ${report.ok ? "PASSED" : "FAILED"}`,
    `operator: ${report.operator}`,
    `cluster:  ${report.cluster}`,
    "frameworks:",
    ...report.frameworks.flatMap((f) => [
      `  ${f.framework.padEnd(width)}  ${f.status.toUpperCase().padEnd(7)}  ${f.job}  ${f.image}${f.seconds === undefined ? "" : `  (${formatSeconds(f.seconds)})`}`,
      ...(f.detail ? [`  ${"".padEnd(width)}  ${f.detail}`] : []),
      ...f.results.map((r) => `  ${"".padEnd(width)}  ${r}`),
    ]),
    "steps:",
    ...report.steps.map((s) => `  ${s.status === "ok" ? "ok    " : "FAILED"}  ${formatSeconds(s.seconds).padStart(7)}  ${s.name}`),
  ];
  return lines.join("\n") + "\n";
}

/** The function's error: the failed step(s), the log lines that explain them, and how to get diagnostics. */
export function failureMessage(report: RunReport, reportCommand: string): string {
  const parts = report.failures.map((f) =>
    [`step "${f.step}" failed: ${f.reason}`, ...(f.logTail.length ? ["  last log lines:", ...f.logTail.map((l) => `    ${l}`)] : [])].join("\n"),
  );
  const keep = report.diagnosticsCollected
    ? `Diagnostics were collected (operator and pod logs, describe, events, kind export logs). To keep them, run:\n  ${reportCommand}`
    : `To keep the full report, run:\n  ${reportCommand}`;
  return [renderSummary(report).trimEnd(), "", ...parts, "", keep].join("\n");
}
