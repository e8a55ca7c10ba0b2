import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { findOperatorDeployment, imageName, movingImageProblem, operatorImageTag, operatorKustomization, operatorSourceProblem, type OperatorDeployment } from "../src/operator/plan.js";
import { trainerSourceProblem } from "../src/operator/trainer.js";
import { fixture } from "./helpers/fixtures.js";

describe("--operator-source", () => {
  it("is refused without the standalone overlay, saying what to pass", () => {
    const problem = operatorSourceProblem({ overlay: false, dockerfile: true }, false);
    expect(problem?.message).toMatch(/^--operator-source: manifests\/overlays\/standalone\/kustomization.yaml not found: pass a Training Operator v1 checkout/);
  });

  it("points a Trainer v2 tree to --operator v2", () => {
    expect(operatorSourceProblem({ overlay: false, dockerfile: false, v2Overlay: true }, false)?.message).toMatch(/this looks like a Kubeflow Trainer v2 tree: add --operator v2$/);
  });

  it("needs the Dockerfile only with --build-operator", () => {
    expect(operatorSourceProblem({ overlay: true, dockerfile: false }, false)).toBeUndefined();
    expect(operatorSourceProblem({ overlay: true, dockerfile: false }, true)?.message).toMatch(
      /^--operator-source: build\/images\/training-operator\/Dockerfile not found, so --build-operator cannot build/,
    );
  });
});

describe("--operator-source with --operator v2", () => {
  const v2Tree = { manager: true, runtimes: true, jobset: true, dockerfile: true, v1Overlay: false };

  it("takes a Trainer v2 tree", () => {
    expect(trainerSourceProblem(v2Tree, true)).toBeUndefined();
  });

  it("refuses a v1 tree, naming what is missing and the --operator it needs", () => {
    const problem = trainerSourceProblem({ manager: false, runtimes: false, jobset: false, dockerfile: false, v1Overlay: true }, false);
    expect(problem?.message).toBe(
      "--operator-source: manifests/overlays/manager/kustomization.yaml, manifests/base/runtimes/kustomization.yaml, manifests/third-party/jobset/kustomization.yaml not found: pass a Kubeflow Trainer v2 checkout (kubeflow/trainer, v2.x, e.g. --operator-source=.); this looks like a Training Operator v1 tree: use --operator v1",
    );
  });

  it("needs the controller's Dockerfile only with --build-operator", () => {
    expect(trainerSourceProblem({ ...v2Tree, dockerfile: false }, false)).toBeUndefined();
    expect(trainerSourceProblem({ ...v2Tree, dockerfile: false }, true)?.message).toMatch(/^--operator-source: cmd\/trainer-controller-manager\/Dockerfile not found, so --build-operator cannot build/);
  });
});

describe("operator deployment", () => {
  it("is found in the rendered standalone overlay", () => {
    expect(findOperatorDeployment(fixture("standalone-rendered.yaml"))).toEqual({
      namespace: "kubeflow",
      name: "training-operator",
      image: "ghcr.io/kubeflow/training-v1/training-operator:v1-93c5489",
      command: ["/manager"],
      selector: "control-plane=kubeflow-training-operator",
      cpuMillis: 0,
    });
  });

  it("is an error to be missing", () => {
    expect(() => findOperatorDeployment("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kubeflow\n")).toThrow(/no operator Deployment with an image \(found 0 Deployment\(s\): none\)/);
  });
});

