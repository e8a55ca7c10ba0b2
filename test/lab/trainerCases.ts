// The lab's Trainer v2 cases: the module's v2 install (planTrainerInstall) and TrainJobs on the
// ClusterTrainingRuntimes as installed, against a real Kind cluster, Kubeflow Trainer v2.3.0
// and JobSet v0.12.0 built here from their Go modules, with the manifests of their git trees
// at the pinned commits, in a Docker service of their own. The frameworks are the lab's
// (cases.ts): the first of them also plays the failing job and the tree under test's TrainJob.
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { CatalogEntry } from "../../src/catalog/loader.js";
import type { KindCluster } from "../../src/cluster/kind.js";
import type { ClusterOptions } from "../../src/cluster/kindConfig.js";
import { GIB, jobConcurrency, runDemands, usableMemory, type EngineFacts } from "../../src/cluster/preflight.js";
import { CommandFailed } from "../../src/exec/steps.js";
import type { RenderedJob } from "../../src/jobs/manifest.js";
import { runJob } from "../../src/jobs/run.js";
import { renderTrainJob } from "../../src/jobs/trainJob.js";
import { applyOperator, planTrainerInstall, type OperatorInstall } from "../../src/operator/install.js";
import { MANAGER_OVERLAY } from "../../src/operator/trainer.js";
import { runClusterSteps } from "../../src/run/clusterSteps.js";
import { failureMessage, renderSummary, reportFiles, startReport } from "../../src/run/report.js";
import { formatSeconds, RunRecorder } from "../../src/exec/steps.js";
import { runJobFor, trainerRuntimes, withRuntimeImageNames } from "../../src/runInputs.js";
import { copyTree } from "../helpers/upstreamTrees.js";
import { startEnvironment } from "./environment.js";
import { archiveOf, type BuiltArchive } from "./frameworkImages.js";
import { expect, LAB_CACHE, runCase, saveDiagnostics } from "./harness.js";

export interface TrainerLabInputs {
  /** The lab's frameworks Trainer v2 runs (those with a trainJob); the first stands in for the variants. */
  entries: CatalogEntry[];
  /** The framework images, one per entry. */
  frameworkArchives: BuiltArchive[];
  node: BuiltArchive;
  options: ClusterOptions;
  facts: EngineFacts;
  archiveDir: string;
}

/** A catalog entry's TrainJob under another name (and framework label), optionally with another command. */
function trainJobVariant(entry: CatalogEntry, name: string, image: string, runtime: Record<string, any>, command?: string[]): { entry: CatalogEntry; job: RenderedJob } {
  const manifest = structuredClone(entry.trainJob!.manifest) as Record<string, any>;
  manifest.metadata = { ...manifest.metadata, name };
  const spec = command ? { ...entry.spec, image: { ...entry.spec.image, command } } : entry.spec;
  const changed = { ...entry, name, spec, trainJob: { ...entry.trainJob!, manifest } };
  return { entry: changed, job: renderTrainJob(changed, image, runtime) };
}

const FAILS_ON_PURPOSE = ["python", "-c", "raise SystemExit('lab: the payload fails on purpose')"];

