// The lab's cases: the module's cluster steps (run/clusterSteps.ts and the step functions
// under it) against a real Kind cluster, the real v1.9.4 operator and the framework images,
// all built on this machine. Ends with `N passed, N failed`; exits 0 only if all passed.
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
import { DEFAULT_API_SERVER_PORT, DEFAULT_CLUSTER_NAME, nodeImageMinor, resolveNodeImage, type ClusterOptions } from "../../src/cluster/kindConfig.js";
import { GIB, jobConcurrency, parseEngineFacts, runDemands, usableMemory } from "../../src/cluster/preflight.js";
import { collectDiagnostics } from "../../src/jobs/collect.js";
import { renderJob, type RenderedJob } from "../../src/jobs/manifest.js";
import { runJob } from "../../src/jobs/run.js";
import { planOperatorInstall, type OperatorInstall } from "../../src/operator/install.js";
import { runClusterSteps } from "../../src/run/clusterSteps.js";
import { startReport } from "../../src/run/report.js";
import { formatSeconds, RunRecorder } from "../../src/exec/steps.js";
import { REPO_ROOT } from "../helpers/catalogFixture.js";
import { copyTree } from "../helpers/upstreamTrees.js";
import { NETWORK, removeLeftovers, runFolders, startEnvironment, type LabEnvironment } from "./environment.js";
import { archiveOf, buildPythonBase, frameworkArchive, operatorImageArchive, type BuiltArchive } from "./frameworkImages.js";
import { expect, finish, LAB_CACHE, memorySampler, results, runCase, runPassingClusterSteps, saveDiagnostics } from "./harness.js";
import { runTrainerCases } from "./trainerCases.js";
/**
 * The patch the lab builds for each minor (build/images.sh): kind v0.32.0's own, except 1.34,
 * whose v1.34.8 the Go module proxy here cannot build (test/lab/go/kubernetes-v1.34.10/go.mod).
 */
const LAB_PATCHES: Record<string, string> = { "1.35": "v1.35.5", "1.34": "v1.34.10" };

