import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CatalogError, CatalogErrors } from "../src/catalog/errors.js";
import { fsReader } from "../src/catalog/fsReader.js";
import { catalogListing, listFrameworks, loadCatalog, loadFramework, parseFrameworkList, resolveFrameworks, runsOn, type CatalogEntry } from "../src/catalog/loader.js";
import { renderJob } from "../src/jobs/manifest.js";
import { checkV1Jobs } from "../src/runInputs.js";
import { operatorNeeds } from "../src/catalog/operatorNeeds.js";
import { parseRequirements } from "../src/catalog/requirements.js";
import { catalogFixture, REPO_ROOT, type CatalogFixture } from "./helpers/catalogFixture.js";

describe("the real catalog", () => {
  const reader = fsReader(REPO_ROOT);

  it("validates every framework under frameworks/", async () => {
    const entries = await loadCatalog(reader);
    expect(entries.map((e) => e.name)).toEqual(await listFrameworks(reader));
    expect(entries.map((e) => e.name)).toContain("jax");
  });

  it("pins every base image by digest and every requirement exactly", async () => {
    for (const entry of await loadCatalog(reader)) {
      expect(entry.baseImage.ref).toMatch(/^[^@]+:[^@:]+@sha256:[a-f0-9]{64}$/);
      expect(entry.baseImage.tag).not.toBe("latest");
      expect(entry.requirements.pins.length).toBeGreaterThan(0);
      for (const pin of entry.requirements.pins) expect(pin.version).toMatch(/^[0-9][A-Za-z0-9.+!_-]*$/);
    }
  });

  it("loads the JAX entry with its job template", async () => {
    const jax = await loadFramework(reader, "jax");
    expect(jax.spec.job!.kind).toBe("JAXJob");
    expect(jax.job!.replicaSpecsField).toBe("jaxReplicaSpecs");
    expect(jax.job!.replicas).toEqual({ Worker: 2 });
    expect(jax.payload.map((f) => f.target)).toEqual(["/opt/e2e/jax_e2e.py"]);
    expect(jax.testTools.map((f) => f.path)).toEqual(["frameworks/_common/e2e_support.py"]);
  });

  it("never mentions latest anywhere in frameworks/", () => {
    const files = readdirSync(join(REPO_ROOT, "frameworks"), { recursive: true, encoding: "utf8" }).filter((f) => /\.(ya?ml|txt|py)$/.test(f));
    expect(files.length).toBeGreaterThan(3);
    const hits = files.filter((f) => /\blatest\b/i.test(readFileSync(join(REPO_ROOT, "frameworks", f), "utf8")));
    expect(hits).toEqual([]);
  });
});

