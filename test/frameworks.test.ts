// Facts the TypeScript side and the Python payloads must agree on.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fsReader } from "../src/catalog/fsReader.js";
import { loadCatalog } from "../src/catalog/loader.js";
import { RESULT_PREFIX } from "../src/jobs/results.js";
import { REPO_ROOT } from "./helpers/catalogFixture.js";

const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");

describe("payloads and module", () => {
  it("use the same result line prefix", () => {
    expect(read("frameworks/_common/e2e_support.py")).toContain(`RESULT_PREFIX = ${JSON.stringify(RESULT_PREFIX)}`);
  });

  it("measure and test each framework with as many processes as its job has replicas", async () => {
    for (const entry of await loadCatalog(fsReader(REPO_ROOT))) {
      if (!entry.job) continue; // a Trainer v2 runtime only: its TrainJob's numNodes, checked with the runtimes
      const declared = /^DEFAULT_PROCESSES = (\d+)/m.exec(read(`frameworks/${entry.name}/tests/local_job.py`));
      // An MPIJob's launcher runs no rank: its mpirun starts one per worker slot.
      const replicas = Object.entries(entry.job.replicas)
        .filter(([type]) => !(entry.spec.job!.kind === "MPIJob" && type === "Launcher"))
        .reduce((sum, [, count]) => sum + count, 0);
      expect(Number(declared?.[1]), entry.name).toBe(replicas);
    }
  });

  it("each run a payload the image carries at the command's path", async () => {
    for (const entry of await loadCatalog(fsReader(REPO_ROOT))) {
      const targets = entry.payload.map((f) => f.target);
      expect(entry.spec.image.command.some((arg) => targets.includes(arg)), entry.name).toBe(true);
    }
  });
});
