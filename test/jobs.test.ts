import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { fsReader } from "../src/catalog/fsReader.js";
import { loadCatalog, loadFramework, type CatalogEntry } from "../src/catalog/loader.js";
import { diagnosticCommands, diagnosticsScript, diagnosticsTimeoutSeconds, jobDiagnosticCommands, parseDiagnosticsIndex } from "../src/jobs/diagnostics.js";
import { FRAMEWORK_LABEL, renderJob, type RenderedJob } from "../src/jobs/manifest.js";
import { describeResults, parseResultLine } from "../src/jobs/results.js";
import { FATAL_WAITING_REASONS, jobsStatusProblem, jobState, podNames, REPLICATED_JOB_LABEL, restartedPods, restartProblem, withoutLeavingServers, type JobWatch } from "../src/jobs/status.js";
import { runtimeReplicatedJobs } from "../src/jobs/trainJob.js";
import { REPO_ROOT } from "./helpers/catalogFixture.js";
import { fixture } from "./helpers/fixtures.js";
import { shellSyntaxErrors } from "./helpers/shell.js";

const IMAGE = "docker.io/kubeflow-ci/jax-e2e:c-0123456789abcdef";
let jax: CatalogEntry;
let job: RenderedJob;

beforeAll(async () => {
  jax = await loadFramework(fsReader(REPO_ROOT), "jax");
  job = renderJob(jax, IMAGE);
});

describe("job manifest", () => {
  it("is the catalog's JAXJob with this run's image and the catalog's resources", () => {
    const manifest = parse(job.yaml);
    expect(manifest.apiVersion).toBe("kubeflow.org/v1");
    expect(manifest.kind).toBe("JAXJob");
    const worker = manifest.spec.jaxReplicaSpecs.Worker;
    expect(worker.replicas).toBe(2);
    const [container] = worker.template.spec.containers;
    expect(container).toMatchObject({ name: "jax", image: IMAGE, imagePullPolicy: "Never" });
    expect(container.resources).toEqual(jax.resources);
    expect(container.ports).toEqual([{ name: "jaxjob-port", containerPort: 6666 }]);
  });

  it("labels the job and its pods so one selector finds them", () => {
    const manifest = parse(job.yaml);
    expect(manifest.metadata.labels[FRAMEWORK_LABEL]).toBe("jax");
    expect(manifest.spec.jaxReplicaSpecs.Worker.template.metadata.labels[FRAMEWORK_LABEL]).toBe("jax");
    expect(job).toMatchObject({ kind: "JAXJob", name: "jax-e2e", namespace: "default", resource: "jaxjob.kubeflow.org", selector: `${FRAMEWORK_LABEL}=jax` });
  });

  it("leaves the catalog's template untouched", () => {
    const container = (jax.job!.manifest as any).spec.jaxReplicaSpecs.Worker.template.spec.containers[0];
    expect(container.image).toBeUndefined();
  });
});

describe("job state from kubectl output", () => {
  const JAXJOB: JobWatch = { kind: "JAXJob", name: "jax-e2e", successCondition: "Succeeded", warningEvents: [], failOnRestart: false };

  it("Succeeded", () => {
    expect(jobState(fixture("jaxjob-succeeded.json"), JAXJOB)).toEqual({
      phase: "succeeded",
      detail: "Succeeded (JAXJobSucceeded): JAXJob default/jax-e2e successfully completed.",
    });
  });

  it("Failed, with the operator's reason", () => {
    const state = jobState(fixture("jaxjob-failed.json"), JAXJOB);
    expect(state.phase).toBe("failed");
    expect(state.detail).toBe("Failed (JAXJobFailed): JAXJob jax-e2e is failed because 1 Worker replica(s) failed.");
  });

  it("fails early on an image the node does not have", () => {
    const state = jobState(fixture("jaxjob-image-pull-error.json"), JAXJOB);
    expect(state.phase).toBe("failed");
    expect(state.detail).toMatch(/^pod jax-e2e-worker-0, container jax: ErrImagePull: failed to pull/);
  });

  it("fails early on a pod that does not fit the node", () => {
    const state = jobState(fixture("jaxjob-unschedulable.json"), JAXJOB);
    expect(state).toMatchObject({ phase: "failed" });
    expect(state.detail).toMatch(/^pod jax-e2e-worker-1 cannot be scheduled: 0\/1 nodes are available: 1 Insufficient memory/);
  });

  it("keeps waiting while pods start", () => {
    expect(jobState(fixture("jaxjob-running.json"), JAXJOB)).toEqual({ phase: "running", detail: "Running; pods: 1 Running, 1 Pending" });
    expect(FATAL_WAITING_REASONS.has("ContainerCreating")).toBe(false);
  });

  it("waits for a job the operator has not picked up yet", () => {
    expect(jobState('{"kind":"List","items":[]}', JAXJOB)).toEqual({ phase: "pending", detail: "JAXJob jax-e2e not found yet" });
  });

  it("lists the job's pods", () => {
    expect(podNames(fixture("jaxjob-succeeded.json"))).toEqual(["jax-e2e-worker-0", "jax-e2e-worker-1"]);
  });
});