describe("bad specs name the file and the field", () => {
  let fx: CatalogFixture;
  beforeEach(() => {
    fx = catalogFixture();
  });
  afterEach(() => fx.dispose());

  const SPEC = "frameworks/jax/framework.yaml";
  const load = () => loadFramework(fx.reader, "jax");

  async function expectCatalogError(file: string, field: string | undefined, detail: RegExp) {
    const error = await load().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CatalogError);
    const problem = error as CatalogError;
    expect(problem.file).toBe(file);
    if (field !== undefined) expect(problem.message).toContain(field);
    expect(problem.message).toMatch(detail);
    expect(problem.message.startsWith(file)).toBe(true);
  }

  it("missing field", async () => {
    fx.editYaml(SPEC, (d) => delete d.image.repository);
    await expectCatalogError(SPEC, "image.repository", /expected string/);
  });

  it("neither a v1 job nor a TrainJob", async () => {
    fx.editYaml(SPEC, (d) => {
      delete d.job;
      delete d.trainJob;
    });
    await expectCatalogError(SPEC, undefined, /needs job \(Training Operator v1\), trainJob \(Trainer v2\) or both/);
  });

  it("a TrainJob repeating what it shares with the v1 job", async () => {
    fx.editYaml(SPEC, (d) => (d.trainJob.timeoutSeconds = 120));
    await expectCatalogError(SPEC, "trainJob.timeoutSeconds", /the TrainJob shares job.timeoutSeconds; remove it here/);
  });

  it("a TrainJob alone without its resources", async () => {
    fx.editYaml(SPEC, (d) => {
      d.trainJob.timeoutSeconds = d.job.timeoutSeconds;
      delete d.job;
    });
    await expectCatalogError(SPEC, "trainJob.resources", /required without job/);
  });

  it("wrong type", async () => {
    fx.editYaml(SPEC, (d) => (d.job.timeoutSeconds = "five minutes"));
    await expectCatalogError(SPEC, "job.timeoutSeconds", /expected (int|number)/);
  });

  it("unknown key, listing the valid ones", async () => {
    fx.editYaml(SPEC, (d) => (d.image.pythonVersion = "3.12"));
    await expectCatalogError(SPEC, "image", /unknown field "pythonVersion"; valid fields: repository, baseImage/);
  });

  it("missing referenced file", async () => {
    fx.remove("frameworks/jax/payload/jax_e2e.py");
    await expectCatalogError(SPEC, "image.payload[0].source", /file "payload\/jax_e2e.py" not found in frameworks\/jax\//);
  });

  it("missing job template", async () => {
    fx.remove("frameworks/jax/jaxjob.yaml");
    await expectCatalogError(SPEC, "job.template", /not found/);
  });

  it("base image with a bad tag", async () => {
    fx.editYaml(SPEC, (d) => (d.image.baseImage = "python:-bad@sha256:" + "a".repeat(64)));
    await expectCatalogError(SPEC, "image.baseImage", /not a pinned image reference/);
  });

  it("base image tagged latest", async () => {
    fx.editYaml(SPEC, (d) => (d.image.baseImage = "python:latest@sha256:" + "a".repeat(64)));
    await expectCatalogError(SPEC, "image.baseImage", /uses the tag "latest"/);
  });

  it("base image without a digest", async () => {
    fx.editYaml("frameworks/defaults.yaml", (d) => (d.baseImage = "python:3.11-slim"));
    const error = await load().catch((e: unknown) => e);
    expect(String(error)).toMatch(/^CatalogError: frameworks\/defaults.yaml: baseImage: "python:3.11-slim" is not a pinned image reference/);
  });

  it("repository with a tag", async () => {
    fx.editYaml(SPEC, (d) => (d.image.repository = "kubeflow-ci/jax-e2e:latest"));
    await expectCatalogError(SPEC, "image.repository", /without tag or digest/);
  });

  it("unpinned requirement, naming the line", async () => {
    fx.write("frameworks/jax/requirements.txt", "jax==0.10.2\njaxlib>=0.10\n");
    await expectCatalogError("frameworks/jax/requirements.txt", undefined, /line 2: "jaxlib>=0.10" is not pinned/);
  });

  it("unpinned system package", async () => {
    fx.editYaml(SPEC, (d) => (d.image.systemPackages = ["procps"]));
    await expectCatalogError(SPEC, "image.systemPackages.0", /"procps" is not pinned: write name=version/);
  });

  it("job template of another kind", async () => {
    fx.editYaml("frameworks/jax/jaxjob.yaml", (d) => (d.kind = "PyTorchJob"));
    await expectCatalogError("frameworks/jax/jaxjob.yaml", "kind", /must be "JAXJob"/);
  });

  it("job template without the framework container", async () => {
    fx.editYaml("frameworks/jax/jaxjob.yaml", (d) => (d.spec.jaxReplicaSpecs.Worker.template.spec.containers[0].name = "main"));
    await expectCatalogError("frameworks/jax/jaxjob.yaml", "spec.jaxReplicaSpecs.Worker.template.spec.containers", /no container named "jax"/);
  });

  it("job template that hard-codes the image", async () => {
    fx.editYaml("frameworks/jax/jaxjob.yaml", (d) => (d.spec.jaxReplicaSpecs.Worker.template.spec.containers[0].image = "x:1"));
    await expectCatalogError("frameworks/jax/jaxjob.yaml", "containers[jax].image", /set by the module/);
  });

  it("job template that sets the pull policy (the module sets Never: every image is loaded)", async () => {
    fx.editYaml("frameworks/jax/jaxjob.yaml", (d) => (d.spec.jaxReplicaSpecs.Worker.template.spec.containers[0].imagePullPolicy = "IfNotPresent"));
    await expectCatalogError("frameworks/jax/jaxjob.yaml", "containers[jax].imagePullPolicy", /set by the module/);
  });

  it("invalid YAML, naming the line", async () => {
    fx.write(SPEC, fx.read(SPEC) + "\n  broken: [\n");
    await expectCatalogError(SPEC, "line", /invalid YAML/);
  });

  it("a folder without framework.yaml", async () => {
    fx.remove(SPEC);
    await expectCatalogError(SPEC, undefined, /file not found/);
  });

  it("unknown framework, listing the available ones", async () => {
    await expect(loadFramework(fx.reader, "caffe")).rejects.toThrow(/^--framework: unknown framework "caffe"; available: jax/);
  });

  it("reports every broken framework at once", async () => {
    fx.editYaml(SPEC, (d) => delete d.summary);
    await expect(loadCatalog(fx.reader)).rejects.toBeInstanceOf(CatalogErrors);
    await expect(loadCatalog(fx.reader)).rejects.toThrow(/frameworks\/jax\/framework.yaml: summary/);
  });

  it("skips helper folders that start with an underscore", async () => {
    expect(await listFrameworks(fx.reader)).not.toContain("_common");
  });
});

