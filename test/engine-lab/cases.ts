// The engine lab's cases: a Dagger engine built here from its public source, driven by the
// real `dagger` CLI, proving the engine features the module's Dagger layer stands on (its
// Docker service is a privileged service bound by alias; its images and archives are imported
// and exported files). Ends with `N passed, N failed`; exits 0 only if all passed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { docker } from "../lab/localRunner.js";
import { expect, finish, LAB_CACHE, results, runCase } from "../lab/harness.js";
import { startEngine, type CliResult, type Engine } from "./engine.js";

/** The image the cases run in: the lab's Python base (Debian's Python 3.11), as a docker archive. */
const CASE_IMAGE = "lab/python:3.11-bookworm";

const said = (result: CliResult) => `exit ${result.exitCode}: ${(result.stderr.trim() || result.stdout.trim()).split("\n").slice(-8).join(" | ")}`;

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), "engine-lab-"));
  const archive = join(scratch, "image.tar");
  docker(["save", "-o", archive, CASE_IMAGE]);
  let engine: Engine | undefined;
  try {
    await runCase("engine lab: the engine built from source starts, and the real CLI reaches it", async () => {
      const started = Date.now();
      engine = await startEngine(LAB_CACHE);
      const version = await engine.cli(["query"], { stdin: "{ version }", timeoutSeconds: 120 });
      expect(version.exitCode === 0, said(version));
      expect(/"version":\s*"v0\.21\.8"/.test(version.stdout), `the engine reports: ${version.stdout}`);
      return `answered in ${((Date.now() - started) / 1000).toFixed(1)} s: ${version.stdout.replace(/\s+/g, " ").trim()}`;
    });

    const shell = (code: string, timeoutSeconds = 300) => engine!.cli(["-c", code], { cwd: scratch, timeoutSeconds });
    const image = `container | import $(host | file ${archive})`;

    await runCase("engine lab: a container from an imported archive runs an exec on the engine's CNI network", async () => {
      expect(engine, "no engine");
      const result = await shell(`${image} | with-exec -- sh -c 'python3 --version; ip -4 -o addr show 2>/dev/null || cat /proc/net/fib_trie | head -20' | stdout`);
      expect(result.exitCode === 0, said(result));
      expect(/Python 3\.11/.test(result.stdout), `no Python: ${result.stdout}`);
      expect(/10\.87\./.test(result.stdout), `no address on dagger's CNI network (10.87.0.0/16): ${result.stdout}`);
      return `${result.stdout.trim().split("\n")[0]}, on 10.87.0.0/16 (${result.seconds.toFixed(1)} s)`;
    });

    await runCase("engine lab: an exec with insecure root capabilities gets them (as the module's Docker service)", async () => {
      expect(engine, "no engine");
      const result = await shell(`${image} | with-exec --insecure-root-capabilities -- sh -c 'grep CapEff /proc/self/status' | stdout`);
      expect(result.exitCode === 0, said(result));
      const effective = BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(result.stdout)?.[1] ?? "0"}`);
      expect((effective & (1n << 21n)) !== 0n, `no CAP_SYS_ADMIN: ${result.stdout}`);
      return `CapEff ${effective.toString(16)}`;
    });

    await runCase("engine lab: a service bound by alias answers another container by that name", async () => {
      expect(engine, "no engine");
      const service = `${image} | with-exposed-port 8000 | as-service --args python3,-m,http.server,8000`;
      const result = await shell(
        `${image} | with-service-binding web $(${service}) | with-exec -- python3 -c 'import urllib.request; print(urllib.request.urlopen("http://web:8000/").status)' | stdout`,
      );
      expect(result.exitCode === 0, said(result));
      expect(result.stdout.trim() === "200", `the client got: ${result.stdout}`);
      return `HTTP 200 from the service as "web" (${result.seconds.toFixed(1)} s)`;
    });
  } finally {
    engine?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main()
  .catch((error: Error) => {
    console.log(`engine lab: ${error.stack ?? error.message}`);
    results.push({ name: "engine lab setup", ok: false, seconds: 0, detail: error.message });
  })
  .finally(finish);
