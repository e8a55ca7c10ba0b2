// Turns the job and its pods (`kubectl get ... -o json` lists, merged) into the job's state,
// failing early on pod problems that never resolve by waiting (a missing image, no room).
// v1 jobs end with Succeeded or Failed; a TrainJob with Complete or Failed.

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

interface ContainerStatus {
  name: string;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: { exitCode?: number; reason?: string } };
}

interface Item {
  kind?: string;
  metadata?: { name?: string };
  /** Events only. */
  reason?: string;
  message?: string;
  status?: {
    conditions?: Condition[];
    phase?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

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
  for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
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

/**
 * The job's state from the merged list. `eventReasons`: Warning events on the job that say why
 * it is stuck (a TrainJob whose JobSet cannot be created gets no condition, only such an event),
 * added to the detail so that a timeout names the cause.
 */
export function jobState(listJson: string, kind: string, name: string, successCondition = "Succeeded", eventReasons: string[] = []): JobState {
  const list = JSON.parse(listJson) as { items?: Item[] };
  const items = list.items ?? [];
  const job = items.find((i) => i.kind === kind && i.metadata?.name === name);
  const pods = items.filter((i) => i.kind === "Pod");
  if (!job) return { phase: "pending", detail: `${kind} ${name} not found yet` };

  const conditions = job.status?.conditions ?? [];
  const isTrue = (type: string) => conditions.find((c) => c.type === type && c.status === "True");
  const describe = (c: Condition) => `${c.type}${c.reason ? ` (${c.reason})` : ""}${c.message ? `: ${c.message}` : ""}`;
  const succeeded = isTrue(successCondition);
  if (succeeded) return { phase: "succeeded", detail: describe(succeeded) };
  const failed = isTrue("Failed");
  if (failed) return { phase: "failed", detail: describe(failed) };

  const problem = pods.map(podProblem).find((p) => p !== undefined);
  if (problem) return { phase: "failed", detail: problem };

  const latest = conditions.filter((c) => c.status === "True").at(-1);
  const phase: JobPhase = latest ? "running" : "pending";
  const warning = items.filter((i) => i.kind === "Event" && eventReasons.includes(i.reason ?? "")).at(-1);
  return { phase, detail: `${latest ? latest.type : "no condition yet"}; ${podSummary(pods)}${warning ? `; ${warning.reason}: ${warning.message ?? ""}` : ""}` };
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
