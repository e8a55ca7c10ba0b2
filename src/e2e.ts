// The end-to-end run: named, timed steps over one context, from catalog to report.
// Kind's `create` is the model: small actions in order, each saying what failed.
import { randomUUID } from "node:crypto";
import { dag, type Directory, type Service } from "@dagger.io/dagger";
import { clientContainer, dockerService, ENGINE_FACTS_SCRIPT, engineFactsProbe, prepareRunData, removeRunData } from "./cluster/docker.js";
import { mustExecute } from "./cluster/exec.js";
import { KindCluster, type ImageArchive } from "./cluster/kind.js";
import { DEFAULT_API_SERVER_PORT, DEFAULT_CLUSTER_NAME, resolveNodeImage } from "./cluster/kindConfig.js";
import { localNodeImage } from "./cluster/nodeImageLoad.js";
import { KIND_VERSION } from "./cluster/pins.js";
import { GIB, jobConcurrency, jobMemoryBytes, parseEngineFacts, preflightProblems, runNeeds, usableMemory } from "./cluster/preflight.js";
import { imageTarball } from "./images.js";
import { collectDiagnostics } from "./jobs/collect.js";
import { renderJob, type RenderedJob } from "./jobs/manifest.js";
import { describeResults } from "./jobs/results.js";
import { runJob } from "./jobs/run.js";
import { applyOperator } from "./operator/deploy.js";
import { failureMessage, failureOf, renderSummary, type FrameworkReport, type RunReport } from "./run/report.js";
import { asStepFailure, RunRecorder, settleWithLimit, withinLimit } from "./run/steps.js";
import { prepareRunInputs, type RunInputOptions } from "./runInputs.js";

/** Bounds, in seconds, on the steps whose work is not already bounded command by command. */
const LIMITS = { checkInputs: 600, buildImages: 3600, preflight: 120, startService: 300, stopService: 120 } as const;

export interface E2eOptions extends RunInputOptions {
  /** Empty: the node image pinned for this kind release. */
  nodeImage?: string;
  /** The command that keeps the report, quoted in the failure message. */
  reportCommand: string;
}

export interface E2eOutcome {
  report: RunReport;
  summary: string;
  /** Empty when the run passed. */
  message: string;
  /** summary.txt, result.json and, after a failure in the cluster, diagnostics/. */
  reportDir: Directory;
}

