// Runs one framework's job in the cluster: apply, wait for Succeeded (failing early on
// Failed or a pod that cannot start), then read every pod's result line.
import type { KindCluster } from "../cluster/kind.js";
import type { CatalogEntry } from "../catalog/loader.js";
import { FailureWithLog } from "../run/steps.js";
import type { RenderedJob } from "./manifest.js";
import { describeResults, parseResultLine, type PayloadResult } from "./results.js";
import { jobState, podNames, type JobState } from "./status.js";

export interface JobOutcome {
  framework: string;
  job: RenderedJob;
  state: JobState;
  /** Pod name to its result line (undefined when the pod printed none). */
  results: Record<string, PayloadResult | undefined>;
}

const POLL_SECONDS = 5;
/** A passing API hiccup is not a failure; this many in a row is. */
const MAX_POLL_FAILURES = 3;
const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

async function podLogs(cluster: KindCluster, job: RenderedJob, pods: string[]): Promise<Record<string, string>> {
  const logs: Record<string, string> = {};
  for (const pod of pods) {
    logs[pod] = await cluster.run(["kubectl", "logs", "-n", job.namespace, pod, "--all-containers", "--tail=-1"]).catch((e: Error) => `(no log: ${e.message})`);
  }
  return logs;
}

export async function runJob(cluster: KindCluster, entry: CatalogEntry, job: RenderedJob, note: (line: string) => void): Promise<JobOutcome> {
  await cluster.apply(job.yaml);
  const timeout = entry.spec.job.timeoutSeconds;
  const deadline = Date.now() + timeout * 1000;
  const list = ["kubectl", "get", `${job.resource},pods`, "-n", job.namespace, "-l", job.selector, "-o", "json"];
  let state: JobState;
  let listJson: string;
  let last = "";
  let failures = 0;
  for (;;) {
    try {
      listJson = await cluster.run(list);
      failures = 0;
    } catch (error) {
      if (++failures >= MAX_POLL_FAILURES || Date.now() > deadline) throw error;
      note(`polling ${job.kind} ${job.name} failed (${(error as Error).message}); retrying`);
      await sleep(POLL_SECONDS);
      continue;
    }
    state = jobState(listJson, job.kind, job.name);
    if (state.detail !== last) note(`${job.kind} ${job.name}: ${state.detail}`);
    last = state.detail;
    if (state.phase === "succeeded" || state.phase === "failed") break;
    if (Date.now() > deadline) {
      throw new FailureWithLog(`${job.kind} ${job.name} did not finish within ${timeout}s (${entry.specFile} job.timeoutSeconds); last state: ${state.detail}`, []);
    }
    await sleep(POLL_SECONDS);
  }

  const logs = await podLogs(cluster, job, podNames(listJson));
  const results = Object.fromEntries(Object.entries(logs).map(([pod, log]) => [pod, parseResultLine(log)]));
  const tail = Object.entries(logs).flatMap(([pod, log]) => log.trimEnd().split("\n").slice(-8).map((line) => `${pod}: ${line}`));
  if (state.phase === "failed") throw new FailureWithLog(`${job.kind} ${job.name} failed: ${state.detail}`, tail);
  const bad = describeResults(results).filter((line) => !/: ok /.test(line));
  if (bad.length > 0) throw new FailureWithLog(`${job.kind} ${job.name} succeeded but not every pod reported ok: ${bad.join("; ")}`, tail);
  return { framework: entry.name, job, state, results };
}
