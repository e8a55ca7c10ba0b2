// The operator overlay logic against real kustomize (the engine kubectl -k embeds), over a
// trimmed operator tree in the release-1.9 shape (test/fixtures/operator-tree).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { findOperatorDeployment, LOCAL_OPERATOR_REPOSITORY, operatorKustomization, STANDALONE_OVERLAY } from "../src/operator/plan.js";
import { REPO_ROOT } from "./helpers/catalogFixture.js";

const KUSTOMIZE = join(REPO_ROOT, ".tools", "bin", "kustomize");
let root: string;

const build = (dir: string) => execFileSync(KUSTOMIZE, ["build", dir], { encoding: "utf8" });

beforeAll(() => {
  if (!existsSync(KUSTOMIZE)) throw new Error(`${KUSTOMIZE} not found: run scripts/install-tools.sh (bash .ci/run does)`);
  // The same layout the module mounts: the tree at /operator, the generated kustomization at /e2e/operator.
  root = mkdtempSync(join(tmpdir(), "kustomize-"));
  cpSync(join(REPO_ROOT, "test", "fixtures", "operator-tree"), join(root, "operator"), { recursive: true });
  mkdirSync(join(root, "e2e", "operator"), { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the standalone overlay, built by kustomize", () => {
  it("yields the operator Deployment the module waits for", () => {
    expect(findOperatorDeployment(build(join(root, "operator", STANDALONE_OVERLAY)))).toEqual({
      namespace: "kubeflow",
      name: "training-operator",
      image: "ghcr.io/kubeflow/training-v1/training-operator:v1-93c5489",
      command: ["/manager"],
      selector: "control-plane=kubeflow-training-operator",
      cpuMillis: 0,
    });
  });

  const generate = (changes: Parameters<typeof operatorKustomization>[2]) => {
    const overlay = build(join(root, "operator", STANDALONE_OVERLAY));
    const deployment = findOperatorDeployment(overlay);
    writeFileSync(
      join(root, "e2e", "operator", "kustomization.yaml"),
      operatorKustomization(`../../operator/${STANDALONE_OVERLAY}`, deployment, changes)!,
    );
    return { overlay, deployment, generated: build(join(root, "e2e", "operator")) };
  };
  const kinds = (text: string) => parseAllDocuments(text).map((d) => `${d.get("kind")}/${(d.toJS() as any).metadata.name}`);
  const FLAG = "--pytorch-init-container-image=docker.io/kubeflow-ci/pytorch-init:3.22.6";

  /** The operator container's imagePullPolicy as rendered. */
  const pullPolicy = (text: string) =>
    parseAllDocuments(text).map((d) => d.toJS() as any).find((d) => d.kind === "Deployment").spec.template.spec.containers[0].imagePullPolicy;

  it("with a built image, runs that image, never pulled, and changes nothing else", () => {
    const { overlay, deployment, generated } = generate({ image: { name: LOCAL_OPERATOR_REPOSITORY, tag: "src-0123456789abcdef" }, flags: [] });
    expect(findOperatorDeployment(generated)).toEqual({ ...deployment, image: "docker.io/kubeflow-ci/training-operator:src-0123456789abcdef" });
    expect(pullPolicy(overlay)).toBeUndefined();
    expect(pullPolicy(generated)).toBe("Never");
    expect(kinds(generated)).toEqual(kinds(overlay));
  });

  it("with the frameworks' flags, appends them to the operator's command", () => {
    const { deployment, generated } = generate({ flags: [FLAG, "--zap-log-level=2"] });
    expect(findOperatorDeployment(generated)).toEqual({ ...deployment, command: ["/manager", FLAG, "--zap-log-level=2"] });
  });

  it("with both, does both", () => {
    const { generated } = generate({ image: { name: LOCAL_OPERATOR_REPOSITORY, tag: "t1" }, flags: [FLAG] });
    expect(findOperatorDeployment(generated)).toMatchObject({ image: "docker.io/kubeflow-ci/training-operator:t1", command: ["/manager", FLAG] });
    expect(pullPolicy(generated)).toBe("Never");
  });

  it("with flags only, leaves the released image's pull policy alone", () => {
    expect(pullPolicy(generate({ flags: [FLAG] }).generated)).toBeUndefined();
  });
});
