// The operator overlay logic against real kustomize (the engine kubectl -k embeds), over a
// trimmed operator tree in the release-1.9 shape (test/fixtures/operator-tree).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { findOperatorDeployment, imageOverrideKustomization, LOCAL_OPERATOR_REPOSITORY, STANDALONE_OVERLAY } from "../src/operator/plan.js";
import { REPO_ROOT } from "./helpers/catalogFixture.js";

const KUSTOMIZE = join(REPO_ROOT, ".tools", "bin", "kustomize");
let root: string;

const build = (dir: string) => execFileSync(KUSTOMIZE, ["build", dir], { encoding: "utf8" });

beforeAll(() => {
  if (!existsSync(KUSTOMIZE)) throw new Error(`${KUSTOMIZE} not found: run scripts/install-tools.sh (bash .ci/run does)`);
  // The same layout the module mounts: the tree at /operator, the override at /e2e/operator-image.
  root = mkdtempSync(join(tmpdir(), "kustomize-"));
  cpSync(join(REPO_ROOT, "test", "fixtures", "operator-tree"), join(root, "operator"), { recursive: true });
  mkdirSync(join(root, "e2e", "operator-image"), { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the standalone overlay, built by kustomize", () => {
  it("yields the operator Deployment the module waits for", () => {
    expect(findOperatorDeployment(build(join(root, "operator", STANDALONE_OVERLAY)))).toEqual({
      namespace: "kubeflow",
      name: "training-operator",
      image: "ghcr.io/kubeflow/training-v1/training-operator:v1-3f15cb8",
    });
  });

  it("with the generated override, runs the locally built image and changes nothing else", () => {
    const overlay = build(join(root, "operator", STANDALONE_OVERLAY));
    const deployment = findOperatorDeployment(overlay);
    writeFileSync(
      join(root, "e2e", "operator-image", "kustomization.yaml"),
      imageOverrideKustomization(`../../operator/${STANDALONE_OVERLAY}`, deployment, { name: LOCAL_OPERATOR_REPOSITORY, tag: "src-0123456789abcdef" }),
    );
    const overridden = build(join(root, "e2e", "operator-image"));
    expect(findOperatorDeployment(overridden)).toEqual({ ...deployment, image: "docker.io/kubeflow-ci/training-operator:src-0123456789abcdef" });
    const kinds = (text: string) => parseAllDocuments(text).map((d) => `${d.get("kind")}/${(d.toJS() as any).metadata.name}`);
    expect(kinds(overridden)).toEqual(kinds(overlay));
  });
});
