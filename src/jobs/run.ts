// Runs one framework's job in the cluster: apply, wait for success (Succeeded, or Complete
// for a TrainJob), failing early on Failed, a pod that cannot start or (TrainJob) the first
// container restart or non-zero exit, then read every pod's result line.
import type { CatalogEntry } from "../catalog/loader.js";
import { outerLimit } from "../cluster/commands.js";
import type { KindCluster } from "../cluster/kind.js";
import { FailureWithLog, sleep } from "../exec/steps.js";
import type { RenderedJob } from "./manifest.js";
import { describeResults, parseResultLine, type PayloadResult } from "./results.js";
import { jobsStatusProblem, jobState, listRestartProblem, mergeLists, podEnds, podNames, podsBeingDeleted, restartedPods, withoutLeavingServers, type JobState } from "./status.js";

export interface JobOutcome {
  state: JobState;
  /** Pod name to its result line (undefined when the pod printed none). */
  results: Record<string, PayloadResult | undefined>;
}

/** How the wait paces itself; tests replace the clock and the pause. */
export interface Pacing {
  pollSeconds: number;
  now: () => number;
  pause: (seconds: number) => Promise<void>;
}

const DEFAULT_PACING: Pacing = { pollSeconds: 5, now: Date.now, pause: sleep };
/** A passing API hiccup is not a failure; this many in a row is. */
export const MAX_POLL_FAILURES = 3;
/** After the job succeeded, how long its other pods may take to end before logs are read. */
export const POD_END_TIMEOUT_SECONDS = 120;
/** After a failure, how long the job's pods may take to go once it is stopped. */
export const STOP_TIMEOUT_SECONDS = 90;

type Cluster = Pick<KindCluster<unknown>, "run" | "apply">;

/** Each pod's log, and for a pod whose containers restarted, the earlier run's log first. */
async function podLogs(cluster: Cluster, job: RenderedJob, listJson: string): Promise<Record<string, string>> {
  const logs: Record<string, string> = {};
  const restarted = new Set(restartedPods(listJson));
  const read = (pod: string, ...flags: string[]) =>
    cluster.run(["kubectl", "logs", "-n", job.namespace, pod, "--all-containers", "--tail=-1", ...flags]).catch((e: Error) => `(no log: ${e.message})`);
  for (const pod of podNames(listJson)) {
    const previous = restarted.has(pod) ? `[before the restart]\n${(await read(pod, "--previous")).trimEnd()}\n[after the restart]\n` : "";
    logs[pod] = previous + (await read(pod));
  }
  return logs;
}

export async function runJob(
  cluster: Cluster,
  entry: CatalogEntry,
  job: RenderedJob,
  note: (line: string) => void,
  pacing: Pacing = DEFAULT_PACING,
): Promise<JobOutcome> {
  await cluster.apply(job.yaml);
  const timeout = job.waitSeconds;
  const deadline = pacing.now() + timeout * 1000;
  const serving = (job.jobsStatus ?? []).filter((r) => !r.mustSucceed).map((r) => r.name);
  const lists = [
    ["kubectl", "get", job.resource, "-n", job.namespace, "-l", job.selector, "-o", "json"],
    ["kubectl", "get", "pods", "-n", job.namespace, "-l", job.podSelector, "-o", "json"],
    ...(job.warningEvents.length > 0
      ? [["kubectl", "get", "events", "-n", job.namespace, "--field-selector", `involvedObject.name=${job.name},type=Warning`, "-o", "json"]]
      : []),
  ];
  let state: JobState;
  let listJson: string;
  let last = "";
  let failures = 0;
  /** One poll; undefined after a passing API error (the caller pauses and polls again until `until`). */
  const poll = async (until: number): Promise<string | undefined> => {
    try {
      const answers: string[] = [];
      for (const list of lists) answers.push(await cluster.run(list));
      const json = withoutLeavingServers(mergeLists(answers), serving);
      failures = 0;
      return json;
    } catch (error) {
      if (++failures >= MAX_POLL_FAILURES || pacing.now() > until) throw error;
      note(`polling ${job.kind} ${job.name} failed (${(error as Error).message}); retrying`);
      return undefined;
    }
  };
  for (;;) {
    const polled = await poll(deadline);
    if (polled === undefined) {
      await pacing.pause(pacing.pollSeconds);
      continue;
    }
    listJson = polled;
    state = jobState(listJson, job);
    if (state.detail !== last) note(`${job.kind} ${job.name}: ${state.detail}`);
    last = state.detail;
    if (state.phase === "succeeded" || state.phase === "failed") break;
    if (pacing.now() > deadline) {
      const field = entry.spec.job ? "job.timeoutSeconds" : "trainJob.timeoutSeconds";
      const bound = timeout === entry.timeoutSeconds ? field : `${field}, the ${job.kind}'s own deadline, plus ${timeout - entry.timeoutSeconds}s`;
      throw new FailureWithLog(`${job.kind} ${job.name} did not finish within ${timeout}s (${entry.specFile} ${bound}); last state: ${state.detail}`, []);
    }
    await pacing.pause(pacing.pollSeconds);
  }

  let afterSuccess: string | undefined;
  if (state.phase === "succeeded") ({ listJson, problem: afterSuccess } = await awaitPodEnds(job, listJson, poll, note, pacing));

  const logs = await podLogs(cluster, job, listJson);
  const tail = Object.entries(logs).flatMap(([pod, log]) => log.trimEnd().split("\n").slice(-8).map((line) => `${pod}: ${line}`));
  if (state.phase === "failed") throw new FailureWithLog(`${job.kind} ${job.name} failed: ${state.detail}`, tail);
  if (afterSuccess) throw new FailureWithLog(afterSuccess, tail);
  // Pods the operator removes after success ran no payload of their own (an MPIJob's workers).
  const leaving = new Set(podsBeingDeleted(listJson));
  const results = Object.fromEntries(Object.entries(logs).filter(([pod]) => !leaving.has(pod)).map(([pod, log]) => [pod, parseResultLine(log)]));
  const notOk = Object.keys(results).filter((pod) => results[pod]?.ok !== true);
  if (Object.keys(results).length === 0 || notOk.length > 0) {
    const lines = describeResults(Object.fromEntries(notOk.map((pod) => [pod, results[pod]])));
    throw new FailureWithLog(`${job.kind} ${job.name} succeeded but not every pod reported ok: ${lines.join("; ") || "no pods found"}`, tail);
  }
  return { state, results };
}

