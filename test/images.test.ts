// The Dagger wiring of the image build, recorded call by call: which builder step reads
// which source file, in which order. Nothing runs; every Dagger value stays lazy.
import { beforeAll, describe, expect, it } from "vitest";
import type { Container, Directory, File } from "@dagger.io/dagger";
import { fsReader } from "../src/catalog/fsReader.js";
import { loadFramework } from "../src/catalog/loader.js";
import { buildPlan, REQUIREMENTS_MOUNT } from "../src/catalog/plan.js";
import { operatorNeeds } from "../src/catalog/operatorNeeds.js";
import { buildImage, operatorImage } from "../src/images.js";
import { parseMirrorFile, PYPI_INDEX } from "../src/versions/mirrors.js";
import { REPO_ROOT } from "./helpers/catalogFixture.js";

type Call = { method: string; args: unknown[] };

/** A stand-in that records every method called on it and returns itself, like a Container chain. */
function recorder(calls: Call[]): Container {
  const proxy: unknown = new Proxy(
    {},
    {
      get: (_target, method) => (...args: unknown[]) => {
        calls.push({ method: String(method), args });
        return proxy;
      },
    },
  );
  return proxy as Container;
}

/** A source Directory whose files are just their paths. */
const source = { file: (path: string) => ({ sourceFile: path }) } as unknown as Directory;
const fileArgs = (call: Call) => call.args.filter((a): a is { sourceFile: string } => typeof a === "object" && a !== null && "sourceFile" in a).map((a) => a.sourceFile);

let calls: Call[];
beforeAll(async () => {
  const jax = await loadFramework(fsReader(REPO_ROOT), "jax");
  calls = [];
  buildImage(source, buildPlan(jax, { tag: "t", revision: "abc" }), recorder(calls));
});

describe("buildImage", () => {
  it("starts from the digest-pinned base", () => {
    expect(calls[0]!.method).toBe("from");
    expect(calls[0]!.args[0]).toMatch(/^docker.io\/library\/python:3\.11\.16-slim-bookworm@sha256:[a-f0-9]{64}$/);
  });

  it("installs the dependencies with only the requirements file mounted, from a pip cache volume", () => {
    const install = calls.findIndex((c) => c.method === "withExec" && (c.args[0] as string[]).includes("install"));
    const before = calls.slice(0, install);
    expect(before.flatMap(fileArgs)).toEqual(["frameworks/jax/requirements.txt"]);
    expect(before.find((c) => c.method === "withMountedFile")!.args[0]).toBe(REQUIREMENTS_MOUNT);
    expect(before.some((c) => c.method === "withMountedCache" && c.args[0] === "/root/.cache/pip")).toBe(true);
    expect(calls[install + 1]).toEqual({ method: "withExec", args: [["python", "-m", "pip", "check"]] });
  });

  it("adds test tools, then the payload, after the install and leaves no mount behind", () => {
    const install = calls.findIndex((c) => c.method === "withExec" && (c.args[0] as string[]).includes("install"));
    const files = calls.filter((c) => c.method === "withFile").map((c) => [c.args[0], ...fileArgs(c)]);
    expect(files).toEqual([
      ["/opt/e2e/e2e_support.py", "frameworks/_common/e2e_support.py"],
      ["/opt/e2e/jax_e2e.py", "frameworks/jax/payload/jax_e2e.py"],
    ]);
    expect(calls.findIndex((c) => c.method === "withFile")).toBeGreaterThan(install);
    const mounted = calls.filter((c) => c.method.startsWith("withMounted")).map((c) => c.args[0]);
    const unmounted = calls.filter((c) => c.method === "withoutMount").map((c) => c.args[0]);
    expect(unmounted.sort()).toEqual(mounted.sort());
  });

  it("ends with the metadata: environment, labels, workdir and the payload as default command", () => {
    const lastFile = calls.map((c) => c.method).lastIndexOf("withFile");
    const tail = calls.slice(lastFile + 1);
    expect(tail.map((c) => c.method).every((m) => ["withEnvVariable", "withLabel", "withWorkdir", "withDefaultArgs"].includes(m))).toBe(true);
    expect(tail.find((c) => c.method === "withLabel" && c.args[0] === "org.opencontainers.image.revision")!.args[1]).toBe("abc");
    expect(tail.at(-1)).toEqual({ method: "withDefaultArgs", args: [["python", "/opt/e2e/jax_e2e.py"]] });
  });
});

