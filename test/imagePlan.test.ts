import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadFramework } from "../src/catalog/loader.js";
import { buildPlan, layerCacheKeys, pipInstallArgs, type Layer } from "../src/catalog/plan.js";
import { imageReference, normalizeName, parsePinnedImage, tagProblem } from "../src/catalog/reference.js";
import { contentTag, resolveTag } from "../src/catalog/tag.js";
import { catalogFixture, type CatalogFixture } from "./helpers/catalogFixture.js";

let fx: CatalogFixture;
beforeEach(() => {
  fx = catalogFixture();
});
afterEach(() => fx.dispose());

const jax = () => loadFramework(fx.reader, "jax");
const tagAfter = async (change: () => void) => {
  const before = contentTag(await jax());
  change();
  return { before, after: contentTag(await jax()) };
};

describe("content tags", () => {
  it("are deterministic and well-formed", async () => {
    const a = contentTag(await jax());
    const b = contentTag(await jax());
    expect(a).toBe(b);
    expect(a).toMatch(/^c-[0-9a-f]{16}$/);
    expect(tagProblem(a)).toBeUndefined();
  });

  it.each<[string, (f: CatalogFixture) => void]>([
    ["the payload", (f) => f.write("frameworks/jax/payload/jax_e2e.py", f.read("frameworks/jax/payload/jax_e2e.py") + "\n# changed\n")],
    ["the requirements", (f) => f.write("frameworks/jax/requirements.txt", f.read("frameworks/jax/requirements.txt").replace("scipy==1.17.1", "scipy==1.17.0"))],
    ["a shared test tool", (f) => f.write("frameworks/_common/e2e_support.py", f.read("frameworks/_common/e2e_support.py") + "\n")],
    ["the base image", (f) => f.editYaml("frameworks/defaults.yaml", (d) => (d.baseImage = d.baseImage.replace(/@sha256:.{64}/, "@sha256:" + "b".repeat(64))))],
    ["the image command", (f) => f.editYaml("frameworks/jax/framework.yaml", (d) => d.image.command.push("--verbose"))],
    ["the shared environment", (f) => f.editYaml("frameworks/defaults.yaml", (d) => (d.env.EXTRA = "1"))],
    ["the summary (the description label)", (f) => f.editYaml("frameworks/jax/framework.yaml", (d) => (d.summary = "other words"))],
    ["a payload target", (f) => f.editYaml("frameworks/jax/framework.yaml", (d) => (d.image.payload[0].target = "/opt/other.py"))],
  ])("change when %s changes", async (_what, change) => {
    const { before, after } = await tagAfter(() => change(fx));
    expect(after).not.toBe(before);
  });

  it.each<[string, (f: CatalogFixture) => void]>([
    ["a file in the framework folder that the image does not use", (f) => f.write("frameworks/jax/NOTES.md", "notes")],
    ["the payload tests", (f) => f.write("frameworks/jax/tests/test_extra.py", "def test_x():\n    pass\n")],
    ["the job template", (f) => f.editYaml("frameworks/jax/jaxjob.yaml", (d) => (d.spec.jaxReplicaSpecs.Worker.replicas = 3))],
    ["the job resources and timeout", (f) => f.editYaml("frameworks/jax/framework.yaml", (d) => (d.job.timeoutSeconds = 600))],
    ["YAML formatting and comments", (f) => f.write("frameworks/jax/framework.yaml", "# comment\n" + f.read("frameworks/jax/framework.yaml"))],
  ])("stay when %s changes", async (_what, change) => {
    const { before, after } = await tagAfter(() => change(fx));
    expect(after).toBe(before);
  });
});

describe("--tag", () => {
  it("is used as given when valid", async () => {
    expect(resolveTag(await jax(), "pr-123")).toBe("pr-123");
    expect(buildPlan(await jax(), { tag: "pr-123" }).reference).toBe("docker.io/kubeflow-ci/jax-e2e:pr-123");
  });

  it("falls back to the content tag when empty", async () => {
    const entry = await jax();
    expect(resolveTag(entry, "")).toBe(contentTag(entry));
    expect(resolveTag(entry, undefined)).toBe(contentTag(entry));
  });

  it("refuses latest, naming the argument", async () => {
    const entry = await jax();
    expect(() => resolveTag(entry, "latest")).toThrow(/^--tag: "latest" is refused/);
  });

  it.each(["-dash-first", ".dot-first", "has space", "slash/in", "a".repeat(129), "colon:x"])("refuses %j", async (tag) => {
    const entry = await jax();
    expect(() => resolveTag(entry, tag)).toThrow(/^--tag: ".*" is not a valid OCI tag/);
  });

  it.each(["v1.2.3", "pr-123", "_underscore", "a".repeat(128), "sha-0123abcd", "Release_1.0"])("accepts %j", (tag) => {
    expect(tagProblem(tag)).toBeUndefined();
  });
});