/**
 * After a failure, once its diagnostics are kept: stops the job's pods (a TrainJob's runtime
 * would keep restarting them) and waits, bounded, until they are gone, so the next job finds
 * room. A job without a stop command is left as it is. Never throws: the failure is already told.
 */
export async function stopJob(cluster: Cluster, job: RenderedJob, note: (line: string) => void): Promise<void> {
  if (!job.stop) return;
  try {
    await cluster.run(job.stop);
    const wait = ["kubectl", "wait", "--for=delete", "pods", "-n", job.namespace, "-l", job.podSelector, `--timeout=${STOP_TIMEOUT_SECONDS}s`];
    await cluster.run(wait, outerLimit(STOP_TIMEOUT_SECONDS));
    note(`${job.kind} ${job.name} stopped, its pods gone`);
  } catch (error) {
    note(`stopping ${job.kind} ${job.name}: ${(error as Error).message}`);
  }
}

/**
 * Once the job is Succeeded, waits (bounded by POD_END_TIMEOUT_SECONDS) until every pod has
 * ended, so each pod's result line is complete, and (TrainJob) until status.jobsStatus says
 * every Job succeeded. Returns the last pod list and, when a pod failed or restarted, did not
 * end in time, or the jobs' status never agreed, the problem naming it.
 */
async function awaitPodEnds(
  job: RenderedJob,
  listJson: string,
  poll: (until: number) => Promise<string | undefined>,
  note: (line: string) => void,
  pacing: Pacing,
): Promise<{ listJson: string; problem?: string }> {
  const limit = pacing.now() + POD_END_TIMEOUT_SECONDS * 1000;
  let latest = listJson;
  for (;;) {
    const ends = podEnds(latest);
    if (ends.failed.length > 0) return { listJson: latest, problem: `${job.kind} ${job.name} succeeded but pod(s) failed: ${ends.failed.join(", ")}` };
    // A retry must not hide a flake: a job that needed a restart to succeed fails.
    const restarted = job.failOnRestart ? listRestartProblem(latest) : undefined;
    if (restarted) return { listJson: latest, problem: `${job.kind} ${job.name} succeeded only after a restart: ${restarted}` };
    const jobs = job.jobsStatus ? jobsStatusProblem(latest, job.kind, job.name, job.jobsStatus) : undefined;
    if (ends.running.length === 0 && !jobs) return { listJson: latest };
    if (pacing.now() > limit) {
      const problem = ends.running.length > 0 ? `pod(s) had not ended ${POD_END_TIMEOUT_SECONDS}s later: ${ends.running.join(", ")}` : `${POD_END_TIMEOUT_SECONDS}s later, ${jobs}`;
      return { listJson: latest, problem: `${job.kind} ${job.name} succeeded but ${problem}` };
    }
    note(`${job.kind} ${job.name} succeeded; waiting for ${ends.running.length > 0 ? ends.running.join(", ") + " to end" : jobs}`);
    await pacing.pause(pacing.pollSeconds);
    latest = (await poll(limit)) ?? latest;
  }
}
