// A copy of the module's files, for runs of an edited module (a payload edit) through the CLI.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "../helpers/catalogFixture.js";

/** The module's files as git lists them (tracked and new, not ignored), copied to `target`. */
export function copyModule(target: string): string {
  rmSync(target, { recursive: true, force: true });
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const file of files.filter((f) => existsSync(join(REPO_ROOT, f)))) {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(target, file));
  }
  return target;
}
