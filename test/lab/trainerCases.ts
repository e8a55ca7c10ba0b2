// The lab's Trainer v2 cases: the module's v2 install (planTrainerInstall) and TrainJobs against
// a real Kind cluster, Kubeflow Trainer v2.3.0 and JobSet v0.12.0 built here from their Go
// modules, with the manifests of those modules' trees, in a Docker service of their own.
import { join } from "node:path";
import type { CatalogEntry } from "../../src/catalog/loader.js";
import type { KindCluster } from "../../src/cluster/kind.js";
import type { ClusterOptions } from "../../src/cluster/kindConfig.js";
import { GIB, jobConcurrency, runDemands, usableMemory, type EngineFacts } from "../../src/cluster/preflight.js";
import { collectDiagnostics } from "../../src/jobs/collect.js";
import type { RenderedJob } from "../../src/jobs/manifest.js";
import { runJob } from "../../src/jobs/run.js";
import { renderTrainJob } from "../../src/jobs/trainJob.js";
import { planTrainerInstall, type OperatorInstall } from "../../src/operator/install.js";
import { startReport } from "../../src/run/report.js";
import { formatSeconds, RunRecorder } from "../../src/run/steps.js";
import { runJobFor, trainerRuntimes } from "../../src/runInputs.js";
import { copyTree } from "../helpers/upstreamTrees.js";
import { startEnvironment } from "./environment.js";
import { archiveOf, type BuiltArchive } from "./frameworkImages.js";
import { expect, LAB_CACHE, runCase, runPassingClusterSteps, saveDiagnostics } from "./harness.js";

export interface TrainerLabInputs {
  entries: CatalogEntry[];
  /** The framework images, one per entry. */
  frameworkArchives: BuiltArchive[];
  node: BuiltArchive;
  options: ClusterOptions;
  facts: EngineFacts;
  archiveDir: string;
}

/** A TrainJob from a catalog one, under another name and label, with another command. */
function trainJobVariant(entry: CatalogEntry, name: string, image: string, runtime: Record<string, any>, command: string[]): RenderedJob {
  const manifest = structuredClone(entry.trainJob!.manifest) as Record<string, any>;
  manifest.metadata = { ...manifest.metadata, name };
  const changed = { ...entry, name, spec: { ...entry.spec, image: { ...entry.spec.image, command } }, trainJob: { ...entry.trainJob!, manifest } };
  return renderTrainJob(changed, image, runtime);
}

export async function runTrainerCases(lab: TrainerLabInputs): Promise<RunRecorder> {
  const recorder = new RunRecorder();
  const env = startEnvironment();
  try {
    let install: OperatorInstall<string> | undefined;
    let outcomeCluster: KindCluster<string> | undefined;
    await runCase("Trainer v2: all three frameworks Complete in one cluster", async () => {
      const trees = {
        trainer: copyTree("v2", join(LAB_CACHE, "trainer-tree"), ["manifests"]),
        jobset: copyTree("jobset", join(LAB_CACHE, "jobset-tree"), ["config"]),
      };
      install = await planTrainerInstall(env.client, trees, { runtimes: trainerRuntimes(lab.entries) });
      const jobs = lab.entries.map((entry, i) => ({ entry, job: runJobFor(entry, lab.frameworkArchives[i]!.reference, install!) }));
      const { memory, cpu, operatorCpu } = runDemands(jobs, install.deployments);
      const concurrency = jobConcurrency(usableMemory(lab.facts), memory, lab.facts.cpus, cpu, operatorCpu);
      recorder.note(`controllers request ${operatorCpu}m CPU; ${lab.facts.cpus} CPU(s), ${(usableMemory(lab.facts) / GIB).toFixed(1)} GiB: up to ${concurrency} job(s) at once`);
      // The controllers' images, by the names the rendered manifests give them (build/images.sh).
      const controllers = install.deployments.map((d) => archiveOf(d.image, d.image.split(":").at(-1)!, lab.archiveDir));
      const report = startReport(
        "Kubeflow Trainer v2.3.0 and JobSet v0.12.0 (Go module trees; controllers built from source)",
        `kind v0.32.0 (built here), ${lab.options.nodeImage}`,
        jobs.map(({ entry, job }, i) => ({ framework: entry.name, image: lab.frameworkArchives[i]!.reference, job: `${job.kind} ${job.name}` })),
        recorder.steps,
      );
      const plan = { runner: env.client, cluster: lab.options, nodeArchive: lab.node.file, archives: [...lab.frameworkArchives, ...controllers], install, jobs, concurrency };
      const outcome = await runPassingClusterSteps(plan, recorder, report, "trainer-all-frameworks", (o) => (outcomeCluster = o.cluster));
      const states = await outcome.cluster!.run(["kubectl", "get", "trainjobs", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[-1:].type} {end}"]);
      return `${states.trim()} | ${report.frameworks.map((f) => `${f.framework} ${f.detail}`).join("; ")}`;
    });

    await runCase("Trainer v2: a failing payload is Failed within a minute, with diagnostics", async () => {
      expect(install && outcomeCluster, "the Trainer v2 cluster did not come up");
      const jax = lab.entries.find((e) => e.name === "jax")!;
      const image = lab.frameworkArchives[lab.entries.indexOf(jax)]!.reference;
      const job = trainJobVariant(jax, "jax-fails", image, install.runtimes[jax.trainJob!.runtime]!, ["python", "-c", "raise SystemExit('lab: the payload fails on purpose')"]);
      const t0 = Date.now();
      const error = await runJob(outcomeCluster!, jax, job, (l) => recorder.note(l)).then(() => undefined, (e: Error) => e);
      const seconds = (Date.now() - t0) / 1000;
      expect(error, "the TrainJob was reported as passing");
      expect(/^TrainJob jax-fails failed: Failed \(FailedJobs\)/.test(error.message), `unexpected failure: ${error.message}`);
      expect(seconds <= 60, `took ${seconds.toFixed(0)} s`);
      const restarts = await outcomeCluster!.run(["kubectl", "get", "pods", "-l", "jobset.sigs.k8s.io/jobset-name=jax-fails", "-o", "jsonpath={range .items[*]}{.status.containerStatuses[0].restartCount}{end}"]);
      expect(/^0*$/.test(restarts.trim()), `pods restarted: ${restarts}`);
      const files = await collectDiagnostics(outcomeCluster!, { clusterName: lab.options.name, operator: install.deployments, jobs: [{ framework: "jax-fails", job }] });
      saveDiagnostics("trainer-failing-payload", files);
      const has = (path: string, pattern: RegExp) => expect(files[path] !== undefined && pattern.test(files[path]!), `diagnostics lack ${path} matching ${pattern}`);
      has("operator/kubeflow-trainer-controller-manager.log", /\S/);
      has("operator/jobset-controller-manager.log", /\S/);
      has("jax-fails/job.yaml", /kind: TrainJob[\s\S]*FailedJobs/);
      has("jax-fails/jobset.yaml", /kind: JobSet/);
      has("jax-fails/trainingruntime.yaml", /backoffLimit: 0/);
      has("jax-fails/pods.log", /the payload fails on purpose/);
      return `${formatSeconds(seconds)}: ${error.message.split("\n")[0]}; no restarts; ${Object.keys(files).length} diagnostic files`;
    });
    return recorder;
  } finally {
    if (process.env.LAB_KEEP !== "1") env.dispose();
  }
}