describe("a TrainJob fails on the first restart or non-zero exit (its runtime restarts pods OnFailure)", () => {
  const TRAINJOB: JobWatch = { kind: "TrainJob", name: "jax-e2e", successCondition: "Complete", warningEvents: [], failOnRestart: true };
  const node = (status: object) => ({ kind: "Pod", metadata: { name: "jax-e2e-node-0-1-abcde" }, status: { phase: "Running", containerStatuses: [{ name: "node", ...status }] } });
  const list = (...pods: object[]) => JSON.stringify({ items: [{ kind: "TrainJob", metadata: { name: "jax-e2e" }, status: { conditions: [] } }, ...pods] });
  const exited = node({ restartCount: 0, state: { terminated: { exitCode: 1, reason: "Error" } } });
  const restarted = node({ restartCount: 2, state: { running: {} }, lastState: { terminated: { exitCode: 1, reason: "Error" } } });
  const running = node({ restartCount: 0, state: { running: {} } });

  it("a container that exited non-zero, before any restart", () => {
    expect(jobState(list(exited), TRAINJOB)).toEqual({ phase: "failed", detail: "pod jax-e2e-node-0-1-abcde, container node: exit code 1, Error" });
  });

  it("a container that restarted, with its last exit", () => {
    expect(jobState(list(restarted), TRAINJOB)).toEqual({ phase: "failed", detail: "pod jax-e2e-node-0-1-abcde, container node: restarted 2 time(s) (last exit code 1, Error)" });
    expect(restartedPods(list(restarted, running))).toEqual(["jax-e2e-node-0-1-abcde"]);
  });

  it("keeps waiting while every container runs, and leaves a v1 job's restarts to its operator", () => {
    expect(jobState(list(running), TRAINJOB).phase).toBe("pending");
    expect(restartProblem([running, node({ state: { terminated: { exitCode: 0, reason: "Completed" } } })])).toBeUndefined();
    expect(jobState(list(restarted), { ...TRAINJOB, failOnRestart: false }).phase).toBe("pending");
  });
});

describe("a Complete TrainJob's status.jobsStatus, as upstream's e2e test requires it", () => {
  const list = (jobsStatus: object[]) => JSON.stringify({ items: [{ kind: "TrainJob", metadata: { name: "jax-e2e" }, status: { jobsStatus } }] });
  const done = { name: "node", ready: 0, succeeded: 1, failed: 0, active: 0, suspended: 0 };
  const expected = [{ name: "node", replicas: 1, mustSucceed: true }];

  it("passes when every replicated Job succeeded and nothing else is counted", () => {
    expect(jobsStatusProblem(list([done]), "TrainJob", "jax-e2e", expected)).toBeUndefined();
  });

  it("names a Job still active, a missing one and one the runtime does not have", () => {
    expect(jobsStatusProblem(list([{ ...done, succeeded: 0, active: 1 }]), "TrainJob", "jax-e2e", expected)).toBe(
      "status.jobsStatus: node: ready 0, succeeded 0, failed 0, active 1, suspended 0 (want succeeded 1, the others 0)",
    );
    expect(jobsStatusProblem(list([{ ...done, name: "launcher" }]), "TrainJob", "jax-e2e", expected)).toBe(
      "status.jobsStatus: node: not listed (want succeeded 1, the others 0); not in the runtime: launcher",
    );
    expect(jobsStatusProblem(list([{ name: "node", succeeded: 1 }]), "TrainJob", "jax-e2e", expected)).toMatch(/ready unset/);
  });

  // An MPI runtime (mlx-distributed): successPolicy targets the launcher; JobSet deletes the sshd nodes after it.
  const mpi = [
    { name: "node", replicas: 1, mustSucceed: false },
    { name: "launcher", replicas: 1, mustSucceed: true },
  ];
  const launcher = { ...done, name: "launcher" };

  it("wants a serving Job only gone and never failed, the targeted one succeeded", () => {
    expect(jobsStatusProblem(list([{ name: "node", ready: 0, succeeded: 0, failed: 0, active: 0, suspended: 0 }, launcher]), "TrainJob", "jax-e2e", mpi)).toBeUndefined();
    expect(jobsStatusProblem(list([launcher]), "TrainJob", "jax-e2e", mpi)).toBeUndefined();
    expect(jobsStatusProblem(list([{ name: "node", ready: 1, active: 1 }, launcher]), "TrainJob", "jax-e2e", mpi)).toBe(
      "status.jobsStatus: node: ready 1, succeeded unset, failed unset, active 1, suspended unset (serves the others: want failed 0 and, once done, active 0)",
    );
    expect(jobsStatusProblem(list([{ name: "node", failed: 1 }, launcher]), "TrainJob", "jax-e2e", mpi)).toMatch(/^status.jobsStatus: node: .*failed 1/);
    expect(jobsStatusProblem(list([{ name: "node" }, { ...launcher, succeeded: 0, failed: 1 }]), "TrainJob", "jax-e2e", mpi)).toMatch(/^status.jobsStatus: launcher: .*want succeeded 1/);
  });
});