describe("requirements", () => {
  it("accepts exact pins with extras, markers and comments", () => {
    const { requirements, problems } = parseRequirements("# c\njax[cpu]==0.10.2 ; python_version >= '3.10'  # why\n\nNumPy==2.4.6\n");
    expect(problems).toEqual([]);
    expect(requirements.map((r) => `${r.name}@${r.version}`)).toEqual(["jax@0.10.2", "numpy@2.4.6"]);
  });

  it.each([
    ["jax", /not pinned/],
    ["jax>=0.4", /not pinned/],
    ["jax~=0.4.0", /not pinned/],
    ["jax==0.4.*", /not pinned/],
    ["--extra-index-url https://example.org", /pip options are not allowed/],
    ["", /no requirements/],
    ["a==1\nA==2", /already pinned on line 1/],
  ])("refuses %j", (text, message) => {
    expect(parseRequirements(text).problems.join("\n")).toMatch(message);
  });
});

describe("a framework with a TrainJob only (a Trainer v2 runtime)", () => {
  let fx: CatalogFixture;
  beforeEach(() => {
    fx = catalogFixture();
    fx.editYaml("frameworks/jax/framework.yaml", (d) => {
      d.trainJob = { ...d.trainJob, resources: d.job.resources, timeoutSeconds: d.job.timeoutSeconds };
      delete d.job;
    });
  });
  afterEach(() => fx.dispose());

  it("loads with the TrainJob's resources and time limit, and runs on v2 only", async () => {
    const jax = await loadFramework(fx.reader, "jax");
    expect(jax.job).toBeUndefined();
    expect(jax.resources.limits.memory).toBe("512Mi");
    expect(jax.timeoutSeconds).toBe(300);
    expect([runsOn(jax, "v1"), runsOn(jax, "v2")]).toEqual([false, true]);
    expect(catalogListing([jax])).toMatch(/^jax\t-\tjax-distributed\t/);
    expect(() => renderJob(jax, "docker.io/kubeflow-ci/jax-e2e:t")).toThrow(/frameworks\/jax\/framework.yaml has no job: jax cannot run on Training Operator v1/);
  });

  it("is left out of all on v1 and refused by name there", async () => {
    expect(await resolveFrameworks(fx.reader, "all", "v1")).not.toContain("jax");
    expect(await resolveFrameworks(fx.reader, "all", "v2")).toContain("jax");
    expect(() => checkV1Jobs([loadedJax!])).toThrow(/^--framework: jax cannot run on --operator v1: frameworks\/jax\/framework.yaml has no job$/);
  });

  let loadedJax: CatalogEntry | undefined;
  beforeEach(async () => {
    loadedJax = await loadFramework(fx.reader, "jax");
  });
});

