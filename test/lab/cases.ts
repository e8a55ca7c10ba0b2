// The lab's cases: the module's cluster steps (run/clusterSteps.ts and the step functions
// under it) against a real Kind cluster, the real v1.9.4 operator and the framework images,
// all built on this machine. Only what the engine lab (test/engine-lab/cases.ts), which runs the
// module as users do, cannot show here: PyTorch, whose image the engine cannot build here (its
// CPU wheels' index is out of reach; the lab installs Debian's torch), on both operator lines,
// and what a run's cluster does that no call of the module can provoke (an image never loaded,
// a second Docker service beside the first, Trainer v2's install of a tree under test).
// Ends with `N passed, N failed`; exits 0 only if all passed.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { fsReader } from "../../src/catalog/fsReader.js";
import { loadCatalog, runsOn, type CatalogEntry } from "../../src/catalog/loader.js";
import { operatorNeeds } from "../../src/catalog/operatorNeeds.js";
import { TIMEOUTS } from "../../src/cluster/commands.js";
import { KindCluster } from "../../src/cluster/kind.js";
import { mustRun } from "../../src/exec/runner.js";
import { DEFAULT_API_SERVER_PORT, DEFAULT_CLUSTER_NAME, type ClusterOptions } from "../../src/cluster/kindConfig.js";
import { GIB, jobConcurrency, parseEngineFacts, runDemands, usableMemory } from "../../src/cluster/preflight.js";
import { renderJob, type RenderedJob } from "../../src/jobs/manifest.js";
import { runJob } from "../../src/jobs/run.js";
import { planOperatorInstall, type OperatorInstall } from "../../src/operator/install.js";
import { startReport } from "../../src/run/report.js";
import { formatSeconds, RunRecorder } from "../../src/exec/steps.js";
import { REPO_ROOT } from "../helpers/catalogFixture.js";
import { copyTree } from "../helpers/upstreamTrees.js";
import { NETWORK, removeLeftovers, runFolders, startEnvironment, type LabEnvironment } from "./environment.js";
import { archiveOf, buildPythonBase, forgetUnused, frameworkArchive, operatorImageArchive, PYTHON_BASE, type BuiltArchive } from "./frameworkImages.js";
import { allCases, expect, finish, LAB_CACHE, memorySampler, results, runCase, runPassingClusterSteps } from "./harness.js";
import { runTrainerCases } from "./trainerCases.js";

/** The lab's node image of the default minor (build/node-image.sh): kind v0.32.0's own 1.35. */
const NODE_IMAGE = { reference: "docker.io/kindest/node:v1.35.5-lab", tag: "v1.35.5-lab" };
const OPERATOR_IMAGE = { reference: "ghcr.io/kubeflow/training-v1/training-operator:v1-93c5489", tag: "v1-93c5489" };
const TAG = "lab";
/** The lab's kubectl of the default node's minor, built from source: what a run's tools container holds. */
const LAB_KUBECTL = join(LAB_CACHE, "kubernetes", "v1.35.5", "kubectl");
/** The frameworks the lab runs: those the engine lab cannot build here. */
const LAB_FRAMEWORKS = ["pytorch"];

/** A job from the catalog's, renamed and relabelled so it cannot be confused with the framework's own. */
function variant(entry: CatalogEntry, name: string, image: string, change: (manifest: any) => void = () => {}): RenderedJob {
  const job = renderJob({ ...entry, name }, image);
  job.manifest.metadata.name = name;
  change(job.manifest);
  return { ...job, name, yaml: stringify(job.manifest) };
}

