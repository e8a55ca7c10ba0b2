// Turns the job and its pods (`kubectl get ... -o json` lists, merged) into the job's state,
// failing early on pod problems that never resolve by waiting (a missing image, no room) and,
// where the job asks for it, on the first container restart or non-zero exit.
// v1 jobs end with Succeeded or Failed; a TrainJob with Complete or Failed.
import type { RenderedJob, ReplicatedJob } from "./manifest.js";

export type JobPhase = "pending" | "running" | "succeeded" | "failed";

export interface JobState {
  phase: JobPhase;
  /** One line for progress output and error messages. */
  detail: string;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

interface Terminated {
  exitCode?: number;
  reason?: string;
}

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: Terminated };
  lastState?: { terminated?: Terminated };
}

interface Item {
  kind?: string;
  metadata?: { name?: string; deletionTimestamp?: string; labels?: Record<string, string> };
  /** Events only. */
  reason?: string;
  message?: string;
  status?: {
    conditions?: Condition[];
    phase?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    /** TrainJob only. */
    jobsStatus?: Record<string, unknown>[];
  };
}

const containerStatuses = (pod: Item) => [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
const exitText = (t: Terminated) => `exit code ${t.exitCode}${t.reason ? `, ${t.reason}` : ""}`;

/** Container waiting reasons that waiting cannot fix. */
export const FATAL_WAITING_REASONS = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "ErrImageNeverPull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
  "CrashLoopBackOff",
  "RunContainerError",
]);

function podProblem(pod: Item): string | undefined {
  const name = pod.metadata?.name ?? "pod";
  for (const status of containerStatuses(pod)) {
    const waiting = status.state?.waiting;
    if (waiting?.reason && FATAL_WAITING_REASONS.has(waiting.reason)) {
      return `pod ${name}, container ${status.name}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`;
    }
  }
  const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable" && /Insufficient/.test(scheduled.message ?? "")) {
    return `pod ${name} cannot be scheduled: ${scheduled.message}`;
  }
  return undefined;
}

function podSummary(pods: Item[]): string {
  if (pods.length === 0) return "no pods yet";
  const counts = new Map<string, number>();
  for (const pod of pods) counts.set(pod.status?.phase ?? "Unknown", (counts.get(pod.status?.phase ?? "Unknown") ?? 0) + 1);
  return `pods: ${[...counts].map(([phase, n]) => `${n} ${phase}`).join(", ")}`;
}

/** The first container, in any of `pods`, that restarted or exited non-zero, said in one line. */
export function restartProblem(pods: Item[]): string | undefined {
  for (const pod of pods) {
    const name = pod.metadata?.name ?? "pod";
    for (const status of containerStatuses(pod)) {
      const ended = status.state?.terminated;
      if (ended && ended.exitCode !== 0) return `pod ${name}, container ${status.name}: ${exitText(ended)}`;
      const restarts = status.restartCount ?? 0;
      if (restarts > 0) {
        const last = status.lastState?.terminated;
        return `pod ${name}, container ${status.name}: restarted ${restarts} time(s)${last ? ` (last ${exitText(last)})` : ""}`;
      }
    }
  }
  return undefined;
}

/** restartProblem over the pods of a `kubectl get ... -o json` list. */
export function listRestartProblem(listJson: string): string | undefined {
  return restartProblem(((JSON.parse(listJson) as { items?: Item[] }).items ?? []).filter((i) => i.kind === "Pod"));
}

/** Pods whose containers restarted, by name (their earlier logs are read with --previous). */
export function restartedPods(listJson: string): string[] {
  const pods = ((JSON.parse(listJson) as { items?: Item[] }).items ?? []).filter((i) => i.kind === "Pod");
  return pods.filter((p) => containerStatuses(p).some((c) => (c.restartCount ?? 0) > 0)).map((p) => p.metadata?.name ?? "pod").sort();
}

/** What the job's state is judged on. */
export type JobWatch = Pick<RenderedJob, "kind" | "name" | "successCondition" | "warningEvents" | "failOnRestart">;

/**
 * The job's state from the merged list. `warningEvents`: reasons of Warning events on the job
 * that say why it is stuck (a TrainJob whose JobSet cannot be created gets no condition, only
 * such an event), added to the detail so that a timeout names the cause.
 */
export function jobState(listJson: string, watch: JobWatch): JobState {
  const { kind, name } = watch;
  const list = JSON.parse(listJson) as { items?: Item[] };
  const items = list.items ?? [];
  const job = items.find((i) => i.kind === kind && i.metadata?.name === name);
  const pods = items.filter((i) => i.kind === "Pod");
  if (!job) return { phase: "pending", detail: `${kind} ${name} not found yet` };

  const conditions = job.status?.conditions ?? [];
  const isTrue = (type: string) => conditions.find((c) => c.type === type && c.status === "True");
  const describe = (c: Condition) => `${c.type}${c.reason ? ` (${c.reason})` : ""}${c.message ? `: ${c.message}` : ""}`;
  const succeeded = isTrue(watch.successCondition);
  if (succeeded) return { phase: "succeeded", detail: describe(succeeded) };
  const failed = isTrue("Failed");
  if (failed) return { phase: "failed", detail: describe(failed) };

  const problem = (watch.failOnRestart ? restartProblem(pods) : undefined) ?? pods.map(podProblem).find((p) => p !== undefined);
  if (problem) return { phase: "failed", detail: problem };

  const latest = conditions.filter((c) => c.status === "True").at(-1);
  const phase: JobPhase = latest ? "running" : "pending";
  const warning = items.filter((i) => i.kind === "Event" && watch.warningEvents.includes(i.reason ?? "")).at(-1);
  return { phase, detail: `${latest ? latest.type : "no condition yet"}; ${podSummary(pods)}${warning ? `; ${warning.reason}: ${warning.message ?? ""}` : ""}` };
}