export async function runE2e(source: Directory, options: E2eOptions): Promise<E2eOutcome> {
  const recorder = new RunRecorder();
  const runId = randomUUID();
  const nodeImage = localNodeImage(resolveNodeImage(options.nodeImage));
  const frameworks: FrameworkReport[] = options.frameworks.map((framework) => ({
    framework,
    image: "",
    job: "",
    status: "not run",
    detail: "",
    results: [],
  }));
  const report: RunReport = {
    ok: false,
    operator: "not deployed",
    cluster: `kind ${KIND_VERSION}, ${nodeImage.pinned.split("@")[0]}`,
    frameworks,
    steps: recorder.steps,
    failures: [],
    diagnosticsCollected: false,
  };
  const record = (step: string, error: unknown) => report.failures.push(failureOf(asStepFailure(step, error)));
  let diagnostics: Directory | undefined;

  // Bad input fails here, before anything is built, with the argument or file it concerns.
  const { tools, images, install, archives: toBuild, operator } = await recorder.step("check inputs", () => prepareRunInputs(source, options), LIMITS.checkInputs);
  report.operator = operator.description;
  const jobs: RenderedJob[] = images.map((image) => renderJob(image.entry, image.plan.reference));
  images.forEach((image, i) => Object.assign(frameworks[i]!, { image: image.plan.reference, job: `${jobs[i]!.kind} ${jobs[i]!.name}` }));

  try {
    // The node image too: pulled by the engine (which enforces its digest) and loaded into
    // this run's dockerd, so the run downloads nothing the engine already holds.
    const nodeArchive: ImageArchive = { reference: nodeImage.reference, file: imageTarball(dag.container().from(nodeImage.pinned), nodeImage) };
    const [node, ...archives] = await recorder.step("build images", () => buildArchives([nodeArchive, ...toBuild]), LIMITS.buildImages);

    const concurrency = await recorder.step("preflight", async () => {
      const facts = parseEngineFacts(await mustExecute(engineFactsProbe(), ["sh", "-c", ENGINE_FACTS_SCRIPT], 60));
      const memory = images.map((i) => jobMemoryBytes(i.entry.spec.job.resources.limits.memory, i.entry.job.replicas));
      const problems = preflightProblems(facts, runNeeds(memory, [node!.size, ...archives.map((a) => a.size)]));
      if (problems.length > 0) throw new Error(`the engine cannot host this run:\n${problems.join("\n")}`);
      const limit = jobConcurrency(usableMemory(facts), memory);
      recorder.note(`memory ${(usableMemory(facts) / GIB).toFixed(1)} GiB available, disk ${(facts.diskAvailableBytes / GIB).toFixed(1)} GiB free; up to ${limit} job(s) at once`);
      return limit;
    }, LIMITS.preflight);

    const service: Service = dockerService(runId, DEFAULT_API_SERVER_PORT);
    let cluster: KindCluster | undefined;
    try {
      // Inside the try: a start that times out must not leave dockerd running.
      await recorder.step(
        "start docker service",
        async () => {
          const pruned = (await prepareRunData(runId)).trim();
          if (pruned) recorder.note(pruned);
          await service.start();
        },
        LIMITS.startService,
      );
      cluster = KindCluster.attach(clientContainer(tools, service, runId), { name: DEFAULT_CLUSTER_NAME, nodeImage: nodeImage.reference, apiServerPort: DEFAULT_API_SERVER_PORT });
      const bare = cluster;
      await recorder.step("load node image", () => bare.loadNodeImage(node!.file, (l) => recorder.note(l)));
      cluster = await recorder.step("create cluster", () => bare.create((l) => recorder.note(l)));
      const live = cluster;
      await recorder.step("load images", () => live.loadImages(archives, (l) => recorder.note(l)));
      await recorder.step("deploy operator", () => applyOperator(live, install));

      const settled = await settleWithLimit(
        images.map((image, i) => async () => {
          const started = Date.now();
          try {
            return await recorder.step(`run ${image.entry.name} job`, () => runJob(live, image.entry, jobs[i]!, (l) => recorder.note(l)));
          } finally {
            frameworks[i]!.seconds = (Date.now() - started) / 1000;
          }
        }),
        concurrency,
      );
      settled.forEach((outcome, i) => {
        const fw = frameworks[i]!;
        if (outcome.status === "fulfilled") {
          Object.assign(fw, { status: "passed", detail: outcome.value.state.detail, results: describeResults(outcome.value.results) });
        } else {
          const failure = asStepFailure(`run ${fw.framework} job`, outcome.reason);
          Object.assign(fw, { status: "failed", detail: failure.reason });
          report.failures.push(failureOf(failure));
        }
      });
    } catch (error) {
      record("cluster", error);
    } finally {
      // Collected before the service stops: the cluster lives only as long as it does.
      if (report.failures.length > 0 && cluster) {
        const target = cluster;
        diagnostics = await recorder
          .step("collect diagnostics", () =>
            collectDiagnostics(target, { clusterName: DEFAULT_CLUSTER_NAME, operator: install.deployment, jobs: images.map((image, i) => ({ framework: image.entry.name, job: jobs[i]! })) }),
          )
          .catch(() => undefined);
        report.diagnosticsCollected = diagnostics !== undefined;
      }
      await stopService(service, (l) => recorder.note(l));
      await removeRunData(runId).catch((error: Error) => recorder.note(`removing this run's Docker data: ${error.message}`));
    }
  } catch (error) {
    record("e2e", error);
  }

  report.ok = report.failures.length === 0 && frameworks.every((f) => f.status === "passed");
  const summary = renderSummary(report);
  let reportDir = dag.directory().withNewFile("summary.txt", summary).withNewFile("result.json", JSON.stringify(report, null, 2) + "\n");
  if (diagnostics) reportDir = reportDir.withDirectory("diagnostics", diagnostics);
  return { report, summary, message: report.ok ? "" : failureMessage(report, options.reportCommand), reportDir };
}

interface BuiltArchive extends ImageArchive {
  size: number;
}

/**
 * Builds every archive concurrently; each tarball's size feeds the disk preflight. Every
 * failed build is reported, each under the image it was for.
 */
async function buildArchives(archives: ImageArchive[]): Promise<BuiltArchive[]> {
  const settled = await Promise.allSettled(archives.map(async (archive) => ({ ...archive, size: await archive.file.size() })));
  const failed = settled.flatMap((result, i) => (result.status === "rejected" ? [`${archives[i]!.reference}: ${(result.reason as Error).message}`] : []));
  if (failed.length > 0) throw new Error(`building ${failed.length} image(s) failed:\n${failed.join("\n")}`);
  return settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
}

/** Stops dockerd gracefully (it stops the node first), killing it if that takes too long. */
async function stopService(service: Service, note: (line: string) => void): Promise<void> {
  try {
    await withinLimit(service.stop(), LIMITS.stopService);
  } catch (error) {
    note(`stopping the docker service: ${(error as Error).message}; killing it`);
    await service.stop({ kill: true }).catch((e: Error) => note(`killing the docker service: ${e.message}`));
  }
}