async function main(): Promise<void> {
  const memory = memorySampler();
  const catalog = await loadCatalog(fsReader(REPO_ROOT));
  const lab = catalog.filter((entry) => LAB_FRAMEWORKS.includes(entry.name));
  // The v1 case runs them with a v1 job; Trainer v2's (trainerCases.ts) with a trainJob.
  const entries = lab.filter((entry) => runsOn(entry, "v1"));
  const needs = operatorNeeds(entries);
  const contexts = join(LAB_CACHE, "ctx", "frameworks");
  const archiveDir = join(LAB_CACHE, "archives");

  console.log("lab: framework and operator images (from the module's plans)");
  const started = Date.now();
  buildPythonBase(contexts);
  const built = lab.map((entry) => frameworkArchive(entry, TAG, contexts, archiveDir));
  const frameworkArchives = entries.map((entry) => built[lab.indexOf(entry)]!);
  const archives: BuiltArchive[] = [...frameworkArchives, ...needs.images.map((image) => operatorImageArchive(image, contexts, archiveDir, LAB_KUBECTL)), archiveOf(OPERATOR_IMAGE.reference, OPERATOR_IMAGE.tag, archiveDir)];
  const node = archiveOf(NODE_IMAGE.reference, NODE_IMAGE.tag, archiveDir);
  const buildSeconds = (Date.now() - started) / 1000;

  removeLeftovers();
  const env: LabEnvironment = startEnvironment();
  const options: ClusterOptions = { name: DEFAULT_CLUSTER_NAME, nodeImage: NODE_IMAGE.reference, apiServerPort: DEFAULT_API_SERVER_PORT };
  const recorder = new RunRecorder();
  let cluster: KindCluster<string> | undefined;
  let install: OperatorInstall<string> | undefined;
  try {
    install = await planOperatorInstall(env.client, copyTree("v1", join(LAB_CACHE, "operator-tree"), ["manifests"]), { flags: needs.flags });
    // The module's preflight arithmetic, on this machine's facts (the engine's, in a real run).
    const facts = parseEngineFacts(execFileSync("sh", ["-c", "cat /proc/meminfo; echo ---; echo ---; df -Pk /var/lib; echo ---; nproc"], { encoding: "utf8" }));
    const jobs = entries.map((entry, i) => ({ entry, job: renderJob(entry, frameworkArchives[i]!.reference) }));
    const demands = runDemands(jobs, install.deployments);
    const concurrency = jobConcurrency(usableMemory(facts), demands.memory, facts.cpus, demands.cpu, demands.operatorCpu);
    recorder.note(`${facts.cpus} CPU(s), ${(usableMemory(facts) / GIB).toFixed(1)} GiB available: up to ${concurrency} job(s) at once`);

    const report = startReport(
      "kubeflow/trainer v1.9.4 manifests (Go module), operator built from source",
      `kind v0.32.0 (built here), ${NODE_IMAGE.reference}`,
      jobs.map(({ entry, job }, i) => ({ framework: entry.name, image: frameworkArchives[i]!.reference, job: `${job.kind} ${job.name}` })),
      recorder.steps,
    );

    await runCase(`v1: ${entries.map((e) => e.name).join(", ")} succeeds (Debian's torch: the engine lab cannot build this image here)`, async () => {
      const plan = { runner: env.client, cluster: options, nodeArchive: node.file, archives, install: install!, jobs, concurrency };
      await runPassingClusterSteps(plan, recorder, report, "v1", (outcome) => (cluster = outcome.cluster));
      return `${report.cluster}; ${report.frameworks.map((f) => `${f.framework} ${f.results.join("; ")}`).join(" | ")}`;
    });

    // A JAXJob whose image no run loaded: the JAX image itself is not needed.
    const jax = catalog.find((e) => e.name === "jax")!;
    const live = cluster ?? KindCluster.attach(env.client, options);

    await runCase("an image never loaded is reported within 60 s, naming it", async () => {
      const missing = "docker.io/kubeflow-ci/jax-e2e:never-loaded";
      const job = variant(jax, "jax-no-image", missing);
      const t0 = Date.now();
      const error = await runJob(live, jax, job, (l) => recorder.note(l)).then(() => undefined, (e: Error) => e);
      const seconds = (Date.now() - t0) / 1000;
      expect(error, "the job was reported as passing");
      expect(seconds <= 60, `took ${seconds.toFixed(0)} s`);
      expect(error.message.includes(missing), `the message does not name the image: ${error.message}`);
      // Pull policy Never: the node never asks a registry for an image the run did not load.
      expect(/ErrImageNeverPull/.test(error.message), `not ErrImageNeverPull: ${error.message}`);
      return `${formatSeconds(seconds)}: ${error.message.split("\n")[0]}`;
    });

    await runCase("a second run on the same engine shares nothing with the first", async () => {
      // Two runs side by side (two terminals, or a `cluster terminal` left open): the second's
      // dockerd, in its own data folder, starts empty while the first keeps its cluster.
      const second = startEnvironment(`${NETWORK}-second`);
      try {
        const folders = runFolders();
        expect(folders.includes(env.runId) && folders.includes(second.runId), `run folders: ${folders.join(", ")}`);
        const seen = async (argv: string[]) => (await mustRun(second.client, argv, 60)).trim();
        const containers = await seen(["docker", "ps", "--all", "--quiet"]);
        const images = await seen(["docker", "images", "--quiet"]);
        const networks = await seen(["docker", "network", "ls", "--format", "{{.Name}}"]);
        expect(containers === "", `the second dockerd sees containers: ${containers}`);
        expect(images === "", `the second dockerd sees images: ${images}`);
        expect(!networks.split("\n").includes("kind"), `the second dockerd sees the first's kind network: ${networks}`);
        const nodes = await live.run(["kubectl", "get", "nodes", "-o", "name"]);
        expect(nodes.trim() !== "", "the first cluster stopped answering");
        second.dispose();
        const after = runFolders();
        expect(!after.includes(second.runId) && after.includes(env.runId), `after the second run ended, run folders: ${after.join(", ")}`);
        return `second dockerd: no containers, images or kind network; first cluster still answers (${nodes.trim()}); second run's folder removed, first kept`;
      } finally {
        second.dispose();
      }
    });

    // One Docker service at a time on the lab's network: both answer to the alias "docker".
    env.dispose();
    // Trainer v2, in a Docker service of its own on the default minor.
    const onV2 = lab.flatMap((entry, i) => (runsOn(entry, "v2") ? [{ entry, archive: built[i]! }] : []));
    const { recorder: trainer, archives: controllers } = await runTrainerCases({ entries: onV2.map((f) => f.entry), frameworkArchives: onV2.map((f) => f.archive), node, options, facts, archiveDir });
    // A run of some cases (LAB_ONLY) used only some archives: it forgets nothing.
    const forgotten = !allCases() ? [] : forgetUnused([PYTHON_BASE, ...[...archives, ...built].map((b) => b.reference)], [...archives, ...built, ...controllers, node], archiveDir);
    if (forgotten.length > 0) console.log(`lab: removed what this run did not use: ${forgotten.join(", ")}`);

    const peak = memory.stop();
    const figures = {
      buildImagesSeconds: buildSeconds,
      steps: recorder.steps.map((s) => ({ name: s.name, status: s.status, seconds: s.seconds })),
      trainerSteps: trainer.steps.map((s) => ({ name: s.name, status: s.status, seconds: s.seconds })),
      cases: results,
      peakHostMemoryGiB: Number((peak / GIB).toFixed(2)),
      timeoutsSeconds: TIMEOUTS,
    };
    writeFileSync(join(LAB_CACHE, "last-run.json"), JSON.stringify(figures, null, 2) + "\n");
    console.log("\nlab figures (also in $LAB_CACHE/last-run.json):");
    console.log(`  framework and operator images and archives: ${formatSeconds(buildSeconds)}`);
    for (const s of recorder.steps) console.log(`  ${s.status === "ok" ? "ok    " : "FAILED"} ${formatSeconds(s.seconds).padStart(7)}  ${s.name}`);
    for (const s of trainer.steps) console.log(`  ${s.status === "ok" ? "ok    " : "FAILED"} ${formatSeconds(s.seconds).padStart(7)}  v2: ${s.name}`);
    console.log(`  peak host memory in use: ${(peak / GIB).toFixed(1)} GiB`);
  } finally {
    env.dispose();
  }
}

main()
  .catch((error: Error) => {
    console.log(`lab: ${error.stack ?? error.message}`);
    results.push({ name: "lab setup", ok: false, seconds: 0, detail: error.message });
  })
  .finally(finish);