describe("the runtime's replicated Jobs and its successPolicy", () => {
  const runtime = (spec: object) => ({ metadata: { name: "rt" }, spec: { template: { spec } } });
  const replicatedJobs = [{ name: "node" }, { name: "launcher", replicas: 1 }];

  it("wants every Job to succeed without a successPolicy, and only the targeted ones with one", () => {
    expect(runtimeReplicatedJobs(runtime({ replicatedJobs }))).toEqual([
      { name: "node", replicas: 1, mustSucceed: true },
      { name: "launcher", replicas: 1, mustSucceed: true },
    ]);
    expect(runtimeReplicatedJobs(runtime({ replicatedJobs, successPolicy: { operator: "All", targetReplicatedJobs: ["launcher"] } })).map((r) => r.mustSucceed)).toEqual([false, true]);
  });

  it("refuses an operator it cannot judge, naming the field", () => {
    expect(() => runtimeReplicatedJobs(runtime({ replicatedJobs, successPolicy: { operator: "Any" } }))).toThrow(/rt: spec.template.spec.successPolicy.operator "Any" is not supported/);
  });
});

describe("pods JobSet removes after success", () => {
  const pod = (name: string, job: string, deleting: boolean) => ({
    kind: "Pod",
    metadata: { name, labels: { [REPLICATED_JOB_LABEL]: job }, ...(deleting ? { deletionTimestamp: "2026-12-06T00:00:00Z" } : {}) },
    status: { phase: "Failed", containerStatuses: [{ name: "node", state: { terminated: { exitCode: 255 } } }] },
  });
  const list = (...items: object[]) => JSON.stringify({ items });

  it("drops only a serving Job's pods that are being deleted", () => {
    const all = list(pod("t-node-0-0", "node", true), pod("t-node-0-1", "node", false), pod("t-launcher-0-0", "launcher", true));
    expect(podNames(withoutLeavingServers(all, ["node"]))).toEqual(["t-launcher-0-0", "t-node-0-1"]);
    expect(withoutLeavingServers(all, [])).toBe(all);
  });
});

describe("payload results", () => {
  const log = [
    "[e2e +0.5s] jax 0.10.2: process 0 of 2 joining jax-e2e-worker-0:6666 (timeout 60s)",
    "[Gloo] Rank 0 is connected to 1 peer ranks. Expected number of connected peer ranks is : 1",
    'E2E_RESULT {"collective_value":3.0,"framework":"jax","ok":true,"process_count":2,"process_id":0}',
  ].join("\n");

  it("reads the result line among framework log noise", () => {
    expect(parseResultLine(log)).toEqual({ collective_value: 3, framework: "jax", ok: true, process_count: 2, process_id: 0 });
  });

  it("treats a missing or garbled line as no result", () => {
    expect(parseResultLine("Traceback (most recent call last):\n  ...")).toBeUndefined();
    expect(parseResultLine("E2E_RESULT {not json")).toBeUndefined();
  });

  it("describes each pod's outcome", () => {
    expect(
      describeResults({
        "jax-e2e-worker-0": parseResultLine(log),
        "jax-e2e-worker-1": { ok: false, error: "sum over all devices is 2.0, expected 3.0" },
        "jax-e2e-worker-2": undefined,
      }),
    ).toEqual([
      "jax-e2e-worker-0: ok collective_value=3 process_count=2 process_id=0",
      "jax-e2e-worker-1: FAILED: sum over all devices is 2.0, expected 3.0",
      "jax-e2e-worker-2: no result line",
    ]);
  });
});

