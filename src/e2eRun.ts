import { func, object, type Directory } from "@dagger.io/dagger";

/**
 * The outcome of an end-to-end run. Chain `check` to fail on a failed run, or `report`
 * to export the summary, result.json and diagnostics.
 */
@object()
export class E2eRun {
  /** True when every framework's job succeeded. */
  @func()
  ok: boolean;

  /** The short summary: frameworks, images, operator, each step's duration, job status. */
  @func()
  summary: string;

  /** Why the run failed: the failed step, the last log lines, how to keep the diagnostics. Empty when it passed. */
  @func()
  message: string;

  /** summary.txt, result.json and, after a failure in the cluster, diagnostics/ with a folder per framework. Export with -o. */
  @func()
  report: Directory;

  constructor(ok: boolean, summary: string, message: string, report: Directory) {
    this.ok = ok;
    this.summary = summary;
    this.message = message;
    this.report = report;
  }

  /** The summary when the run passed; otherwise fails with the failed step and its log. */
  @func()
  check(): string {
    if (!this.ok) throw new Error(this.message);
    return this.summary;
  }
}
