// Waiting for a lane of test/lab/run (build/lanes.sh) from a case: a build that ran in the
// background while the cases before it ran.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Waits until lane `name` has ended (at most `limitSeconds`) and throws unless it ended well,
 * with the end of its log; throws at once if no run started it.
 */
export async function awaitLane(labCache: string, name: string, limitSeconds: number): Promise<void> {
  const dir = join(labCache, "lanes");
  const exit = join(dir, `${name}.exit`);
  const log = join(dir, `${name}.log`);
  const tail = () => (existsSync(log) ? readFileSync(log, "utf8").trimEnd().split("\n").slice(-30).join("\n") : "(no log)");
  if (!existsSync(log) && !existsSync(exit)) throw new Error(`no lane ${name} was started (test/lab/run starts it): ${dir}`);
  const deadline = Date.now() + limitSeconds * 1000;
  while (!existsSync(exit)) {
    if (Date.now() > deadline) throw new Error(`lane ${name} did not end within ${limitSeconds} s; the end of its log (${log}):\n${tail()}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  const status = readFileSync(exit, "utf8").trim();
  if (status !== "0") throw new Error(`lane ${name} failed (exit ${status}); the end of its log (${log}):\n${tail()}`);
}