describe("diagnostics", () => {
  const target = () => ({
    clusterName: "e2e",
    operator: [{ namespace: "kubeflow", name: "training-operator" }],
    jobs: [{ framework: "jax", job }],
  });

  it("covers the cluster, the operator and each framework's job and pods", () => {
    const files = diagnosticCommands(target()).map((c) => c.file);
    expect(files).toEqual([
      "docker/info.txt",
      "docker/ps.txt",
      "docker/network-kind.json",
      "docker/node-inspect.json",
      "docker/node.log",
      "cluster/node-images.txt",
      "cluster/nodes.txt",
      "cluster/resources.txt",
      "cluster/events.txt",
      "operator/describe-kubeflow.txt",
      "operator/training-operator.log",
      "operator/training-operator-previous.log",
      "jax/job.yaml",
      "jax/job-describe.txt",
      "jax/pods-describe.txt",
      "jax/pods.log",
      "jax/pods-previous.log",
    ]);
  });

  it("a framework's folder alone, as kept the moment its job fails", () => {
    const commands = jobDiagnosticCommands("jax", job);
    expect(commands.map((c) => c.file)).toEqual(diagnosticCommands(target()).map((c) => c.file).filter((f) => f.startsWith("jax/")));
    expect(diagnosticsScript(commands)).not.toContain("kind export logs");
    expect(diagnosticsScript(commands, "e2e")).toContain("kind export logs");
  });

  it("each restarted container's earlier log, pod by pod, bounded", () => {
    const script = jobDiagnosticCommands("jax", job).find((c) => c.file === "jax/pods-previous.log")!.argv;
    expect(script.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(script[2]).toContain(`kubectl get pods -n default -l ${FRAMEWORK_LABEL}=jax -o name --request-timeout=20s`);
    expect(script[2]).toMatch(/kubectl logs -n default "\$pod" --all-containers --previous --tail=-1 --request-timeout=20s/);
    expect(shellSyntaxErrors(script[2]!)).toBe("");
  });

  it("selects the framework's pods and the operator's logs", () => {
    const commands = diagnosticCommands(target());
    expect(commands.find((c) => c.file === "jax/pods.log")!.argv).toEqual(expect.arrayContaining(["-l", `${FRAMEWORK_LABEL}=jax`, "--prefix"]));
    expect(commands.find((c) => c.file === "operator/training-operator.log")!.argv).toEqual(expect.arrayContaining(["deployment/training-operator", "-n", "kubeflow"]));
  });

  it("under Trainer v2: both controllers' logs, and the TrainJob's JobSet, runtime and pods", () => {
    const trainJob = { ...job, kind: "TrainJob", resource: "trainjob.trainer.kubeflow.org", podSelector: "jobset.sigs.k8s.io/jobset-name=jax-e2e", related: [{ resource: "jobset.jobset.x-k8s.io", name: "jax-e2e" }, { resource: "clustertrainingruntime.trainer.kubeflow.org", name: "jax-distributed" }] };
    const commands = diagnosticCommands({
      clusterName: "e2e",
      operator: [{ namespace: "kubeflow-system", name: "kubeflow-trainer-controller-manager" }, { namespace: "kubeflow-system", name: "jobset-controller-manager" }],
      jobs: [{ framework: "jax", job: trainJob }],
    });
    const files = commands.map((c) => c.file);
    expect(files.filter((f) => f.startsWith("operator/"))).toEqual([
      "operator/describe-kubeflow-system.txt",
      "operator/kubeflow-trainer-controller-manager.log",
      "operator/kubeflow-trainer-controller-manager-previous.log",
      "operator/jobset-controller-manager.log",
      "operator/jobset-controller-manager-previous.log",
    ]);
    expect(commands.find((c) => c.file === "jax/jobset.yaml")!.argv.slice(0, 4)).toEqual(["kubectl", "get", "jobset.jobset.x-k8s.io", "jax-e2e"]);
    expect(commands.find((c) => c.file === "jax/clustertrainingruntime.yaml")!.argv).toContain("jax-distributed");
    expect(commands.find((c) => c.file === "jax/pods.log")!.argv).toEqual(expect.arrayContaining(["-l", "jobset.sigs.k8s.io/jobset-name=jax-e2e"]));
  });

  it("skips the operator when it was never deployed", () => {
    const files = diagnosticCommands({ ...target(), operator: [] }).map((c) => c.file);
    expect(files.some((f) => f.startsWith("operator/"))).toBe(false);
  });

  it("gives kubectl a request timeout so a dead API server cannot eat the time limit", () => {
    for (const c of diagnosticCommands(target()).filter((c) => c.argv[0] === "kubectl")) expect(c.argv.at(-1)).toBe("--request-timeout=20s");
  });

  it("is one bounded, best-effort, syntactically valid script that exports kind's logs first", () => {
    const commands = diagnosticCommands(target());
    const script = diagnosticsScript(commands, "e2e");
    expect(shellSyntaxErrors(script)).toBe("");
    const lines = script.trimEnd().split("\n");
    expect(lines[1]).toMatch(/^timeout 120 kind export logs \/diagnostics\/kind --name e2e > \/diagnostics\/kind-export.txt 2>&1 \|\| echo/);
    expect(script).toContain(
      "timeout 60 kubectl logs -n kubeflow deployment/training-operator --all-containers --tail=-1 --request-timeout=20s > /diagnostics/operator/training-operator.log 2>&1 || echo \"[exit $?]\" >> /diagnostics/operator/training-operator.log",
    );
    expect(lines.at(-2)).toContain("/diagnostics/.index");
    expect(lines.at(-1)).toBe("exit 0");
    // The whole collection's bound covers every command at its own limit.
    expect(diagnosticsTimeoutSeconds(commands)).toBeGreaterThan(commands.length * 60 + 120);
  });
});

describe("diagnostics index (what is copied out of the cluster's exec)", () => {
  it("lists every collected file with its size, run for real with stand-in tools", () => {
    const dir = mkdtempSync(join(tmpdir(), "diagnostics-"));
    try {
      const script = diagnosticsScript(diagnosticCommands({ clusterName: "e2e", operator: [], jobs: [{ framework: "jax", job }] }), "e2e").replaceAll("/diagnostics", dir);
      const stubs = 'timeout() { shift; "$@"; }\nkind() { mkdir -p "$3"; echo journal > "$3/journal.log"; }\nkubectl() { echo "kubectl $*"; }\ndocker() { echo "docker $*"; }\n';
      // An earlier collection in the same client (found in the lab) must not leak into this one.
      mkdirSync(join(dir, "pytorch"));
      writeFileSync(join(dir, "pytorch", "pods.log"), "from an earlier collection\n");
      execFileSync("sh", ["-c", stubs + script]);
      const index = parseDiagnosticsIndex(readFileSync(join(dir, ".index"), "utf8"));
      expect(index.copy).toEqual(expect.arrayContaining(["docker/info.txt", "docker/node.log", "kind/journal.log", "kind-export.txt", "jax/pods.log", "cluster/events.txt"]));
      expect(index.copy).not.toContain(".index");
      expect(index.copy).not.toContain("pytorch/pods.log");
      expect(index.tooLarge).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves out files over the size limit, naming them", () => {
    expect(parseDiagnosticsIndex("12 ./a.txt\n999 ./kind/big log.txt\nstat: oops\n", 100)).toEqual({ copy: ["a.txt"], tooLarge: [{ path: "kind/big log.txt", bytes: 999 }] });
  });
});

describe("every catalog job", () => {
  it("gets this run's image, pull policy and resources on every replica's framework container", async () => {
    for (const entry of (await loadCatalog(fsReader(REPO_ROOT))).filter((e) => e.job)) {
      const rendered = parse(renderJob(entry, `docker.io/x/${entry.name}:t`).yaml);
      const replicas = rendered.spec[entry.job!.replicaSpecsField] as Record<string, any>;
      expect(Object.keys(replicas).length, entry.name).toBeGreaterThan(0);
      for (const [type, replica] of Object.entries(replicas)) {
        const container = replica.template.spec.containers.find((c: any) => c.name === entry.spec.job!.container);
        expect(container, `${entry.name} ${type}`).toMatchObject({ image: `docker.io/x/${entry.name}:t`, imagePullPolicy: "Never" });
        expect(container.resources).toEqual(entry.resources);
        expect(replica.template.metadata.labels[FRAMEWORK_LABEL]).toBe(entry.name);
      }
    }
  });

  it("runs master and worker for PyTorch and XGBoost", async () => {
    const reader = fsReader(REPO_ROOT);
    expect((await loadFramework(reader, "pytorch")).job!.replicas).toEqual({ Master: 1, Worker: 1 });
    expect((await loadFramework(reader, "xgboost")).job).toMatchObject({ replicaSpecsField: "xgbReplicaSpecs", replicas: { Master: 1, Worker: 1 } });
  });
});
