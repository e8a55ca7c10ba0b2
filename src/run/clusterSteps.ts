// The cluster half of a run, the same for the module (a Dagger client bound to the Docker
// service) and the lab (a client container on a local Docker): load the node image, create
// the cluster, load the images, deploy the operator, run the jobs, and on any failure collect
// diagnostics before the caller stops dockerd (a failed job's own folder at once, before its
// pods are stopped to make room for the next job).
import type { CatalogEntry } from "../catalog/loader.js";
import { KindCluster } from "../cluster/kind.js";
import type { ClusterOptions } from "../cluster/kindConfig.js";
import type { CommandRunner, ImageArchive } from "../exec/runner.js";
import { collectDiagnostics, collectJobDiagnostics, type DiagnosticFiles } from "../jobs/collect.js";
import type { RenderedJob } from "../jobs/manifest.js";
import { describeResults } from "../jobs/results.js";
import { runJob, stopJob, type Pacing } from "../jobs/run.js";
import { applyOperator, type OperatorInstall } from "../operator/install.js";
import { failureOf, type RunReport } from "./report.js";
import { asStepFailure, settleWithLimit, type RunRecorder } from "../exec/steps.js";

export interface ClusterPlan<H> {
  /** Runs commands in a client that reaches dockerd as DOCKER_HOST_ALIAS. */
  runner: CommandRunner<H>;
  /** Name, API server port, and the node image's local reference (as nodeArchive is loaded). */
  cluster: ClusterOptions;
  nodeArchive: H;
  /** Every image the cluster must hold. */
  archives: ImageArchive<H>[];
  install: OperatorInstall<H>;
  /** One per framework, in the order of report.frameworks. */
  jobs: { entry: CatalogEntry; job: RenderedJob }[];
  /** How many jobs may run at once. */
  concurrency: number;
  /** Replaced in tests and the lab's time-bound cases; the module keeps the default. */
  pacing?: Pacing;
}

export interface ClusterOutcome<H> {
  /** The cluster once created (it lives as long as dockerd does). */
  cluster?: KindCluster<H>;
  /** Collected when anything failed once dockerd was reachable. */
  diagnostics?: DiagnosticFiles;
}

/** Runs the cluster steps, recording each in `recorder` and each outcome in `report`. */
export async function runClusterSteps<H>(plan: ClusterPlan<H>, recorder: RunRecorder, report: RunReport): Promise<ClusterOutcome<H>> {
  const note = (line: string) => recorder.note(line);
  let cluster: KindCluster<H> | undefined;
  /** Frameworks whose folder was kept the moment their job failed. */
  const kept: DiagnosticFiles = {};
  const keptFrameworks = new Set<string>();
  try {
    const bare = KindCluster.attach(plan.runner, plan.cluster);
    cluster = bare;
    await recorder.step("load node image", () => bare.loadNodeImage(plan.nodeArchive, note));
    const live = await recorder.step("create cluster", async () => {
      const created = await bare.create(note);
      // The summary names what ran, not only the node image asked for.
      report.cluster += `, API server ${await created.serverVersion()}`;
      return created;
    });
    cluster = live;
    await recorder.step("load images", () => live.loadImages(plan.archives, note));
    await recorder.step("deploy operator", () => applyOperator(live, plan.install));
    await runJobs(live, plan, recorder, report, async (framework, job) => {
      Object.assign(kept, await collectJobDiagnostics(live, framework, job).catch((e: Error) => ({ [`${framework}/not-copied.txt`]: `${e.message}\n` })));
      keptFrameworks.add(framework);
      await stopJob(live, job, note);
    });
  } catch (error) {
    report.failures.push(failureOf(asStepFailure("cluster", error)));
  }
  if (report.failures.length === 0 || !cluster) return { cluster };
  const target = cluster;
  const restarted = await target.nodeRestartProblem().catch(() => undefined);
  if (restarted) report.failures.push({ step: "docker service", reason: restarted, logTail: [] });
  const jobs = plan.jobs.filter(({ entry }) => !keptFrameworks.has(entry.name)).map(({ entry, job }) => ({ framework: entry.name, job }));
  const collected = await recorder
    .step("collect diagnostics", () => collectDiagnostics(target, { clusterName: plan.cluster.name, operator: plan.install.deployments, jobs }))
    .catch(() => undefined);
  const diagnostics = collected || keptFrameworks.size > 0 ? { ...collected, ...kept } : undefined;
  report.diagnosticsCollected = diagnostics !== undefined;
  return { cluster, diagnostics };
}

/**
 * Runs the jobs, `concurrency` at a time. A job that fails is handed to `afterFailure` (which
 * keeps its diagnostics and stops it) before the next one starts in its place.
 */
async function runJobs<H>(
  cluster: KindCluster<H>,
  plan: ClusterPlan<H>,
  recorder: RunRecorder,
  report: RunReport,
  afterFailure: (framework: string, job: RenderedJob) => Promise<void>,
): Promise<void> {
  const settled = await settleWithLimit(
    plan.jobs.map(({ entry, job }, i) => async () => {
      const started = Date.now();
      const timed = () => (report.frameworks[i]!.seconds = (Date.now() - started) / 1000);
      try {
        const outcome = await recorder.step(`run ${entry.name} job`, () => runJob(cluster, entry, job, (l) => recorder.note(l), plan.pacing));
        timed();
        return outcome;
      } catch (error) {
        timed();
        await afterFailure(entry.name, job);
        throw error;
      }
    }),
    plan.concurrency,
  );
  settled.forEach((outcome, i) => {
    const fw = report.frameworks[i]!;
    if (outcome.status === "fulfilled") {
      Object.assign(fw, { status: "passed", detail: outcome.value.state.detail, results: describeResults(outcome.value.results) });
    } else {
      const failure = asStepFailure(`run ${fw.framework} job`, outcome.reason);
      Object.assign(fw, { status: "failed", detail: failure.reason });
      report.failures.push(failureOf(failure));
    }
  });
}
