// Which operator line a run deploys: --operator, or when it is empty the line of the
// --operator-source tree, told by the overlay it has, on the real v1.9.4 and v2.3.0 trees.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LINE_OVERLAYS } from "../src/operator/trainer.js";
import { chooseOperatorLine, OPERATOR_LINES, type OperatorLine } from "../src/versions/lines.js";
import { copyTree } from "./helpers/upstreamTrees.js";

let root: string;
const markers = (tree: string) => Object.fromEntries(OPERATOR_LINES.map((line) => [line, existsSync(join(tree, LINE_OVERLAYS[line]))])) as Record<OperatorLine, boolean>;
let v1: Record<OperatorLine, boolean>;
let v2: Record<OperatorLine, boolean>;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "operator-line-"));
  v1 = markers(copyTree("v1", join(root, "v1"), ["manifests"]));
  v2 = markers(copyTree("v2", join(root, "v2"), ["manifests"]));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

it("an empty --operator takes the line of the tree: the Training Operator's standalone overlay, Trainer's manager overlay", () => {
  expect(v1).toEqual({ v1: true, v2: false });
  expect(v2).toEqual({ v1: false, v2: true });
  expect(chooseOperatorLine("", v1)).toEqual({ line: "v1", fromTree: true });
  expect(chooseOperatorLine(undefined, v2)).toEqual({ line: "v2", fromTree: true });
});

it("--operator wins over the tree; without a tree, or with a tree of neither or both, the default", () => {
  expect(chooseOperatorLine("v1", v2)).toEqual({ line: "v1", fromTree: false });
  expect(chooseOperatorLine(" v2 ")).toEqual({ line: "v2", fromTree: false });
  expect(chooseOperatorLine("")).toEqual({ line: "v1", fromTree: false });
  expect(chooseOperatorLine("", { v1: false, v2: false })).toEqual({ line: "v1", fromTree: false });
  expect(chooseOperatorLine("", { v1: true, v2: true })).toEqual({ line: "v1", fromTree: false });
  expect(() => chooseOperatorLine("v3", v2)).toThrow(/^--operator: "v3" is not an operator line/);
});
