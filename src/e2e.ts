// The end-to-end run: named, timed steps over one context, from catalog to report.
// Kind's `create` is the model: small actions in order, each saying what failed.
import { randomUUID } from "node:crypto";
import { dag, type Directory, type File, type Service } from "@dagger.io/dagger";
import { clientContainer, dockerService, ENGINE_FACTS_SCRIPT, engineFactsProbe, prepareRunData, removeRunData, startDockerService } from "./cluster/docker.js";
import { DaggerRunner, mustExecute, type DaggerHandle } from "./cluster/daggerRunner.js";
import { DEFAULT_API_SERVER_PORT, DEFAULT_CLUSTER_NAME, nodeImageMinor, resolveNodeImage } from "./cluster/kindConfig.js";
import { localNodeImage } from "./cluster/nodeImageLoad.js";
import { KIND_VERSION } from "./versions/pins.js";
import type { ImageArchive } from "./exec/runner.js";
import { GIB, jobConcurrency, parseEngineFacts, preflightProblems, runDemands, runNeeds, usableMemory } from "./cluster/preflight.js";
import { pulledImageArchive } from "./images.js";
import type { DiagnosticFiles } from "./jobs/collect.js";
import { LINE_RELEASES } from "./versions/lines.js";
import { runClusterSteps } from "./run/clusterSteps.js";
import { failureMessage, failureOf, renderSummary, reportFiles, startReport, type RunReport } from "./run/report.js";
import { asStepFailure, RunRecorder, withinLimit } from "./exec/steps.js";
import { prepareRunInputs, type RunInputOptions } from "./runInputs.js";

/** Bounds, in seconds, on the steps whose work is not already bounded command by command. */
const LIMITS = { checkInputs: 600, buildImages: 3600, preflight: 120, startService: 300, stopService: 120, killService: 60 } as const;

export interface E2eOptions extends Omit<RunInputOptions, "kubernetesMinor"> {
  /** Empty: the node image pinned for this kind release and kubernetesVersion. */
  nodeImage?: string;
  /** Empty: the default minor. */
  kubernetesVersion?: string;
  /** The command that keeps the report, quoted in the failure message. */
  reportCommand: string;
  /** --operator was empty and the line is the --operator-source tree's (the summary says so). */
  lineFromTree?: boolean;
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
  const nodeImage = localNodeImage(resolveNodeImage(options.nodeImage, options.kubernetesVersion, options.operator));
  const { mirrors } = options;
  const from = mirrors.used ? " (images, binaries and trees from --mirrors)" : "";
  const report = startReport("not deployed", `kind ${KIND_VERSION}, ${nodeImage.pinned.split("@")[0]}${from}`, options.frameworks.map((framework) => ({ framework })), recorder.steps);
  const frameworks = report.frameworks;
  const record = (step: string, error: unknown) => report.failures.push(failureOf(asStepFailure(step, error)));
  let diagnostics: DiagnosticFiles | undefined;

  // Bad input fails here, before anything is built, with the argument or file it concerns.
  const inputs = { ...options, kubernetesMinor: nodeImageMinor(nodeImage.pinned) };
  const { tools, images, install, jobs, archives: toBuild, operator } = await recorder.step("check inputs", () => prepareRunInputs(source, inputs), LIMITS.checkInputs);
  report.operator = `${LINE_RELEASES[operator.line].title}${options.lineFromTree ? " (the line of the --operator-source tree)" : ""}: ${operator.description}`;
  images.forEach((image, i) => Object.assign(frameworks[i]!, { image: image.pulledFrom ?? image.plan.reference, job: `${jobs[i]!.kind} ${jobs[i]!.name}` }));
  const frameworkJobs = images.map((image, i) => ({ entry: image.entry, job: jobs[i]! }));

