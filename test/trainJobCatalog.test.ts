// The catalog's Trainer v2 side: each framework's TrainJob template, checked with errors that
// name the file and field, and the --operator argument.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadFramework } from "../src/catalog/loader.js";
import { parseOperatorLine } from "../src/versions/lines.js";
import { trainerRuntimes } from "../src/runInputs.js";
import { catalogFixture, type CatalogFixture } from "./helpers/catalogFixture.js";

const TEMPLATE = "frameworks/pytorch/trainjob.yaml";
let fx: CatalogFixture;
beforeEach(() => {
  fx = catalogFixture();
});
afterEach(() => fx.dispose());

const load = () => loadFramework(fx.reader, "pytorch");

describe("a framework's TrainJob template", () => {
  it("is read with its runtime and node count", async () => {
    const entry = await load();
    expect(entry.trainJob).toMatchObject({ file: TEMPLATE, runtime: "torch-distributed", numNodes: 2 });
    expect((entry.trainJob!.manifest as any).spec.trainer.numProcPerNode).toBe(1);
  });

  it.each([
    [(d: any) => (d.metadata.name = "a".repeat(49)), "metadata.name", /has 49 characters; JobSet's pod names allow at most 48/],
    [(d: any) => (d.metadata.name = "Torch_job"), "metadata.name", /not an RFC 1035 label/],
    [(d: any) => delete d.spec.runtimeRef, "spec.runtimeRef.name", /missing: the built-in ClusterTrainingRuntime/],
    [(d: any) => (d.spec.runtimeRef.kind = "TrainingRuntime"), "spec.runtimeRef.kind", /must be ClusterTrainingRuntime/],
    [(d: any) => (d.spec.trainer.numNodes = 11), "spec.trainer.numNodes", /from 1 to 10, found 11/],
    [(d: any) => (d.spec.trainer.image = "x"), "spec.trainer.image", /is set by the module/],
    [(d: any) => (d.spec.trainer.resourcesPerNode = {}), "spec.trainer.resourcesPerNode", /is set by the module/],
    [(d: any) => (d.kind = "PyTorchJob"), "kind", /must be "TrainJob"/],
    [(d: any) => (d.spec.trainer.numProcPerNode = "auto"), "spec.trainer.numProcPerNode", /whole number of at least 1 .*found "auto"/],
    [(d: any) => d.spec.trainer.env.push({ name: "PET_NNODES", value: "3" }), "spec.trainer.env[2].name", /PET_NNODES is set by the runtime/],
  ])("refuses a broken template, naming the file and field (%#)", async (change, field, message) => {
    fx.editYaml(TEMPLATE, change);
    const error = await load().catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`${TEMPLATE}: ${field}: `);
    expect((error as Error).message).toMatch(message);
  });

  it("is optional: a framework without one cannot run on v2, and the error names it", async () => {
    fx.editYaml("frameworks/pytorch/framework.yaml", (d) => delete d.trainJob);
    const entry = await load();
    expect(entry.trainJob).toBeUndefined();
    expect(() => trainerRuntimes([entry])).toThrow("--framework: pytorch cannot run on --operator v2: frameworks/pytorch/framework.yaml has no trainJob");
  });
});

describe("--operator", () => {
  it("is v1 by default, or v2; anything else names both", () => {
    expect(parseOperatorLine("")).toBe("v1");
    expect(parseOperatorLine(undefined)).toBe("v1");
    expect(parseOperatorLine("v2")).toBe("v2");
    expect(() => parseOperatorLine("2")).toThrow('--operator: "2" is not an operator line: use v1 (Training Operator v1.9.4, JAXJob, MPIJob, PaddleJob, PyTorchJob, TFJob, XGBoostJob) or v2 (Kubeflow Trainer v2.3.0, TrainJob)');
  });
});