describe("image override", () => {
  it("strips tags and digests the way kustomize matches names", () => {
    expect(imageName("ghcr.io/kubeflow/training-v1/training-operator:v1-93c5489")).toBe("ghcr.io/kubeflow/training-v1/training-operator");
    expect(imageName("localhost:5000/op@sha256:" + "a".repeat(64))).toBe("localhost:5000/op");
    expect(imageName("localhost:5000/op:1")).toBe("localhost:5000/op");
    expect(imageName("kubeflow/training-operator")).toBe("kubeflow/training-operator");
  });

  it("tags a built operator by its source digest", () => {
    expect(operatorImageTag("sha256:" + "0123456789abcdef".repeat(4))).toBe("src-0123456789abcdef");
    expect(() => operatorImageTag("not-a-digest")).toThrow(/not a sha256 digest/);
  });

  const deployment = () => findOperatorDeployment(fixture("standalone-rendered.yaml"));
  const OVERLAY = "../../operator/manifests/overlays/standalone";
  const IMAGE = { name: "docker.io/kubeflow-ci/training-operator", tag: "src-0123456789abcdef" };
  const FLAG = "--pytorch-init-container-image=docker.io/kubeflow-ci/pytorch-init:3.22.6";

  it("is not generated when nothing changes", () => {
    expect(operatorKustomization(OVERLAY, deployment(), { flags: [] })).toBeUndefined();
  });

  it("swaps the image, layered on the overlay without editing it", () => {
    expect(parse(operatorKustomization(OVERLAY, deployment(), { image: IMAGE, flags: [] })!)).toEqual({
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: [OVERLAY],
      images: [{ name: "ghcr.io/kubeflow/training-v1/training-operator", newName: IMAGE.name, newTag: IMAGE.tag }],
      // The built image is on the nodes only: never pulled.
      patches: [{ target: { kind: "Deployment", name: "training-operator" }, patch: JSON.stringify([{ op: "add", path: "/spec/template/spec/containers/0/imagePullPolicy", value: "Never" }]) }],
    });
  });

  it("appends the frameworks' flags to the operator's command", () => {
    const kustomization = parse(operatorKustomization(OVERLAY, deployment(), { flags: [FLAG] })!);
    expect(kustomization.images).toBeUndefined();
    expect(kustomization.patches).toHaveLength(1);
    expect(kustomization.patches[0].target).toEqual({ kind: "Deployment", name: "training-operator" });
    expect(JSON.parse(kustomization.patches[0].patch)).toEqual([{ op: "add", path: "/spec/template/spec/containers/0/command/-", value: FLAG }]);
  });

  it("refuses flags when the operator container has no command to append to", () => {
    expect(() => operatorKustomization(OVERLAY, { ...deployment(), command: [] }, { flags: [FLAG] })).toThrow(/has no command to append them to/);
  });
});

describe("an operator image that names no release", () => {
  const deployment = (name: string, image: string): OperatorDeployment => ({ namespace: "kubeflow-system", name, image, command: [], selector: "", cpuMillis: 0 });
  const trainer = (image: string) => [deployment("kubeflow-trainer-controller-manager", image), deployment("jobset-controller-manager", "registry.k8s.io/jobset/jobset:v0.12.0")];

  it("is refused for the controller, saying to build it from the tree (Trainer's master overlays use newTag: latest)", () => {
    expect(movingImageProblem(trainer("ghcr.io/kubeflow/trainer/trainer-controller-manager:latest"), false)).toBe(
      'Deployment kubeflow-system/kubeflow-trainer-controller-manager runs ghcr.io/kubeflow/trainer/trainer-controller-manager:latest, the moving tag "latest", which names no release: add --build-operator to build and run this tree\'s own controller, or give the image a released tag in the overlay',
    );
    expect(movingImageProblem(trainer("ghcr.io/kubeflow/trainer/trainer-controller-manager"), false)).toMatch(/, no tag, which names no release: add --build-operator/);
  });

  it("is taken when --build-operator replaces it, or when it names a release or a digest", () => {
    expect(movingImageProblem(trainer("ghcr.io/kubeflow/trainer/trainer-controller-manager:latest"), true)).toBeUndefined();
    expect(movingImageProblem(trainer("ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.3.0"), false)).toBeUndefined();
    expect(movingImageProblem(trainer("localhost:5000/trainer@sha256:" + "a".repeat(64)), false)).toBeUndefined();
  });

  it("is refused for another Deployment even with --build-operator, which builds only the controller", () => {
    const both = [deployment("kubeflow-trainer-controller-manager", "x:latest"), deployment("jobset-controller-manager", "registry.k8s.io/jobset/jobset:latest")];
    expect(movingImageProblem(both, true)).toMatch(/^Deployment kubeflow-system\/jobset-controller-manager runs registry.k8s.io\/jobset\/jobset:latest, .*: give it a released tag in the overlay$/);
  });
});
