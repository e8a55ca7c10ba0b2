// A folder's size on disk, read with `du` while other work may be changing it: the engine lab
// reads the engine's state while a second run on that engine is removing its own files.
import { spawnSync } from "node:child_process";

/** `du -sxk`'s answer: KiB, and whether files vanished while it walked (the figure is then a little off). */
export interface DiskUse {
  kib: number;
  changing: boolean;
}

/**
 * Reads `du -sxk`'s exit status and output. du exits 1 when a file it listed is gone before it
 * could stat it, and still prints the total of what it found: that is a figure, not a failure.
 * Any other complaint (a folder it may not read, no such folder) is an error naming it.
 */
export function parseDu(path: string, status: number | null, stdout: string, stderr: string): DiskUse {
  const kib = Number(/^(\d+)\s/.exec(stdout)?.[1] ?? Number.NaN);
  const complaints = stderr.split("\n").filter((line) => line.trim() !== "");
  const vanished = (line: string) => /^du: cannot access '.*': No such file or directory$/.test(line);
  if (Number.isFinite(kib) && (status === 0 || (status === 1 && complaints.length > 0 && complaints.every(vanished)))) {
    return { kib, changing: status !== 0 };
  }
  throw new Error(`du -sxk ${path} failed (exit ${status}): ${complaints.slice(-3).join(" | ") || stdout.trim() || "no output"}`);
}

/** The size of `path`'s tree on its own filesystem. */
export function diskUse(path: string): DiskUse {
  const result = spawnSync("du", ["-sxk", path], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`du -sxk ${path}: ${result.error.message}`);
  return parseDu(path, result.status, result.stdout, result.stderr);
}
