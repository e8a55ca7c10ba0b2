// The engine lab's cases: a Dagger engine built here from its public source, driven by the
// real `dagger` CLI, proving the engine features the module's Dagger layer stands on (its
// Docker service is a privileged service bound by alias; its images and archives are imported
// and exported files). Ends with `N passed, N failed`; exits 0 only if all passed.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fsReader } from "../../src/catalog/fsReader.js";
import { catalogListing, listFrameworks, loadCatalog, loadFramework } from "../../src/catalog/loader.js";
import { buildPlan } from "../../src/catalog/plan.js";
import { cliName } from "../../scripts/reference.js";
import { REPO_ROOT } from "../helpers/catalogFixture.js";
import { introspectModule } from "../helpers/introspect.js";
import { docker } from "../lab/localRunner.js";
import { expect, finish, LAB_CACHE, results, runCase, selected } from "../lab/harness.js";
import { stringify } from "yaml";
import { makeRoom, runCaseShowingState, pushToLabRegistry, startEngine, type CliResult, type Engine } from "./engine.js";
import { serveRunInputs, testJaxArgs } from "./mirrorSet.js";
import { copyModule } from "./moduleCopy.js";
import { REGISTRY_CASES, runRegistryCases } from "./registryCases.js";
import { pipInstallRuns, plain, stepFigures } from "./progress.js";
import { layerDigests } from "./tarballLayers.js";

/** The image the cases run in: the lab's Python base (Debian's Python 3.11), as a docker archive. */
const CASE_IMAGE = "lab/python:3.11-bookworm";

const said = (result: CliResult) => `exit ${result.exitCode}: ${plain(result.stderr.trim() || result.stdout.trim()).split("\n").slice(-8).join(" | ")}`;