/** Runs the cases; returns their steps, and the controllers' archives they loaded. */
export async function runTrainerCases(lab: TrainerLabInputs): Promise<{ recorder: RunRecorder; archives: BuiltArchive[] }> {
  const recorder = new RunRecorder();
  const archives: BuiltArchive[] = [];
  const env = startEnvironment();
  const trees = {
    trainer: copyTree("v2", join(LAB_CACHE, "trainer-tree"), ["manifests"]),
    jobset: copyTree("jobset", join(LAB_CACHE, "jobset-tree"), ["config"]),
  };
  const subject = lab.entries[0]!;
  const subjectImage = lab.frameworkArchives[0]!.reference;
  const runtimeName = subject.trainJob!.runtime;
  const failingName = `${subject.name}-fails`;
  try {
    let install: OperatorInstall<string> | undefined;
    let live: KindCluster<string> | undefined;
    await runCase(`Trainer v2: a failing TrainJob fails fast and makes room; then ${lab.entries.map((e) => e.name).join(", ")} Completes`, async () => {
      install = await planTrainerInstall(env.client, trees, { runtimes: trainerRuntimes(lab.entries) });
      // The failing job first: with one job at a time, the others run only once it is stopped.
      const failing = trainJobVariant(subject, failingName, subjectImage, install.runtimes[runtimeName]!, FAILS_ON_PURPOSE);
      const jobs = [failing, ...lab.entries.map((entry, i) => ({ entry, job: runJobFor(entry, lab.frameworkArchives[i]!.reference, install!) }))];
      const { memory, cpu, operatorCpu } = runDemands(jobs, install.deployments);
      const concurrency = jobConcurrency(usableMemory(lab.facts), memory, lab.facts.cpus, cpu, operatorCpu);
      recorder.note(`controllers request ${operatorCpu}m CPU; ${lab.facts.cpus} CPU(s), ${(usableMemory(lab.facts) / GIB).toFixed(1)} GiB: up to ${concurrency} job(s) at once`);
      // The controllers' images, by the names the rendered manifests give them (build/images.sh).
      const controllers = install.deployments.map((d) => archiveOf(d.image, d.image.split(":").at(-1)!, lab.archiveDir));
      archives.push(...controllers);
      const report = startReport(
        "Kubeflow Trainer v2.3.0 and JobSet v0.12.0 (git trees at the pinned commits; controllers built from source)",
        `kind v0.32.0 (built here), ${lab.options.nodeImage}`,
        jobs.map(({ entry, job }) => ({ framework: entry.name, image: String(job.manifest.spec.trainer.image), job: `${job.kind} ${job.name}` })),
        recorder.steps,
      );
      const plan = { runner: env.client, cluster: lab.options, nodeArchive: lab.node.file, archives: [...withRuntimeImageNames(lab.frameworkArchives, lab.entries, install), ...controllers], install, jobs, concurrency };
      const outcome = await runClusterSteps(plan, recorder, report);
      live = outcome.cluster;
      report.ok = report.failures.length === 0 && report.frameworks.every((f) => f.status === "passed");
      const summary = renderSummary(report);
      console.log(summary);
      const files = reportFiles(report, summary, outcome.diagnostics);
      saveDiagnostics("trainer-run", files);

      // The run failed, and only through the failing job, in its own words.
      const [failure, ...others] = report.failures;
      expect(failure && others.length === 0, `failures: ${report.failures.map((f) => `${f.step}: ${f.reason}`).join("; ") || "none"}`);
      expect(failure.step === `run ${failingName} job`, `failed step: ${failure.step}`);
      expect(new RegExp(`^TrainJob ${failingName} failed: pod ${failingName}-node-0-\\d-\\w+, container node: (exit code 1|restarted)`).test(failure.reason), `not the payload's exit: ${failure.reason}`);
      expect(failure.logTail.some((l) => l.includes("the payload fails on purpose")), `the failure's log lines lack the payload's error: ${failure.logTail.join(" | ")}`);
      const failed = report.frameworks[0]!;
      expect(failed.seconds !== undefined && failed.seconds <= 60, `the failure took ${failed.seconds} s`);
      const passed = report.frameworks.slice(1);
      expect(passed.every((f) => f.status === "passed"), `after it: ${passed.map((f) => `${f.framework} ${f.status} ${f.detail}`).join("; ")}`);

      // Its folder was kept at once, then it was stopped so the next job found room.
      const has = (path: string, pattern: RegExp) => expect(files[path] !== undefined && pattern.test(files[path]!), `the report lacks ${path} matching ${pattern}`);
      const last = lab.entries.at(-1)!.name;
      has("summary.txt", new RegExp(`e2e: FAILED[\\s\\S]*${failingName}\\s+FAILED[\\s\\S]*${last}\\s+PASSED`));
      has("result.json", new RegExp(`"step": "run ${failingName} job"`));
      has(`diagnostics/${failingName}/job.yaml`, /kind: TrainJob[\s\S]*activeDeadlineSeconds: 300/);
      has(`diagnostics/${failingName}/jobset.yaml`, /kind: JobSet/);
      has(`diagnostics/${failingName}/clustertrainingruntime.yaml`, new RegExp(`kind: ClusterTrainingRuntime[\\s\\S]*name: ${runtimeName}`));
      has(`diagnostics/${failingName}/pods.log`, /the payload fails on purpose/);
      has(`diagnostics/${failingName}/pods-previous.log`, new RegExp(`== pod/${failingName}-node-0-`));
      has("diagnostics/operator/kubeflow-trainer-controller-manager.log", /\S/);
      has("diagnostics/operator/jobset-controller-manager.log", /\S/);
      expect(Object.keys(files).some((f) => f.startsWith("diagnostics/kind/")), "the report lacks kind's exported logs");
      const message = failureMessage(report, "dagger call test --operator v2 report -o e2e-report");
      expect(message.includes(`step "run ${failingName} job" failed: TrainJob ${failingName} failed: pod`) && /Diagnostics were collected/.test(message), `failure message:\n${message}`);
      const suspended = await outcome.cluster!.run(["kubectl", "get", "trainjob", failingName, "-o", "jsonpath={.spec.suspend}"]);
      expect(suspended.trim() === "true", `${failingName} was not stopped (spec.suspend=${suspended})`);

      const jobsStatus = await outcome.cluster!.run(["kubectl", "get", "trainjobs", "-o", "jsonpath={range .items[*]}{.metadata.name}:{.status.jobsStatus[*].succeeded} {end}"]);
      return `${failure.reason} (${formatSeconds(failed.seconds!)}), kept and stopped; ${passed.map((f) => `${f.framework} ${f.detail}`).join("; ")}; jobsStatus succeeded ${jobsStatus.trim()}; ${Object.keys(files).length} report files`;
    });

    await runCase("Trainer v2: a tree under test applies base/runtimes, validated by its webhook, and a TrainJob Completes on them", async () => {
      expect(install && live, "the Trainer v2 cluster did not come up");
      const underTest = await planTrainerInstall(env.client, trees, { runtimes: trainerRuntimes(lab.entries), underTest: true });
      // base/runtimes, through the kustomization that tags its untagged images (underTestRuntimesKustomization).
      const applied = underTest.kustomizations.at(-1)!;
      const layered = underTest.inputs.find((input) => input.path === `${applied}/kustomization.yaml`);
      const from = layered && "text" in layered ? String((parse(layered.text) as { resources?: unknown }).resources) : applied;
      expect(from.endsWith("manifests/base/runtimes"), `runtimes from ${from}`);
      await applyOperator(live, underTest);
      const labels = await live.run(["kubectl", "get", "clustertrainingruntime", runtimeName, "-o", "jsonpath={.metadata.labels}"]);
      expect(!labels.includes("webhook-validation"), `${runtimeName} still skips its webhook: ${labels}`);
      // Validation is on: the webhook refuses what it refuses upstream (a trainer Job with 2 replicas).
      const runtime = structuredClone(underTest.runtimes[runtimeName]!) as Record<string, any>;
      runtime.metadata = { name: "lab-invalid-runtime", labels: runtime.metadata.labels };
      runtime.spec.template.spec.replicatedJobs[0].replicas = 2;
      const refusal = await live.run(["kubectl", "apply", "--server-side", "--dry-run=server", "-f", "-"], 60, stringify(runtime)).then(
        () => "accepted",
        (e: CommandFailed) => e.stderr,
      );
      expect(/denied the request[\s\S]*replicas/.test(refusal), `the webhook did not refuse a runtime it validates: ${refusal}`);
      const { entry, job } = trainJobVariant(subject, `${subject.name}-under-test`, subjectImage, underTest.runtimes[runtimeName]!);
      const outcome = await runJob(live, entry, job, (l) => recorder.note(l));
      return `runtimes without the skip label; an invalid runtime refused (${refusal.trim().split("\n")[0]!.slice(0, 120)}); ${outcome.state.detail}`;
    });

    await runCase("Trainer v2: a tree whose controller image is :latest is refused without --build-operator", async () => {
      const copy = join(LAB_CACHE, "trainer-tree-latest");
      rmSync(copy, { recursive: true, force: true });
      cpSync(trees.trainer, copy, { recursive: true });
      const kustomization = join(copy, MANAGER_OVERLAY, "kustomization.yaml");
      writeFileSync(kustomization, readFileSync(kustomization, "utf8").replace("newTag: v2.3.0", "newTag: latest"));
      const refused = await planTrainerInstall(env.client, { trainer: copy, jobset: trees.jobset }, { runtimes: trainerRuntimes(lab.entries), underTest: true }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(refused && /trainer-controller-manager:latest, the moving tag "latest", which names no release: add --build-operator/.test(refused.message), `not refused: ${refused?.message}`);
      const built = await planTrainerInstall(env.client, { trainer: copy, jobset: trees.jobset }, { runtimes: trainerRuntimes(lab.entries), underTest: true, image: { name: "docker.io/kubeflow-ci/trainer-controller-manager", tag: "src-lab" } });
      return `${refused.message}; with a built image: ${built.deployments[0]!.name} planned`;
    });
    return { recorder, archives };
  } finally {
    env.dispose();
  }
}
