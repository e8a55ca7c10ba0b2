// The engine lab's figure of the engine's state: read with du while a second run removes its
// files (CI, 2026-12-08: du exited 1 on two vanished files and the engine lab stopped).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { diskUse, parseDu } from "./lab/diskUse.js";

const dir = mkdtempSync(join(tmpdir(), "disk-use-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("diskUse", () => {
  it("reads a real folder's size", () => {
    writeFileSync(join(dir, "a"), Buffer.alloc(256 * 1024));
    const use = diskUse(dir);
    expect(use.changing).toBe(false);
    expect(use.kib).toBeGreaterThanOrEqual(256);
  });

  it("names a folder that is not there", () => {
    expect(() => diskUse(join(dir, "missing"))).toThrow(/du -sxk .*missing failed \(exit 1\): du: cannot access .*No such file or directory/);
  });

  it("keeps the total when files vanished while du walked, and says the figure moved", () => {
    const stderr = [
      "du: cannot access '/state/worker/snapshots/3561/fs/usr/share/man/man8/pam_pwhistory.8.gz': No such file or directory",
      "du: cannot access '/state/worker/snapshots/3561/fs/usr/share/man/man8/ip-xfrm.8.gz': No such file or directory",
      "",
    ].join("\n");
    expect(parseDu("/state", 1, "41234567\t/state\n", stderr)).toEqual({ kib: 41234567, changing: true });
  });

  it("fails on any other complaint, naming it", () => {
    expect(() => parseDu("/state", 1, "120\t/state\n", "du: cannot read directory '/state/x': Permission denied\n")).toThrow(
      "du -sxk /state failed (exit 1): du: cannot read directory '/state/x': Permission denied",
    );
    expect(() => parseDu("/state", 1, "", "du: cannot access '/state/a': No such file or directory\n")).toThrow(/failed \(exit 1\)/);
  });
});
