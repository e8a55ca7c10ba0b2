// The source's layers: each folder (or top-level file) of src/ imports only from layers below
// it, and no file imports itself back through others. The flow of a run reads bottom up:
// exec and the catalog, the pinned versions, the cluster, images and jobs, the operator and the
// registry (publish), the run, and the module's face on top (docs/development.md, "The layout").
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/catalogFixture.js";

const SRC = join(REPO_ROOT, "src");

/** Lowest first. A unit is a folder of src/ or a file at its top. */
const LAYERS: Record<string, number> = {
  exec: 0,
  "e2eRun.ts": 0,
  catalog: 1,
  versions: 2,
  "moduleSource.ts": 2,
  cluster: 3,
  "images.ts": 4,
  jobs: 4,
  operator: 5,
  publish: 5,
  run: 6,
  "runInputs.ts": 6,
  "e2e.ts": 7,
  "clusterShell.ts": 7,
  "index.ts": 8,
};

const files = readdirSync(SRC, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.split("\\").join("/"));
const unitOf = (file: string) => file.split("/")[0]!;

/** Each file's imports of other files of src/, as paths relative to src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), "utf8");
  return [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) =>
    relative(SRC, normalize(join(SRC, dirname(file), m[1]!))).split("\\").join("/").replace(/\.js$/, ".ts"),
  );
}

describe("src/ layers", () => {
  it("places every unit of src/", () => {
    expect([...new Set(files.map(unitOf))].sort()).toEqual(Object.keys(LAYERS).sort());
  });

  it("imports only downward: from its own unit or a lower layer", () => {
    const upward = files.flatMap((file) =>
      importsOf(file)
        .filter((target) => unitOf(target) !== unitOf(file) && LAYERS[unitOf(target)]! >= LAYERS[unitOf(file)]!)
        .map((target) => `${file} -> ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it("has no cycle of imports between files", () => {
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") return void cycles.push([...path.slice(path.indexOf(file)), file].join(" -> "));
      state.set(file, "open");
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