describe("--framework lists", () => {
  const reader = fsReader(REPO_ROOT);

  it("accept all, meaning every entry the operator line runs (v1 by default)", async () => {
    expect(await listFrameworks(reader)).toEqual(["jax", "mlx", "mpi", "paddle", "pytorch", "tensorflow", "xgboost"]);
    // On v1 (the default line), every entry with a v1 job: mlx is a Trainer v2 runtime only.
    expect(await resolveFrameworks(reader, "all")).toEqual(["jax", "mpi", "paddle", "pytorch", "tensorflow", "xgboost"]);
  });

  it("accept all on Trainer v2, meaning every entry with a trainJob", async () => {
    const v2 = await resolveFrameworks(reader, "all", "v2");
    expect(v2).toEqual(["jax", "mlx", "pytorch", "xgboost"]);
    expect(v2).not.toContain("tensorflow"); // Trainer v2.3.0 has no TensorFlow runtime
    expect(v2).not.toContain("mpi"); // its MPI runtimes run their own frameworks' payloads (mlx)
  });

  it("keep the order given", async () => {
    expect(await resolveFrameworks(reader, "xgboost,jax")).toEqual(["xgboost", "jax"]);
  });

  it("name every unknown entry", async () => {
    await expect(resolveFrameworks(reader, "jax,tf,caffe")).rejects.toThrow(/^--framework: unknown frameworks "tf", "caffe"; available: jax, mlx, mpi, paddle, pytorch, tensorflow, xgboost, or "all"$/);
  });

  it("splits, trims and de-duplicates", () => {
    expect(parseFrameworkList(" jax, pytorch,jax ")).toEqual(["jax", "pytorch"]);
  });
  it("refuses an empty list", () => {
    expect(() => parseFrameworkList(" , ")).toThrow(/^--framework: empty/);
  });
});

describe("operator needs", () => {
  let fx: CatalogFixture;
  beforeEach(() => {
    fx = catalogFixture();
  });
  afterEach(() => fx.dispose());

  it("merge the frameworks' flags and images", async () => {
    const entries = await loadCatalog(fx.reader);
    const needs = operatorNeeds(entries);
    expect(needs.flags).toEqual([
      "--mpi-kubectl-delivery-image=docker.io/kubeflow-ci/mpi-kubectl-delivery:node-kubectl",
      "--pytorch-init-container-image=docker.io/kubeflow-ci/pytorch-init:3.22.6",
    ]);
    const alpine = expect.stringMatching(/^docker.io\/library\/alpine:3\.22\.6@sha256:[a-f0-9]{64}$/);
    expect(needs.images.map((i) => [i.reference, i.from.ref, i.kubectl, i.command])).toEqual([
      ["docker.io/kubeflow-ci/mpi-kubectl-delivery:node-kubectl", alpine, "/usr/local/bin/kubectl", ["/usr/local/bin/deliver-kubectl"]],
      ["docker.io/kubeflow-ci/pytorch-init:3.22.6", alpine, undefined, undefined],
    ]);
    expect(operatorNeeds(entries.filter((e) => e.name === "jax"))).toEqual({ flags: [], images: [] });
  });

  it("refuse two frameworks setting one flag differently, naming both files", async () => {
    fx.editYaml("frameworks/jax/framework.yaml", (d) => (d.operator = { flags: ["--pytorch-init-container-image=docker.io/x/y:1"] }));
    const entries = await loadCatalog(fx.reader);
    expect(() => operatorNeeds(entries)).toThrow(
      /^frameworks\/pytorch\/framework.yaml: operator.flags: --pytorch-init-container-image=docker.io\/kubeflow-ci\/pytorch-init:3.22.6 conflicts with --pytorch-init-container-image=docker.io\/x\/y:1 from frameworks\/jax\/framework.yaml/,
    );
  });

  it.each<[string, unknown, RegExp]>([
    ["a flag without a value", { flags: ["--verbose"] }, /operator.flags.0: must be --flag=value/],
    ["an image tagged latest", { images: [{ reference: "docker.io/x/y:latest", from: "alpine:3.22.6@sha256:" + "a".repeat(64) }] }, /operator.images.0.reference: "latest" is refused/],
    ["an unpinned base", { images: [{ reference: "docker.io/x/y:1", from: "alpine:3.22" }] }, /operator.images.0.from: "alpine:3.22" is not a pinned image reference/],
    ["an unknown field", { args: [] }, /operator: unknown field "args"; valid fields: flags, images/],
    [
      "a missing image file",
      { images: [{ reference: "docker.io/x/y:1", from: "alpine:3.22.6@sha256:" + "a".repeat(64), files: [{ source: "nope.sh", target: "/usr/local/bin/x" }] }] },
      /operator.images\[0\].files\[0\].source: file "nope.sh" not found in frameworks\/pytorch\//,
    ],
  ])("refuse %s, naming the field", async (_what, operator, message) => {
    fx.editYaml("frameworks/pytorch/framework.yaml", (d) => (d.operator = operator));
    await expect(loadFramework(fx.reader, "pytorch")).rejects.toThrow(message);
  });
});