  try {
    // The node image too: pulled by the engine (which enforces its digest) and loaded into
    // this run's dockerd, so the run downloads nothing the engine already holds.
    const nodeArchive = pulledImageArchive(nodeImage.pinned, nodeImage, mirrors);
    const [node, ...archives] = await recorder.step("build images", () => buildArchives([nodeArchive, ...toBuild]), LIMITS.buildImages);

    const concurrency = await recorder.step("preflight", async () => {
      const facts = parseEngineFacts(await mustExecute(engineFactsProbe(mirrors), ["sh", "-c", ENGINE_FACTS_SCRIPT], 60));
      const { memory, cpu, operatorCpu } = runDemands(frameworkJobs, install.deployments);
      const problems = preflightProblems(facts, runNeeds(memory, [node!.size, ...archives.map((a) => a.size)], cpu, operatorCpu));
      if (problems.length > 0) throw new Error(`the engine cannot host this run:\n${problems.join("\n")}`);
      const limit = jobConcurrency(usableMemory(facts), memory, facts.cpus, cpu, operatorCpu);
      recorder.note(`memory ${(usableMemory(facts) / GIB).toFixed(1)} GiB available, ${facts.cpus ?? "?"} CPU(s), disk ${(facts.diskAvailableBytes / GIB).toFixed(1)} GiB free; up to ${limit} job(s) at once`);
      return limit;
    }, LIMITS.preflight);

    const service: Service = dockerService(runId, DEFAULT_API_SERVER_PORT, mirrors);
    try {
      // Inside the try: a start that times out must not leave dockerd running.
      await recorder.step(
        "start docker service",
        async () => {
          const pruned = (await prepareRunData(runId, mirrors)).trim();
          if (pruned) recorder.note(pruned);
          await startDockerService(service, runId);
        },
        LIMITS.startService,
      );
      ({ diagnostics } = await runClusterSteps<DaggerHandle>(
        {
          runner: new DaggerRunner(clientContainer(tools, service, runId)),
          cluster: { name: DEFAULT_CLUSTER_NAME, nodeImage: nodeImage.reference, apiServerPort: DEFAULT_API_SERVER_PORT },
          nodeArchive: node!.file,
          archives,
          install,
          jobs: frameworkJobs,
          concurrency,
        },
        recorder,
        report,
      ));
    } catch (error) {
      record("cluster", error);
    } finally {
      await stopService(service, (l) => recorder.note(l));
      await removeRunData(runId, mirrors).catch((error: Error) => recorder.note(`removing this run's Docker data: ${error.message}`));
    }
  } catch (error) {
    record("e2e", error);
  }

  report.ok = report.failures.length === 0 && frameworks.every((f) => f.status === "passed");
  const summary = renderSummary(report);
  let reportDir = dag.directory();
  for (const [path, text] of Object.entries(reportFiles(report, summary, diagnostics))) reportDir = reportDir.withNewFile(path, text);
  return { report, summary, message: report.ok ? "" : failureMessage(report, options.reportCommand), reportDir };
}

interface BuiltArchive extends ImageArchive<File> {
  size: number;
}

/**
 * Builds every archive concurrently; each tarball's size feeds the disk preflight. Every
 * failed build is reported, each under the image it was for.
 */
async function buildArchives(archives: ImageArchive<File>[]): Promise<BuiltArchive[]> {
  const settled = await Promise.allSettled(archives.map(async (archive) => ({ ...archive, size: await archive.file.size() })));
  const failed = settled.flatMap((result, i) => (result.status === "rejected" ? [`${archives[i]!.reference}: ${(result.reason as Error).message}`] : []));
  if (failed.length > 0) throw new Error(`building ${failed.length} image(s) failed:\n${failed.join("\n")}`);
  return settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
}

/**
 * Stops dockerd gracefully (it stops the node first), killing it if that takes too long. Both
 * bounded: a dockerd that never listened keeps the engine's health check (and a stop waiting on
 * it) going for about 15 minutes, and the run must end in its own words within its limits.
 */
async function stopService(service: Service, note: (line: string) => void): Promise<void> {
  try {
    await withinLimit(service.stop(), LIMITS.stopService);
  } catch (error) {
    note(`stopping the docker service: ${(error as Error).message}; killing it`);
    await withinLimit(service.stop({ kill: true }), LIMITS.killService).catch((e: Error) => note(`killing the docker service: ${e.message}; leaving it to the engine`));
  }
}