/** Every file under `dir`, as paths relative to it. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** Keeps a CLI run's output in the lab's diagnostics (engine-lab/NAME.log), and returns it. */
function keep(name: string, result: CliResult): CliResult {
  const dir = join(LAB_CACHE, "diagnostics", "engine-lab");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.log`), `exit ${result.exitCode} after ${result.seconds.toFixed(1)} s\n--- stdout\n${result.stdout}\n--- stderr\n${plain(result.stderr)}`);
  return result;
}

async function main(): Promise<void> {
  const started = Date.now();
  // Setup, whatever cases LAB_ONLY picks: a failure here fails the run as "engine lab setup".
  const engine: Engine = await startEngine(LAB_CACHE);
  const startSeconds = (Date.now() - started) / 1000;
  const scratch = mkdtempSync(join(tmpdir(), "engine-lab-"));
  try {
    const archive = join(scratch, "image.tar");
    docker(["save", "-o", archive, CASE_IMAGE]);
    await runCase("engine lab: the engine built from source starts, and the real CLI reaches it", async () => {
      const version = await engine.cli(["query"], { stdin: "{ version }", timeoutSeconds: 120 });
      expect(version.exitCode === 0, said(version));
      expect(/"version":\s*"v0\.21\.8"/.test(version.stdout), `the engine reports: ${version.stdout}`);
      return `answered ${startSeconds.toFixed(1)} s after the container started: ${version.stdout.replace(/\s+/g, " ").trim()}`;
    });

    const shell = (code: string, timeoutSeconds = 300) => engine.cli(["-c", code], { cwd: scratch, timeoutSeconds });
    const image = `container | import $(host | file ${archive})`;

    await runCase("engine lab: a container from an imported archive runs an exec on the engine's CNI network", async () => {
      const result = await shell(`${image} | with-exec -- sh -c 'python3 --version; ip -4 -o addr show 2>/dev/null || cat /proc/net/fib_trie | head -20' | stdout`);
      expect(result.exitCode === 0, said(result));
      expect(/Python 3\.11/.test(result.stdout), `no Python: ${result.stdout}`);
      expect(/10\.87\./.test(result.stdout), `no address on dagger's CNI network (10.87.0.0/16): ${result.stdout}`);
      return `${result.stdout.trim().split("\n")[0]}, on 10.87.0.0/16 (${result.seconds.toFixed(1)} s)`;
    });

    await runCase("engine lab: an exec with insecure root capabilities gets them (as the module's Docker service)", async () => {
      const result = await shell(`${image} | with-exec --insecure-root-capabilities -- sh -c 'grep CapEff /proc/self/status' | stdout`);
      expect(result.exitCode === 0, said(result));
      const effective = BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(result.stdout)?.[1] ?? "0"}`);
      expect((effective & (1n << 21n)) !== 0n, `no CAP_SYS_ADMIN: ${result.stdout}`);
      return `CapEff ${effective.toString(16)}`;
    });

    await runCase("engine lab: a service bound by alias answers another container by that name", async () => {
      const service = `${image} | with-exposed-port 8000 | as-service --args python3,-m,http.server,8000`;
      const result = await shell(
        `${image} | with-service-binding web $(${service}) | with-exec -- python3 -c 'import urllib.request; print(urllib.request.urlopen("http://web:8000/").status)' | stdout`,
      );
      expect(result.exitCode === 0, said(result));
      expect(result.stdout.trim() === "200", `the client got: ${result.stdout}`);
      return `HTTP 200 from the service as "web" (${result.seconds.toFixed(1)} s)`;
    });
    // The module itself, unchanged, through `dagger functions` and `dagger call` in its folder.
    const call = (args: string[], timeoutSeconds = 900) => engine.cli(args, { cwd: REPO_ROOT, timeoutSeconds });

    await runCase("engine lab: dagger functions lists the module's functions (the TypeScript runtime loaded the module)", async () => {
      const result = await call(["functions"], 1200);
      expect(result.exitCode === 0, said(result));
      const listed = result.stdout.split("\n").slice(1).map((l) => l.trim().split(/\s+/)[0]).filter(Boolean).sort();
      const expected = Object.keys((await introspectModule()).objects.TrainingOperatorCi!.methods).map(cliName).sort();
      expect(JSON.stringify(listed) === JSON.stringify(expected), `listed ${listed.join(", ")}; the SDK's introspector finds ${expected.join(", ")}`);
      return `${listed.join(", ")} (${result.seconds.toFixed(1)} s, the runtime and module loaded cold)`;
    });

    await runCase("engine lab: frameworks and image-ref answer what the module's code computes here", async () => {
      const reader = fsReader(REPO_ROOT);
      const frameworks = await call(["call", "frameworks"]);
      expect(frameworks.exitCode === 0, said(frameworks));
      const listing = catalogListing(await loadCatalog(reader));
      expect(frameworks.stdout.trim() === listing, `the engine listed:\n${frameworks.stdout}\nthe catalog here:\n${listing}`);
      const imageRef = await call(["call", "image-ref", "--framework", "jax"]);
      expect(imageRef.exitCode === 0, said(imageRef));
      const reference = buildPlan(await loadFramework(reader, "jax")).reference;
      expect(imageRef.stdout.trim() === reference, `the engine computed ${imageRef.stdout.trim()}, this machine ${reference}`);
      return `${listing.split("\n").length} frameworks (${frameworks.seconds.toFixed(1)} s); ${reference} (${imageRef.seconds.toFixed(1)} s)`;
    });

    const jax = await loadFramework(fsReader(REPO_ROOT), "jax");
    await runCase("engine lab: tarball builds the JAX image from a mirror file, and docker load names it as the module promises", async () => {
      const plan = buildPlan(jax);
      const base = plan.layers.find((l) => l.step === "base");
      expect(base?.step === "base", "the plan has no base layer");
      // The base the module pins, mirrored to the lab's stand-in for it (the lab's Python image
      // in the lab's registry); the packages come from PyPI as in a user's run.
      const mirrorFile = join(scratch, "mirrors.yaml");
      writeFileSync(mirrorFile, stringify({ images: { [base.image.ref]: pushToLabRegistry(CASE_IMAGE, "dagger-lab/python:3.11-bookworm") } }));
      const out = join(scratch, "jax.tar");
      const result = await call(["call", "tarball", "--framework", "jax", "--mirrors", mirrorFile, "export", "--path", out], 1800);
      expect(result.exitCode === 0, said(result));
      const loaded = docker(["load", "-i", out]).trim();
      rmSync(out);
      const named = loaded.replace(/^Loaded image: /, "");
      expect(`docker.io/${named}` === plan.reference, `docker load says "${loaded}", the plan names ${plan.reference}`);
      const python = docker(["run", "--rm", "--entrypoint", "python", plan.reference, "-c", "import jax; print(jax.__version__)"]).trim();
      expect(python === "0.10.2", `jax in the image: ${python}`);
      docker(["rmi", plan.reference]);
      return `${loaded}, jax ${python} inside (${result.seconds.toFixed(1)} s)`;
    });

    await runCase("engine lab: bad input fails with the module's own message, before any build or cluster", async () => {
      const unknown = await call(["call", "image-ref", "--framework", "nope"]);
      expect(unknown.exitCode !== 0, `exit 0 for an unknown framework: ${unknown.stdout}`);
      const available = (await listFrameworks(fsReader(REPO_ROOT))).join(", ");
      expect(plain(unknown.stderr).includes(`--framework: unknown framework "nope"; available: ${available}`), said(unknown));
      const mirrors = join(scratch, "bad-mirrors.yaml");
      writeFileSync(mirrors, "images:\n  alpine:3.22.6: registry.internal/alpine:3.22.6\n");
      const badMirror = await call(["call", "tarball", "--framework", "jax", "--mirrors", mirrors]);
      expect(badMirror.exitCode !== 0, "exit 0 for a mirror file with an unpinned image");
      expect(/--mirrors: images\["alpine:3\.22\.6"\]: must be pinned by digest/.test(plain(badMirror.stderr)), said(badMirror));
      const version = await call(["call", "test-jax", "--kubernetes-version", "1.20"]);
      expect(version.exitCode !== 0, "exit 0 for an unsupported Kubernetes version");
      expect(/--kubernetes-version: "1\.20" is not supported with --operator v1/.test(plain(version.stderr)), said(version));
      expect(!/start docker service|build images/.test(plain(version.stderr)), `a step ran: ${said(version)}`);
      return `unknown framework: exit ${unknown.exitCode} (${unknown.seconds.toFixed(1)} s); unpinned mirror: exit ${badMirror.exitCode}; Kubernetes 1.20: exit ${version.exitCode} (${version.seconds.toFixed(1)} s), no step ran`;
    });

    // Runs with a cluster, in this order (each after the one before warmed the engine);
    // everything from outside but PyPI comes from the lab's mirrors, served only when one of
    // them runs.
    const clusterCases = {
      edit: "engine lab: after a one-line payload edit only the payload layer is rebuilt",
      together: "engine lab: test-jax started twice together, on v1.9.4's tree through --operator-source: each run its own cluster; the unedited passes, the edited fails naming the step and the job's own reason; neither installs packages again",
      failing: "engine lab: test … report -o keeps a failed run's report: result.json, the operator's and the pods' logs, describe, events and kind's own logs",
      kinds: "engine lab: test --framework mpi,paddle,tensorflow passes on v1, MPI's kubectl-delivery image built by the engine with the run's kubectl",
      v2: "engine lab: test --framework jax,mlx,xgboost --operator v2 passes, Trainer and JobSet fetched over git from the lab's server, MLX on the installed mlx-distributed runtime",
    };
    if (![...Object.values(clusterCases), ...Object.values(REGISTRY_CASES)].some(selected)) return;
    const served = await serveRunInputs(LAB_CACHE, scratch);
    try {
      const { mirrors, v1Tree } = served;
      const testJax = (cwd = REPO_ROOT) => engine.cli(testJaxArgs(served), { cwd, timeoutSeconds: 3600 });

      // A one-line edit of the JAX payload that makes it fail, in a copy of the module.
      const edited = copyModule(join(scratch, "module-edited"));
      const payload = join(edited, "frameworks/jax/payload/jax_e2e.py");
      writeFileSync(payload, readFileSync(payload, "utf8").replace("\nimport os\n", "\nimport os\nraise SystemExit('engine lab: the payload fails on purpose')\n"));

      await runCaseShowingState(clusterCases.edit, async () => {
        const tarball = async (cwd: string, name: string) => {
          const file = join(scratch, `${name}.tar`);
          const result = keep(`tarball-${name}`, await engine.cli(["call", "tarball", "--framework", "jax", "--mirrors", mirrors, "-o", file], { cwd, timeoutSeconds: 1800 }));
          expect(result.exitCode === 0, `${name}: ${said(result)}`);
          const layers = layerDigests(file);
          // Room for the cluster cases after it: the archive is read.
          rmSync(file);
          return { result, layers };
        };
        const before = await tarball(REPO_ROOT, "unedited");
        const after = await tarball(edited, "edited");
        expect(pipInstallRuns(after.result).length === 0, "pip install ran again after a payload edit");
        const changed = after.layers.map((digest, i) => (digest === before.layers[i] ? -1 : i)).filter((i) => i >= 0);
        expect(after.layers.length === before.layers.length && changed.length === 1 && changed[0] === after.layers.length - 1,
          `layers changed at ${changed.join(", ")} of ${after.layers.length} (before: ${before.layers.length}); only the last, the payload's, should`);
        return `${after.layers.length} layers, only the last (the payload file) differs; pip install did not run; the edited module's tarball in ${after.result.seconds.toFixed(1)} s`;
      });

      // The runs of these two cases at once, three clusters on one engine: 240 s where one after
      // the other took 269 s (2026-12-07), below the run's peak disk use.
      const together = runCaseShowingState(clusterCases.together, async () => {
        // Side by side on one engine, the same cache: one run must not see the other's cluster or verdict.
        const [passing, failing] = await Promise.all([testJax(), testJax(edited)]);
        keep("test-jax", passing!);
        keep("test-jax-failing", failing!);
        expect(passing!.exitCode === 0, `the unedited run: ${said(passing!)}`);
        expect(/e2e: PASSED/.test(passing!.stdout) && /jax\s+PASSED\s+JAXJob jax-e2e/.test(passing!.stdout), `the unedited run's summary:\n${passing!.stdout}`);
        expect(failing!.exitCode !== 0, `exit 0 for the failing payload: ${failing!.stdout}`);
        expect(/step "run jax job" failed: JAXJob jax-e2e failed: Failed \(JAXJobFailed\)/.test(plain(failing!.stderr)), `the error does not name the step and the job's reason: ${said(failing!)}`);
        for (const [name, result] of [["unedited", passing!], ["edited", failing!]] as const) expect(pipInstallRuns(result).length === 0, `the ${name} run ran pip install again`);
        const reason = /step "run jax job" failed: [^\n]*/.exec(plain(failing!.stderr))?.[0];
        return `unedited: passed in ${passing!.seconds.toFixed(1)} s (${stepFigures(passing!.stdout)}); edited: exit ${failing!.exitCode} in ${failing!.seconds.toFixed(1)} s, "${reason}"; pip install ran in neither`;
      });

      const failingReport = runCaseShowingState(clusterCases.failing, async () => {
        const reportDir = join(scratch, "failing-report");
        const exported = keep("test-failing-report", await engine.cli(["call", "test", "--framework", "jax", "--operator-source", v1Tree, "--mirrors", mirrors, "report", "-o", reportDir], { cwd: edited, timeoutSeconds: 3600 }));
        expect(exported.exitCode === 0, `report -o: ${said(exported)}`);
        const report = JSON.parse(readFileSync(join(reportDir, "result.json"), "utf8")) as { ok: boolean; failures: { step: string; reason: string }[] };
        const failure = report.failures[0];
        expect(!report.ok && failure?.step === "run jax job" && /JAXJobFailed/.test(failure.reason), `result.json: ${JSON.stringify(report.failures)}`);
        const diagnostics = join(reportDir, "diagnostics");
        const files = listFiles(diagnostics);
        const has = (path: string, pattern: RegExp) => expect(files.includes(path) && pattern.test(readFileSync(join(diagnostics, path), "utf8")), `diagnostics lack ${path} matching ${pattern} (have: ${files.join(", ")})`);
        has("jax/pods.log", /the payload fails on purpose/);
        has("jax/pods-describe.txt", /jax-e2e-worker-0/);
        has("operator/training-operator.log", /\S/);
        has("cluster/events.txt", /\S/);
        expect(files.some((f) => f.startsWith("kind/")), `diagnostics lack kind's exported logs (have: ${files.join(", ")})`);
        return `"${failure!.step}: ${failure!.reason.split("\n")[0]}"; report -o wrote result.json and ${files.length} diagnostic files, the pod logs with the payload's error (${exported.seconds.toFixed(1)} s)`;
      });
      await Promise.all([together, failingReport]);

      // These two one after the other: at once they saved half a minute (2026-12-07) and raised
      // the run's peak disk use by 2.4 GiB, its largest. The job kinds first: their cluster is
      // the largest, and v2's builds (2.6 GiB) are not yet in the engine's cache beside it.
      await runCaseShowingState(clusterCases.kinds, async () => {
        // The three largest images: room first (the cases before cached their builds). Their
        // builds take about 6 GB and the cluster then needs 9.1 GB (the module's preflight): a
        // clean-clone run that made 14 GB room here still fell short at the preflight.
        console.log(`  ${await makeRoom(engine, "24GB")}`);
        const args = ["call", "test", "--framework", "mpi,paddle,tensorflow", "--operator-source", v1Tree, "--mirrors", mirrors, "check"];
        const result = keep("test-v1-kinds", await engine.cli(args, { cwd: REPO_ROOT, timeoutSeconds: 3600 }));
        expect(result.exitCode === 0, said(result));
        for (const kind of ["mpi\\s+PASSED\\s+MPIJob", "paddle\\s+PASSED\\s+PaddleJob", "tensorflow\\s+PASSED\\s+TFJob"]) {
          expect(new RegExp(kind).test(result.stdout), `no ${kind} in the summary:\n${result.stdout}`);
        }
        // The launcher's init container ran the delivery image the engine built: the launcher reached both workers.
        expect(/mpi-e2e-launcher: ok .*hosts=2/.test(result.stdout), `the MPI launcher's result:\n${result.stdout}`);
        return `${stepFigures(result.stdout)} (${result.seconds.toFixed(1)} s)`;
      });

      await runCaseShowingState(clusterCases.v2, async () => {
        console.log(`  ${await makeRoom(engine)}`);
        const result = keep("test-v2", await call(["call", "test", "--framework", "jax,mlx,xgboost", "--operator", "v2", "--mirrors", mirrors, "check"], 3600));
        expect(result.exitCode === 0, said(result));
        expect(/jax\s+PASSED/.test(result.stdout) && /mlx\s+PASSED/.test(result.stdout) && /xgboost\s+PASSED/.test(result.stdout), `summary:\n${result.stdout}`);
        // The launcher reached the node's sshd, which ran the test image under the runtime's own image name.
        expect(/mlx-e2e-launcher-0-0-\w+: ok .*hosts=2/.test(result.stdout), `the MLX launcher's result:\n${result.stdout}`);
        return `${stepFigures(result.stdout)} (${result.seconds.toFixed(1)} s)`;
      });

      // publish and test --images-from, against a registry with authentication (after the runs above, on their warm cache).
      await runRegistryCases(engine, served, scratch);
    } finally {
      served.stop();
    }

  } finally {
    engine.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main()
  .catch((error: Error) => {
    console.log(`engine lab: ${error.stack ?? error.message}`);
    results.push({ name: "engine lab setup", ok: false, seconds: 0, detail: error.message });
  })
  .finally(finish);