describe("references", () => {
  it("normalise the way containerd names images", () => {
    expect(normalizeName("python")).toBe("docker.io/library/python");
    expect(normalizeName("kubeflow-ci/jax-e2e")).toBe("docker.io/kubeflow-ci/jax-e2e");
    expect(normalizeName("ghcr.io/kubeflow/x")).toBe("ghcr.io/kubeflow/x");
    expect(normalizeName("localhost:5000/x")).toBe("localhost:5000/x");
    expect(imageReference("kubeflow-ci/jax-e2e", "c-1")).toBe("docker.io/kubeflow-ci/jax-e2e:c-1");
  });

  it("parse pinned images", () => {
    const digest = "sha256:" + "0".repeat(64);
    expect(parsePinnedImage(`python:3.11-slim@${digest}`)).toEqual({
      name: "docker.io/library/python",
      tag: "3.11-slim",
      digest,
      ref: `docker.io/library/python:3.11-slim@${digest}`,
    });
    expect(parsePinnedImage(`python@${digest}`)).toMatch(/not a pinned image reference/);
    expect(parsePinnedImage("python:3.11")).toMatch(/not a pinned image reference/);
  });
});

describe("build plan", () => {
  const steps = (layers: Layer[]) => layers.map((l) => l.step);

  it("orders layers from most stable to most volatile", async () => {
    const plan = buildPlan(await jax());
    expect(steps(plan.layers)).toEqual(["base", "python-dependencies", "test-tools", "payload", "metadata"]);
  });

  it("adds the system packages layer right after the base when packages are declared", async () => {
    fx.editYaml("frameworks/jax/framework.yaml", (d) => (d.image.systemPackages = ["procps=2:4.0.2-3"]));
    const plan = buildPlan(await jax());
    expect(steps(plan.layers)).toEqual(["base", "system-packages", "python-dependencies", "test-tools", "payload", "metadata"]);
  });

  const keysAfter = async (change: () => void, options = {}) => {
    const before = layerCacheKeys(buildPlan(await jax(), options));
    change();
    const after = layerCacheKeys(buildPlan(await jax(), options));
    return before.map((b, i) => ({ step: b.step, reused: b.key === after[i]!.key }));
  };

  it("a payload change re-runs neither the base nor the dependency install", async () => {
    const reuse = await keysAfter(() => fx.write("frameworks/jax/payload/jax_e2e.py", "print('changed')\n"), { tag: "fixed" });
    expect(reuse).toEqual([
      { step: "base", reused: true },
      { step: "python-dependencies", reused: true },
      { step: "test-tools", reused: true },
      { step: "payload", reused: false },
      { step: "metadata", reused: false },
    ]);
  });

  it("a requirements change re-runs the install and everything above it", async () => {
    const reuse = await keysAfter(() => fx.write("frameworks/jax/requirements.txt", "jax==0.10.1\n"), { tag: "fixed" });
    expect(reuse.map((r) => r.reused)).toEqual([true, false, false, false, false]);
  });

  it("a different --tag or revision changes only the metadata", async () => {
    const entry = await jax();
    const a = layerCacheKeys(buildPlan(entry, { tag: "pr-1" }));
    const b = layerCacheKeys(buildPlan(entry, { tag: "pr-2", revision: "abc" }));
    expect(a.map((k, i) => k.key === b[i]!.key)).toEqual([true, true, true, true, false]);
  });

  it("labels the image with OCI annotations", async () => {
    const plan = buildPlan(await jax(), { tag: "pr-7", revision: "0123abc" });
    const metadata = plan.layers.at(-1)!;
    expect(metadata.step).toBe("metadata");
    if (metadata.step !== "metadata") return;
    expect(metadata.labels).toMatchObject({
      "org.opencontainers.image.version": "pr-7",
      "org.opencontainers.image.revision": "0123abc",
      "org.opencontainers.image.ref.name": "docker.io/kubeflow-ci/jax-e2e:pr-7",
    });
    expect(metadata.labels["org.opencontainers.image.base.digest"]).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(metadata.command).toEqual(["python", "/opt/e2e/jax_e2e.py"]);
  });

  it("installs exactly the pinned set, from wheels, with the framework's indexes", async () => {
    fx.editYaml("frameworks/jax/framework.yaml", (d) => {
      d.image.pipIndexUrl = "https://download.example.org/whl/cpu";
      d.image.pipExtraIndexUrls = ["https://pypi.example.org/simple"];
    });
    const layer = buildPlan(await jax()).layers.find((l) => l.step === "python-dependencies")!;
    if (layer.step !== "python-dependencies") throw new Error("no dependency layer");
    const args = pipInstallArgs(layer);
    expect(args).toContain("--no-deps");
    expect(args).toContain("--only-binary=:all:");
    expect(args.join(" ")).toContain("--index-url https://download.example.org/whl/cpu --extra-index-url https://pypi.example.org/simple");
  });
});
