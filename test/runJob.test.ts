// runJob's waiting and verdict logic against a scripted cluster: each kubectl call gets
// the next captured answer (the JSON shapes of test/fixtures), no engine involved.
import { beforeAll, describe, expect, it } from "vitest";
import { fsReader } from "../src/catalog/fsReader.js";
import { loadFramework, type CatalogEntry } from "../src/catalog/loader.js";
import { renderJob, type RenderedJob } from "../src/jobs/manifest.js";
import { renderTrainJob } from "../src/jobs/trainJob.js";
import { MAX_POLL_FAILURES, POD_END_TIMEOUT_SECONDS, runJob, type Pacing } from "../src/jobs/run.js";
import { CommandFailed, FailureWithLog } from "../src/exec/steps.js";
import { REPO_ROOT } from "./helpers/catalogFixture.js";
import { fixture } from "./helpers/fixtures.js";

let jax: CatalogEntry;
let job: RenderedJob;
beforeAll(async () => {
  jax = await loadFramework(fsReader(REPO_ROOT), "jax");
  job = renderJob(jax, "docker.io/kubeflow-ci/jax-e2e:t");
});

const OK = (pid: number) => `[e2e] noise\nE2E_RESULT {"framework":"jax","ok":true,"process_id":${pid}}\n`;
const FAILED = 'E2E_RESULT {"framework":"jax","ok":false,"error":"sum over all devices is 2.0, expected 3.0"}\n';
const apiDown = () => new CommandFailed("kubectl get", 1, "", "The connection to the server docker:6443 was refused", 60);

/**
 * A cluster whose answers to `kubectl get <job>` come from `polls` in order (each a captured
 * list holding the job and its pods), and whose logs come from `logs`. The poll's second
 * call, for the pods alone, answers an empty list: the captured list already holds them.
 */
