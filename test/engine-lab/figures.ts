// Figures of `dagger call test-jax` on the engine built here (bash test/engine-lab/engine
// figures): from an empty engine state (cold), again (warm), and after a one-line payload edit;
// the module's own step timer for each, its load time in the runtime, the host's peak memory,
// and the local-runner lab's last run ($LAB_CACHE/last-run.json) beside them. Prints; asserts
// nothing (the cases do).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/catalogFixture.js";
import { LAB_CACHE, memorySampler } from "../lab/harness.js";
import { startEngine, stopEngine, type CliResult } from "./engine.js";
import { serveRunInputs, testJaxArgs } from "./mirrorSet.js";
import { copyModule } from "./moduleCopy.js";
import { pipInstallRuns, summarySteps } from "./progress.js";

async function main(): Promise<void> {
  stopEngine();
  const memory = memorySampler();
  const engine = await startEngine(LAB_CACHE);
  const work = join(LAB_CACHE, "engine-figures");
  mkdirSync(work, { recursive: true });
  const served = await serveRunInputs(LAB_CACHE, work);
  const runs: { name: string; result: CliResult }[] = [];
  try {
    const load = await engine.cli(["functions"], { cwd: REPO_ROOT, timeoutSeconds: 1200 });
    console.log(`module load (dagger functions, cold engine): ${load.seconds.toFixed(1)} s, exit ${load.exitCode}`);
    const testJax = (cwd: string) => engine.cli(testJaxArgs(served), { cwd, timeoutSeconds: 3600 });
    runs.push({ name: "cold", result: await testJax(REPO_ROOT) });
    runs.push({ name: "warm", result: await testJax(REPO_ROOT) });
    const edited = copyModule(join(work, "module-edited"));
    const payload = join(edited, "frameworks/jax/payload/jax_e2e.py");
    writeFileSync(payload, readFileSync(payload, "utf8") + "# figures: a one-line payload edit\n");
    runs.push({ name: "payload edit", result: await testJax(edited) });
  } finally {
    served.stop();
    engine.stop();
  }
  const peak = memory.stop();

  const lab = existsSync(join(LAB_CACHE, "last-run.json"))
    ? new Map((JSON.parse(readFileSync(join(LAB_CACHE, "last-run.json"), "utf8")).steps as { name: string; seconds: number }[]).map((s) => [s.name, s.seconds]))
    : new Map<string, number>();
  const table = runs.map((r) => ({ name: r.name, steps: summarySteps(r.result.stdout) }));
  const names = [...new Set(table.flatMap((t) => [...t.steps.keys()]))];
  const cell = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(1)} s`).padStart(10);
  console.log(`\n${"step".padEnd(22)}${runs.map((r) => r.name.padStart(14)).join("")}${"lab (v1)".padStart(14)}`);
  for (const name of names) console.log(`${name.padEnd(22)}${table.map((t) => cell(t.steps.get(name)).padStart(14)).join("")}${cell(lab.get(name)).padStart(14)}`);
  console.log(`${"whole call".padEnd(22)}${runs.map((r) => `${r.result.seconds.toFixed(1)} s`.padStart(14)).join("")}`);
  for (const r of runs) {
    const pip = (() => {
      try {
        return pipInstallRuns(r.result);
      } catch {
        return []; // a run that failed before its image build
      }
    })();
    console.log(`${r.name}: exit ${r.result.exitCode}; pip install ${pip.length ? `ran (${Math.max(...pip.map((s) => s.seconds)).toFixed(1)} s)` : "did not run"}`);
  }
  console.log(`peak host memory in use: ${(peak / 2 ** 30).toFixed(1)} GiB (the lab's "lab (v1)" column is its last run's v1 case, PyTorch since 2026-12-07)`);
}

main().catch((error: Error) => {
  console.error(`engine lab figures: ${error.stack ?? error.message}`);
  process.exit(1);
});
