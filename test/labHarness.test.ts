// The lab's own exit: a failure outside any case (here its cache folder cannot be made, as a
// failed image build would fail) must end the run non-zero within seconds, not hang until CI's limit.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/catalogFixture.js";

const dir = mkdtempSync(join(tmpdir(), "lab-exit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("a setup failure outside a case exits 1 within seconds, saying so", async () => {
  const notADirectory = join(dir, "file");
  writeFileSync(notADirectory, "");
  const started = Date.now();
  const child = spawn(join(REPO_ROOT, "node_modules", ".bin", "tsx"), ["test/lab/cases.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, LAB_CACHE: join(notADirectory, "lab"), DOCKER_HOST: `unix://${join(dir, "no-docker.sock")}` },
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const killer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    child.on("close", (exitCode) => (clearTimeout(killer), resolve(exitCode)));
  });
  const seconds = (Date.now() - started) / 1000;
  expect(output).toMatch(/0 passed, 1 failed/);
  expect(code, `exit code (killed after 50 s if it never ended); output:\n${output}`).toBe(1);
  expect(seconds).toBeLessThan(30);
}, 60_000);