function scriptedCluster(polls: (string | Error)[], logs: Record<string, string>, events: string[] = []) {
  const calls: string[][] = [];
  let applied = "";
  return {
    calls,
    applied: () => applied,
    apply: async (yaml: string) => {
      applied = yaml;
    },
    run: async (argv: string[]) => {
      calls.push(argv);
      if (argv[1] === "logs") return logs[argv[4]!] ?? "";
      if (argv[1] === "get" && (argv[2] === "pods" || argv[2] === "events")) return events.shift() ?? '{"items":[]}';
      const next = polls.shift();
      if (next === undefined) throw new Error("the test ran out of scripted answers");
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

/** A clock that advances by each pause, so deadlines pass without waiting. */
function fakePacing(): Pacing & { elapsed: () => number } {
  let now = 0;
  return { pollSeconds: 5, now: () => now, pause: async (s) => void (now += s * 1000), elapsed: () => now / 1000 };
}

const lines: string[] = [];
const note = (l: string) => lines.push(l);

describe("runJob", () => {
  it("applies the rendered job, waits through Running and reads every pod's result", async () => {
    const cluster = scriptedCluster([fixture("jaxjob-running.json"), fixture("jaxjob-succeeded.json")], { "jax-e2e-worker-0": OK(0), "jax-e2e-worker-1": OK(1) });
    const outcome = await runJob(cluster, jax, job, note, fakePacing());
    expect(cluster.applied()).toBe(job.yaml);
    expect(cluster.calls[0]).toEqual(["kubectl", "get", "jaxjob.kubeflow.org", "-n", "default", "-l", "training-operator-ci/framework=jax", "-o", "json"]);
    expect(cluster.calls[1]).toEqual(["kubectl", "get", "pods", "-n", "default", "-l", "training-operator-ci/framework=jax", "-o", "json"]);
    expect(outcome.state.phase).toBe("succeeded");
    expect(Object.keys(outcome.results)).toEqual(["jax-e2e-worker-0", "jax-e2e-worker-1"]);
  });

  it("fails with the operator's reason and the pods' last log lines", async () => {
    const cluster = scriptedCluster([fixture("jaxjob-failed.json")], { "jax-e2e-worker-0": FAILED });
    const error = (await runJob(cluster, jax, job, note, fakePacing()).catch((e: unknown) => e)) as FailureWithLog;
    expect(error.message).toMatch(/^JAXJob jax-e2e failed: Failed \(JAXJobFailed\)/);
    expect(error.logTail).toContain('jax-e2e-worker-0: E2E_RESULT {"framework":"jax","ok":false,"error":"sum over all devices is 2.0, expected 3.0"}');
  });

  it("fails a Succeeded job when a pod did not report ok", async () => {
    const cluster = scriptedCluster([fixture("jaxjob-succeeded.json")], { "jax-e2e-worker-0": OK(0), "jax-e2e-worker-1": "Traceback (most recent call last):\n" });
    await expect(runJob(cluster, jax, job, note, fakePacing())).rejects.toThrow(/succeeded but not every pod reported ok: jax-e2e-worker-1: no result line/);
  });

  it("after success, does not ask a result of a pod the operator is removing (an MPIJob's workers)", async () => {
    const removing = (json: string) => {
      const list = JSON.parse(json) as { items: { kind?: string; metadata: { name: string; deletionTimestamp?: string } }[] };
      for (const item of list.items) if (item.metadata.name === "jax-e2e-worker-1") item.metadata.deletionTimestamp = "2026-12-05T22:00:00Z";
      return JSON.stringify(list);
    };
    const succeeded = fixture("jaxjob-succeeded.json");
    expect(removing(succeeded)).not.toBe(succeeded); // the fixture has that pod
    const cluster = scriptedCluster([removing(succeeded)], { "jax-e2e-worker-0": OK(0), "jax-e2e-worker-1": "" });
    const outcome = await runJob(cluster, jax, job, note, fakePacing());
    expect(Object.keys(outcome.results)).toEqual(["jax-e2e-worker-0"]);
    // Without the deletion, the same silent pod fails the run.
    await expect(runJob(scriptedCluster([succeeded], { "jax-e2e-worker-0": OK(0), "jax-e2e-worker-1": "" }), jax, job, note, fakePacing())).rejects.toThrow(/jax-e2e-worker-1: no result line/);
  });

  it("does not mistake an error message containing ': ok ' for success", async () => {
    const tricky = 'E2E_RESULT {"framework":"jax","ok":false,"error":"pod: ok but not really"}\n';
    const cluster = scriptedCluster([fixture("jaxjob-succeeded.json")], { "jax-e2e-worker-0": OK(0), "jax-e2e-worker-1": tricky });
    await expect(runJob(cluster, jax, job, note, fakePacing())).rejects.toThrow(/jax-e2e-worker-1: FAILED: pod: ok but not really/);
  });

  it("gives up at the catalog's timeout, naming it and the last state", async () => {
    const pacing = fakePacing();
    const cluster = scriptedCluster(Array.from({ length: 100 }, () => fixture("jaxjob-running.json")), {});
    await expect(runJob(cluster, jax, job, note, pacing)).rejects.toThrow(
      /^JAXJob jax-e2e did not finish within 300s \(frameworks\/jax\/framework.yaml job.timeoutSeconds\); last state: Running; pods: 1 Running, 1 Pending$/,
    );
    expect(pacing.elapsed()).toBeGreaterThanOrEqual(300);
    expect(pacing.elapsed()).toBeLessThanOrEqual(310);
  });

  it("rides out a passing API error", async () => {
    const cluster = scriptedCluster([apiDown(), apiDown(), fixture("jaxjob-succeeded.json")], { "jax-e2e-worker-0": OK(0), "jax-e2e-worker-1": OK(1) });
    expect((await runJob(cluster, jax, job, note, fakePacing())).state.phase).toBe("succeeded");
  });

  it(`fails after ${MAX_POLL_FAILURES} API errors in a row`, async () => {
    const cluster = scriptedCluster([apiDown(), apiDown(), apiDown(), fixture("jaxjob-succeeded.json")], {});
    await expect(runJob(cluster, jax, job, note, fakePacing())).rejects.toThrow(/exited with code 1/);
  });
});

describe("runJob after the job succeeded (PyTorchJob and XGBoostJob succeed with their master)", () => {
  let pytorch: CatalogEntry;
  let torchJob: RenderedJob;
  beforeAll(async () => {
    pytorch = await loadFramework(fsReader(REPO_ROOT), "pytorch");
    torchJob = renderJob(pytorch, "docker.io/kubeflow-ci/pytorch-e2e:t");
  });
  const ok = (rank: number) => `E2E_RESULT {"framework":"pytorch","ok":true,"rank":${rank}}\n`;

  it("waits for a worker still running, then reads every pod's complete log", async () => {
    const logs = { "pytorch-e2e-master-0": ok(0), "pytorch-e2e-worker-0": ok(1) };
    const cluster = scriptedCluster(
      [fixture("pytorchjob-succeeded-worker-running.json"), fixture("pytorchjob-succeeded-worker-running.json"), fixture("pytorchjob-succeeded.json")],
      logs,
    );
    const outcome = await runJob(cluster, pytorch, torchJob, note, fakePacing());
    expect(cluster.calls.filter((c) => c[1] === "get" && c[2] !== "pods")).toHaveLength(3);
    expect(cluster.calls.filter((c) => c[1] === "logs").map((c) => c[4])).toEqual(["pytorch-e2e-master-0", "pytorch-e2e-worker-0"]);
    expect(Object.keys(outcome.results)).toEqual(["pytorch-e2e-master-0", "pytorch-e2e-worker-0"]);
  });

  it("fails, naming the pod, when a worker fails after the job succeeded", async () => {
    const cluster = scriptedCluster([fixture("pytorchjob-succeeded-worker-running.json"), fixture("pytorchjob-succeeded-worker-failed.json")], {
      "pytorch-e2e-master-0": ok(0),
      "pytorch-e2e-worker-0": "RuntimeError: gloo connection closed\n",
    });
    const error = (await runJob(cluster, pytorch, torchJob, note, fakePacing()).catch((e: unknown) => e)) as FailureWithLog;
    expect(error.message).toBe("PyTorchJob pytorch-e2e succeeded but pod(s) failed: pytorch-e2e-worker-0 (exit code 1, Error)");
    expect(error.logTail).toContain("pytorch-e2e-worker-0: RuntimeError: gloo connection closed");
  });

  it(`gives up ${POD_END_TIMEOUT_SECONDS}s after success when a pod never ends, naming it`, async () => {
    const pacing = fakePacing();
    const cluster = scriptedCluster(Array.from({ length: 60 }, () => fixture("pytorchjob-succeeded-worker-running.json")), {});
    await expect(runJob(cluster, pytorch, torchJob, note, pacing)).rejects.toThrow(
      `PyTorchJob pytorch-e2e succeeded but pod(s) had not ended ${POD_END_TIMEOUT_SECONDS}s later: pytorch-e2e-worker-0 (Running)`,
    );
    expect(pacing.elapsed()).toBeLessThanOrEqual(POD_END_TIMEOUT_SECONDS + 10);
  });
});

describe("runJob on a TrainJob (Trainer v2)", () => {
  let trainJob: RenderedJob;
  beforeAll(() => {
    // The jax-distributed runtime as kubeflow/trainer v2.3.0's runtimes overlay renders it.
    const runtime = {
      apiVersion: "trainer.kubeflow.org/v1alpha1",
      kind: "ClusterTrainingRuntime",
      metadata: { name: "jax-distributed", labels: { "trainer.kubeflow.org/framework": "jax", "trainer.kubeflow.org/webhook-validation": "disabled" } },
      spec: { mlPolicy: { numNodes: 1, jax: {} }, template: { spec: { replicatedJobs: [{ name: "node", template: { spec: { template: { spec: { containers: [{ name: "node", image: "nvcr.io/nvidia/jax:25.10-py3" }] } } } } }] } } },
    };
    trainJob = renderTrainJob(jax, "docker.io/kubeflow-ci/jax-e2e:t", runtime);
  });
  const JOBS_DONE = [{ name: "node", ready: 0, succeeded: 1, failed: 0, active: 0, suspended: 0 }];
  const trainJobList = (conditions: object[], pods: object[] = [], jobsStatus: object[] = []) =>
    JSON.stringify({ items: [{ kind: "TrainJob", metadata: { name: "jax-e2e" }, status: { conditions, jobsStatus } }, ...pods] });
  const pod = (i: number, phase: string, exitCode?: number, restartCount = 0) => ({
    kind: "Pod",
    metadata: { name: `jax-e2e-node-0-${i}-abcde` },
    status: {
      phase,
      containerStatuses:
        exitCode === undefined && restartCount === 0
          ? []
          : [
              {
                name: "node",
                restartCount,
                ...(restartCount > 0 ? { lastState: { terminated: { exitCode: 1, reason: "Error" } } } : {}),
                state: exitCode === undefined ? { running: {} } : { terminated: { exitCode, reason: exitCode ? "Error" : "Completed" } },
              },
            ],
    },
  });
  const complete = { type: "Complete", status: "True", reason: "AllJobsCompleted", message: "jobset completed successfully" };

  it("runs on the installed ClusterTrainingRuntime, bounded by the catalog's time limit on the server", () => {
    expect(trainJob.manifest.spec.runtimeRef).toEqual({ apiGroup: "trainer.kubeflow.org", kind: "ClusterTrainingRuntime", name: "jax-distributed" });
    expect(trainJob.manifest.spec.activeDeadlineSeconds).toBe(jax.timeoutSeconds);
    // The TrainJob alone: no runtime of the run's own beside it.
    expect(trainJob.yaml).not.toMatch(/^---$/m);
    expect(trainJob.yaml).toMatch(/^kind: TrainJob$/m);
    expect(trainJob.waitSeconds).toBe(jax.timeoutSeconds + 30);
    expect(trainJob.jobsStatus).toEqual([{ name: "node", replicas: 1, mustSucceed: true }]);
  });

  it("finds the TrainJob by its label and the pods by their JobSet's name, and passes on Complete with every Job succeeded", async () => {
    const cluster = scriptedCluster(
      [trainJobList([], [pod(0, "Running"), pod(1, "Running")]), trainJobList([complete], [pod(0, "Succeeded", 0), pod(1, "Succeeded", 0)], JOBS_DONE)],
      { "jax-e2e-node-0-0-abcde": OK(0), "jax-e2e-node-0-1-abcde": OK(1) },
    );
    const outcome = await runJob(cluster, jax, trainJob, note, fakePacing());
    expect(cluster.calls[0]!.slice(0, 3)).toEqual(["kubectl", "get", "trainjob.trainer.kubeflow.org"]);
    expect(cluster.calls[1]).toEqual(["kubectl", "get", "pods", "-n", "default", "-l", "jobset.sigs.k8s.io/jobset-name=jax-e2e", "-o", "json"]);
    expect(outcome.state).toEqual({ phase: "succeeded", detail: "Complete (AllJobsCompleted): jobset completed successfully" });
    expect(Object.keys(outcome.results)).toEqual(["jax-e2e-node-0-0-abcde", "jax-e2e-node-0-1-abcde"]);
  });

  it("names the controller's warning when the JobSet cannot be created, so the timeout says why", async () => {
    const warning = JSON.stringify({
      items: [{ kind: "Event", type: "Warning", reason: "TrainJobResourcesCreationFailed", message: "TrainJob resources reconciliation failed: JobSet name is too long" }],
    });
    const polls = Array.from({ length: 100 }, () => trainJobList([]));
    // Each poll asks for the TrainJob, its pods and its warnings, in that order.
    const answers = Array.from({ length: 100 }, () => ['{"items":[]}', warning]).flat();
    const cluster = scriptedCluster(polls, {}, answers);
    await expect(runJob(cluster, jax, trainJob, note, fakePacing())).rejects.toThrow(
      /did not finish within 330s \(frameworks\/jax\/framework.yaml job.timeoutSeconds, the TrainJob's own deadline, plus 30s\); last state: no condition yet; no pods yet; TrainJobResourcesCreationFailed: TrainJob resources reconciliation failed: JobSet name is too long/,
    );
    expect(cluster.calls[2]).toEqual(["kubectl", "get", "events", "-n", "default", "--field-selector", "involvedObject.name=jax-e2e,type=Warning", "-o", "json"]);
  });

  it("fails with the JobSet's reason when the TrainJob is Failed", async () => {
    const failed = { type: "Failed", status: "True", reason: "FailedJobs", message: "jobset failed due to one or more job failures (first failed job: jax-e2e-node-0)" };
    const cluster = scriptedCluster([trainJobList([failed], [pod(0, "Failed", 1)])], { "jax-e2e-node-0-0-abcde": FAILED });
    await expect(runJob(cluster, jax, trainJob, note, fakePacing())).rejects.toThrow(
      "TrainJob jax-e2e failed: Failed (FailedJobs): jobset failed due to one or more job failures (first failed job: jax-e2e-node-0)",
    );
  });

  it("fails at the first restart, before the runtime's retries, with the log of the run before it", async () => {
    const cluster = scriptedCluster([trainJobList([], [pod(0, "Running"), pod(1, "Running", undefined, 1)])], {
      "jax-e2e-node-0-0-abcde": "waiting for peers\n",
      "jax-e2e-node-0-1-abcde": FAILED,
    });
    const error = await runJob(cluster, jax, trainJob, note, fakePacing()).then(() => undefined, (e: FailureWithLog) => e);
    expect(error?.message).toBe("TrainJob jax-e2e failed: pod jax-e2e-node-0-1-abcde, container node: restarted 1 time(s) (last exit code 1, Error)");
    expect(cluster.calls.filter((c) => c[1] === "logs").map((c) => c.slice(4).join(" "))).toEqual([
      "jax-e2e-node-0-0-abcde --all-containers --tail=-1",
      "jax-e2e-node-0-1-abcde --all-containers --tail=-1 --previous",
      "jax-e2e-node-0-1-abcde --all-containers --tail=-1",
    ]);
    expect(error?.logTail).toContain("jax-e2e-node-0-1-abcde: [before the restart]");
  });

  it("fails a Complete TrainJob whose pod needed a restart: a retry must not hide a flake", async () => {
    const cluster = scriptedCluster([trainJobList([complete], [pod(0, "Succeeded", 0), pod(1, "Succeeded", 0, 1)], JOBS_DONE)], {
      "jax-e2e-node-0-0-abcde": OK(0),
      "jax-e2e-node-0-1-abcde": OK(1),
    });
    await expect(runJob(cluster, jax, trainJob, note, fakePacing())).rejects.toThrow(
      "TrainJob jax-e2e succeeded only after a restart: pod jax-e2e-node-0-1-abcde, container node: restarted 1 time(s) (last exit code 1, Error)",
    );
  });

  it(`fails a Complete TrainJob whose jobsStatus never says every Job succeeded (bounded: ${POD_END_TIMEOUT_SECONDS}s)`, async () => {
    const pacing = fakePacing();
    const stuck = [{ ...JOBS_DONE[0], succeeded: 0, active: 1 }];
    const polls = Array.from({ length: 60 }, () => trainJobList([complete], [pod(0, "Succeeded", 0), pod(1, "Succeeded", 0)], stuck));
    const cluster = scriptedCluster(polls, { "jax-e2e-node-0-0-abcde": OK(0), "jax-e2e-node-0-1-abcde": OK(1) });
    await expect(runJob(cluster, jax, trainJob, note, pacing)).rejects.toThrow(
      `TrainJob jax-e2e succeeded but ${POD_END_TIMEOUT_SECONDS}s later, status.jobsStatus: node: ready 0, succeeded 0, failed 0, active 1, suspended 0 (want succeeded 1, the others 0)`,
    );
    expect(pacing.elapsed()).toBeLessThanOrEqual(POD_END_TIMEOUT_SECONDS + 10);
  });
});
