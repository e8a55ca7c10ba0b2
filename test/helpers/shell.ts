import { execFileSync } from "node:child_process";

/** Parses a script with `sh -n` (syntax only, nothing runs); returns sh's complaint or "". */
export function shellSyntaxErrors(script: string): string {
  try {
    execFileSync("sh", ["-n"], { input: script, stdio: ["pipe", "pipe", "pipe"] });
    return "";
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error);
  }
}