/**
 * Whether a Complete TrainJob's status.jobsStatus says what upstream's e2e test requires of it
 * (kubeflow/trainer v2.3.0 test/e2e/e2e_test.go): each of the runtime's replicated Jobs listed,
 * all of its Jobs succeeded, none failed, active, ready or suspended, and nothing else listed.
 * Returns the mismatch, or undefined.
 */
export function jobsStatusProblem(listJson: string, kind: string, name: string, expected: ReplicatedJob[]): string | undefined {
  const items = (JSON.parse(listJson) as { items?: Item[] }).items ?? [];
  const job = items.find((i) => i.kind === kind && i.metadata?.name === name);
  const reported = job?.status?.jobsStatus ?? [];
  const show = (entry: Record<string, unknown> | undefined) =>
    entry ? ["ready", "succeeded", "failed", "active", "suspended"].map((f) => `${f} ${entry[f] ?? "unset"}`).join(", ") : "not listed";
  const problems: string[] = [];
  for (const want of expected) {
    const entry = reported.find((e) => e.name === want.name);
    if (!want.mustSucceed) {
      // Serving Jobs are deleted once the JobSet is done: they must only be gone, not failed.
      const wanted: Record<string, number> = { ready: 0, failed: 0, active: 0, suspended: 0 };
      if (entry && Object.entries(wanted).some(([field, value]) => (entry[field] ?? 0) !== value)) {
        problems.push(`${want.name}: ${show(entry)} (serves the others: want failed 0 and, once done, active 0)`);
      }
      continue;
    }
    const wanted: Record<string, number> = { ready: 0, succeeded: want.replicas, failed: 0, active: 0, suspended: 0 };
    if (!entry || Object.entries(wanted).some(([field, value]) => entry[field] !== value)) {
      problems.push(`${want.name}: ${show(entry)} (want succeeded ${want.replicas}, the others 0)`);
    }
  }
  const extra = reported.map((e) => String(e.name)).filter((n) => !expected.some((w) => w.name === n));
  if (extra.length > 0) problems.push(`not in the runtime: ${extra.join(", ")}`);
  return problems.length > 0 ? `status.jobsStatus: ${problems.join("; ")}` : undefined;
}

/** Names of the pods in a `kubectl get ... -o json` list. */
export function podNames(listJson: string): string[] {
  const list = JSON.parse(listJson) as { items?: Item[] };
  return (list.items ?? []).filter((i) => i.kind === "Pod" && i.metadata?.name).map((i) => i.metadata!.name!).sort();
}

export interface PodEnds {
  /** Pods not yet Succeeded or Failed, with their phase. */
  running: string[];
  /** Pods that ended Failed, with the first terminated container's reason. */
  failed: string[];
}

/**
 * Pods the operator is removing (deletionTimestamp set): after success, an MPIJob's workers
 * (cleanPodPolicy Running) end this way, having run no payload of their own to report.
 */
export function podsBeingDeleted(listJson: string): string[] {
  const list = JSON.parse(listJson) as { items?: Item[] };
  return (list.items ?? []).filter((i) => i.kind === "Pod" && i.metadata?.deletionTimestamp).map((i) => i.metadata?.name ?? "pod");
}

/** JobSet labels each pod with its replicated Job's name. */
export const REPLICATED_JOB_LABEL = "jobset.sigs.k8s.io/replicatedjob-name";

/**
 * The list without the pods of `serving` replicated Jobs that JobSet is deleting: once the
 * Jobs that must succeed have, JobSet deletes the rest (jobset v0.12.0 jobset_controller.go,
 * deleteJobs of a finished JobSet), and an MPI node's sshd then ends non-zero on SIGTERM. They
 * ran no payload and are no verdict; before that moment every pod counts.
 */
export function withoutLeavingServers(listJson: string, serving: string[]): string {
  if (serving.length === 0) return listJson;
  const items = (JSON.parse(listJson) as { items?: Item[] }).items ?? [];
  const leaving = (i: Item) => i.kind === "Pod" && !!i.metadata?.deletionTimestamp && serving.includes(i.metadata.labels?.[REPLICATED_JOB_LABEL] ?? "");
  return JSON.stringify({ items: items.filter((i) => !leaving(i)) });
}

/** Merges `kubectl get ... -o json` lists into one. */
export function mergeLists(listJsons: string[]): string {
  return JSON.stringify({ items: listJsons.flatMap((json) => (JSON.parse(json) as { items?: Item[] }).items ?? []) });
}

/**
 * Which of the job's pods are still running and which failed. A PyTorchJob or XGBoostJob
 * is Succeeded as soon as its master is, while a worker may still run (or fail) after.
 */
export function podEnds(listJson: string): PodEnds {
  const list = JSON.parse(listJson) as { items?: Item[] };
  const pods = (list.items ?? []).filter((i) => i.kind === "Pod");
  const name = (pod: Item) => pod.metadata?.name ?? "pod";
  const running = pods.filter((p) => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed").map((p) => `${name(p)} (${p.status?.phase ?? "Unknown"})`);
  const failed = pods
    .filter((p) => p.status?.phase === "Failed")
    .map((p) => {
      const ended = (p.status?.containerStatuses ?? []).map((c) => c.state?.terminated).find((t) => t && t.exitCode !== 0);
      return `${name(p)}${ended ? ` (exit code ${ended.exitCode}${ended.reason ? `, ${ended.reason}` : ""})` : ""}`;
    });
  return { running: running.sort(), failed: failed.sort() };
}