/** The lab's node image for a --kubernetes-version, through the module's own mapping to a minor. */
function labNodeImage(kubernetesVersion: string): { reference: string; tag: string } {
  const minor = nodeImageMinor(resolveNodeImage("", kubernetesVersion))!;
  const patch = LAB_PATCHES[minor];
  if (!patch) throw new Error(`the lab builds no node image for Kubernetes ${minor}`);
  return { reference: `docker.io/kindest/node:${patch}-lab`, tag: `${patch}-lab` };
}
const NODE_IMAGE = labNodeImage("").reference;
const OPERATOR_IMAGE = { reference: "ghcr.io/kubeflow/training-v1/training-operator:v1-93c5489", tag: "v1-93c5489" };
const TAG = "lab";
/** The lab's kubectl of the default node's minor, built from source: what a run's tools container holds. */
const LAB_KUBECTL = join(LAB_CACHE, "kubernetes", LAB_PATCHES["1.35"]!, "kubectl");

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
  // The v1 cases run the frameworks with a v1 job; Trainer v2's (trainerCases.ts) those with a trainJob.
  const entries = catalog.filter((entry) => runsOn(entry, "v1"));
  const needs = operatorNeeds(entries);
  const contexts = join(LAB_CACHE, "ctx", "frameworks");
  const archiveDir = join(LAB_CACHE, "archives");

  console.log("lab: framework and operator images (from the module's plans)");
  const started = Date.now();
  buildPythonBase(contexts);
  const built = catalog.map((entry) => frameworkArchive(entry, TAG, contexts, archiveDir));
  const frameworkArchives = entries.map((entry) => built[catalog.indexOf(entry)]!);
  const archives: BuiltArchive[] = [...frameworkArchives, ...needs.images.map((image) => operatorImageArchive(image, contexts, archiveDir, LAB_KUBECTL)), archiveOf(OPERATOR_IMAGE.reference, OPERATOR_IMAGE.tag, archiveDir)];
  const node = archiveOf(NODE_IMAGE, labNodeImage("").tag, archiveDir);
  const buildSeconds = (Date.now() - started) / 1000;

  removeLeftovers();
  const env: LabEnvironment = startEnvironment();
  const options: ClusterOptions = { name: DEFAULT_CLUSTER_NAME, nodeImage: NODE_IMAGE, apiServerPort: DEFAULT_API_SERVER_PORT };
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
      `kind v0.32.0 (built here), ${NODE_IMAGE}`,
      jobs.map(({ entry, job }, i) => ({ framework: entry.name, image: frameworkArchives[i]!.reference, job: `${job.kind} ${job.name}` })),
      recorder.steps,
    );

    await runCase(`every v1 framework succeeds in one cluster (${entries.map((e) => e.name).join(", ")})`, async () => {
      const plan = { runner: env.client, cluster: options, nodeArchive: node.file, archives, install: install!, jobs, concurrency };
      await runPassingClusterSteps(plan, recorder, report, "all-frameworks", (outcome) => (cluster = outcome.cluster));
      return report.frameworks.map((f) => `${f.framework} ${f.results.join("; ")}`).join(" | ");
    });

    const jax = entries.find((e) => e.name === "jax")!;
    const live = cluster ?? KindCluster.attach(env.client, options);

    await runCase("a failing payload is reported Failed (JAXJobFailed), with diagnostics", async () => {
      const job = variant(jax, "jax-fails", frameworkArchives[entries.indexOf(jax)]!.reference, (m) => {
        for (const replica of Object.values(m.spec.jaxReplicaSpecs) as any[]) {
          replica.template.spec.containers[0].command = ["python", "-c", "raise SystemExit('lab: the payload fails on purpose')"];
        }
      });
      const error = await runJob(live, jax, job, (l) => recorder.note(l)).then(() => undefined, (e: Error) => e);
      expect(error, "the job was reported as passing");
      // The job's own verdict, from the operator: not a pod problem, not a timeout.
      expect(/^JAXJob jax-fails failed: Failed \(JAXJobFailed\)/.test(error.message), `not the JAXJob's own failure: ${error.message}`);
      const files = await collectDiagnostics(live, { clusterName: options.name, operator: install!.deployments, jobs: [{ framework: "jax-fails", job }] });
      saveDiagnostics("failing-payload", files);
      const has = (path: string, pattern?: RegExp) => expect(files[path] !== undefined && (!pattern || pattern.test(files[path]!)), `diagnostics lack ${path}${pattern ? ` matching ${pattern}` : ""}`);
      has("operator/training-operator.log", /\S/);
      has("jax-fails/pods.log", /the payload fails on purpose/);
      has("jax-fails/pods-describe.txt", /jax-fails-worker-0/);
      has("cluster/events.txt", /\S/);
      expect(Object.keys(files).some((f) => f.startsWith("kind/")), "diagnostics lack kind's exported logs");
      return `${error.message.split("\n")[0]}; ${Object.keys(files).length} diagnostic files`;
    });

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
    await runCase("a v1 run on a second Kubernetes minor (--kubernetes-version 1.34)", async () => {
      const second = labNodeImage("1.34");
      const other = startEnvironment();
      try {
        const jaxIndex = entries.indexOf(jax);
        const steps = new RunRecorder();
        const report = startReport("kubeflow/trainer v1.9.4", second.reference, [{ framework: "jax", image: frameworkArchives[jaxIndex]!.reference, job: "JAXJob jax-e2e" }], steps.steps);
        const outcome = await runClusterSteps(
          {
            runner: other.client,
            cluster: { ...options, nodeImage: second.reference },
            nodeArchive: archiveOf(second.reference, second.tag, archiveDir).file,
            archives: [frameworkArchives[jaxIndex]!, ...archives.slice(entries.length)],
            install: install!,
            jobs: [{ entry: jax, job: renderJob(jax, frameworkArchives[jaxIndex]!.reference) }],
            concurrency: 1,
          },
          steps,
          report,
        );
        if (outcome.diagnostics) saveDiagnostics("kubernetes-1.34", outcome.diagnostics);
        expect(report.failures.length === 0 && report.frameworks[0]!.status === "passed", report.failures.map((f) => `${f.step}: ${f.reason}\n${f.logTail.join("\n")}`).join("\n") || "jax did not pass");
        const version = await outcome.cluster!.run(["kubectl", "version", "-o", "json"]);
        const server = (JSON.parse(version) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion;
        expect(server?.startsWith("v1.34."), `the API server reports ${server}`);
        return `API server ${server}; ${report.frameworks[0]!.results.join("; ")}; ${steps.steps.map((st) => `${st.name} ${formatSeconds(st.seconds)}`).join(", ")}`;
      } finally {
        other.dispose();
      }
    });

    // Trainer v2, in a Docker service of its own on the default minor.
    const onV2 = catalog.flatMap((entry, i) => (runsOn(entry, "v2") ? [{ entry, archive: built[i]! }] : []));
    const trainer = await runTrainerCases({ entries: onV2.map((f) => f.entry), frameworkArchives: onV2.map((f) => f.archive), node, options, facts, archiveDir });

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
    console.log(`  framework images and archives: ${formatSeconds(buildSeconds)}`);
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