/** Stands for the tools container's kubectl File: operatorImage only passes it on. */
const RUN_KUBECTL = { file: "the run's kubectl" } as unknown as File;

describe("operatorImage (the PyTorchJob init container's image)", () => {
  it("adds the framework's nslookup, executable, on top of the digest-pinned alpine", async () => {
    const pytorch = await loadFramework(fsReader(REPO_ROOT), "pytorch");
    const [image] = operatorNeeds([pytorch]).images;
    const recorded: Call[] = [];
    operatorImage(source, image!, RUN_KUBECTL, recorder(recorded));
    expect(recorded.map((c) => c.method)).toEqual(["from", "withFile"]);
    expect(recorded[0]!.args[0]).toBe("docker.io/library/alpine:3.22.6@sha256:5291449c3df73caf6ed85e649dec1b9e818b39a5d8c871e97afc13e9cd5e8fa8");
    expect(recorded[1]!.args[0]).toBe("/usr/local/bin/nslookup");
    expect(fileArgs(recorded[1]!)).toEqual(["frameworks/pytorch/operator/nslookup"]);
    expect(recorded[1]!.args[2]).toEqual({ permissions: 0o755 });
  });
});

describe("operatorImage (the MPIJob launcher's kubectl delivery)", () => {
  it("puts the run's own kubectl and the delivery script on the pinned alpine, with the script as its command", async () => {
    const mpi = await loadFramework(fsReader(REPO_ROOT), "mpi");
    const needs = operatorNeeds([mpi]);
    expect(needs.flags).toEqual(["--mpi-kubectl-delivery-image=docker.io/kubeflow-ci/mpi-kubectl-delivery:node-kubectl"]);
    const recorded: Call[] = [];
    operatorImage(source, needs.images[0]!, RUN_KUBECTL, recorder(recorded));
    expect(recorded.map((c) => c.method)).toEqual(["from", "withFile", "withFile", "withDefaultArgs"]);
    expect(recorded[0]!.args[0]).toMatch(/^docker\.io\/library\/alpine:3\.22\.6@sha256:[0-9a-f]{64}$/);
    expect(fileArgs(recorded[1]!)).toEqual(["frameworks/mpi/operator/deliver-kubectl"]);
    expect(recorded[2]!.args).toEqual(["/usr/local/bin/kubectl", RUN_KUBECTL, { permissions: 0o755 }]);
    expect(recorded[3]!.args[0]).toEqual(["/usr/local/bin/deliver-kubectl"]);
  });
});

describe("with a mirror file", () => {
  const MIRROR = `registry.internal:5000/python@sha256:${"c".repeat(64)}`;
  let mirrored: Call[];
  let plain: Call[];
  beforeAll(async () => {
    const pytorch = await loadFramework(fsReader(REPO_ROOT), "pytorch");
    const plan = buildPlan(pytorch, { tag: "t" });
    const base = plan.layers.find((l) => l.step === "base")!;
    const mirrors = parseMirrorFile(
      `images:\n  "${base.step === "base" ? base.image.ref : ""}": ${MIRROR}\npipIndexes:\n  ${PYPI_INDEX}: http://pypi.internal/simple\n  https://download.pytorch.org/whl/cpu: http://pypi.internal/torch-cpu\n`,
    );
    mirrored = [];
    buildImage(source, plan, recorder(mirrored), mirrors);
    plain = [];
    buildImage(source, plan, recorder(plain));
  });

  it("takes the base from its mirror and installs from the mirrored indexes, PyPI's included", () => {
    expect(mirrored[0]).toEqual({ method: "from", args: [MIRROR] });
    const install = mirrored.find((c) => c.method === "withExec" && (c.args[0] as string[]).includes("install"))!.args[0] as string[];
    expect(install.join(" ")).toContain("--index-url http://pypi.internal/torch-cpu --extra-index-url http://pypi.internal/simple");
    expect(install.join(" ")).not.toMatch(/pypi\.org|download\.pytorch\.org/);
  });

  it("changes nothing else: the same steps, files and labels as without it", () => {
    const rest = (calls: Call[]) => calls.filter((c) => c.method !== "from" && !(c.method === "withExec" && (c.args[0] as string[]).includes("install")));
    expect(JSON.stringify(rest(mirrored))).toBe(JSON.stringify(rest(plain)));
  });
});
