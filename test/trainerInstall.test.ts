// Trainer v2's install plan against real kustomize over the real upstream trees: kubeflow/trainer
// v2.3.0's overlays and JobSet v0.12.0's own tree, laid out as the module mounts them.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fsReader } from "../src/catalog/fsReader.js";
import { loadCatalog, runsOn } from "../src/catalog/loader.js";
import { renderTrainJob } from "../src/jobs/trainJob.js";
import { isUntagged } from "../src/catalog/reference.js";
import { planTrainerInstall } from "../src/operator/install.js";
import { movingImageProblem, renderedDocs } from "../src/operator/plan.js";
import {
  runtimeContainerImages,
  findTrainerDeployments,
  JOBSET_KUSTOMIZATION,
  jobsetConfigFrom,
  jobsetRelease,
  localJobsetKustomization,
  LOCAL_TRAINER_REPOSITORY,
  MANAGER_OVERLAY,
  neededRuntimes,
  renderedRuntimes,
  RUNTIMES_OVERLAY,
  runtimesDir,
  parseFeatureGates,
  trainerKustomization,
  UNDER_TEST_IMAGE_TAG,
  underTestRuntimesKustomization,
} from "../src/operator/trainer.js";
import { trainerRuntimes, withRuntimeImageNames } from "../src/runInputs.js";
import { REPO_ROOT } from "./helpers/catalogFixture.js";
import { KustomizeRunner } from "./helpers/kustomizeRunner.js";
import { copyTree } from "./helpers/upstreamTrees.js";

const KUSTOMIZE = join(REPO_ROOT, ".tools", "bin", "kustomize");
const build = (dir: string) => execFileSync(KUSTOMIZE, ["build", dir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
let root: string;
let original: string;

beforeAll(() => {
  if (!existsSync(KUSTOMIZE)) throw new Error(`${KUSTOMIZE} not found: run scripts/install-tools.sh (bash .ci/run does)`);
  root = mkdtempSync(join(tmpdir(), "trainer-"));
  copyTree("v2", join(root, "operator"), ["manifests"]);
  copyTree("jobset", join(root, "jobset"), ["config"]);
  const file = join(root, "operator", JOBSET_KUSTOMIZATION);
  original = readFileSync(file, "utf8");
  writeFileSync(file, localJobsetKustomization(original, jobsetConfigFrom("/operator", "/jobset")));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("Trainer v2.3.0's manager overlay, with JobSet from its own tree", () => {
  it("names the JobSet release the module builds, and points at JobSet's config instead", () => {
    expect(jobsetRelease(original)).toBe("v0.12.0");
    expect(jobsetConfigFrom("/operator", "/jobset")).toBe("../../../../jobset/config/default");
    expect(readFileSync(join(root, "operator", JOBSET_KUSTOMIZATION), "utf8")).not.toContain("https://");
    expect(() => jobsetRelease("resources: [jobset.yaml]\n", "k.yaml")).toThrow(/^k\.yaml must list exactly one JobSet release file/);
  });

  it("renders the Trainer and JobSet controllers the module loads and waits for", () => {
    const [trainer, jobset] = findTrainerDeployments(build(join(root, "operator", MANAGER_OVERLAY)));
    expect(trainer).toMatchObject({
      namespace: "kubeflow-system",
      name: "kubeflow-trainer-controller-manager",
      image: "ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.3.0",
      selector: "app.kubernetes.io/component=manager,app.kubernetes.io/name=trainer,app.kubernetes.io/part-of=kubeflow",
    });
    expect(jobset).toMatchObject({ namespace: "kubeflow-system", name: "jobset-controller-manager", image: "registry.k8s.io/jobset/jobset:v0.12.0", cpuMillis: 500 });
    expect(jobset!.selector).toContain("control-plane=controller-manager");
  });

  it("gives the same objects as the JobSet release file would (rebuilt as JobSet's `make artifacts` does)", () => {
    // JobSet's Makefile (artifacts): set the controller image, then build config/default into manifests.yaml.
    const release = mkdtempSync(join(tmpdir(), "jobset-release-"));
    try {
      cpSync(join(root, "jobset", "config"), join(release, "config"), { recursive: true });
      execFileSync(KUSTOMIZE, ["edit", "set", "image", "controller=registry.k8s.io/jobset/jobset:v0.12.0"], { cwd: join(release, "config", "components", "manager") });
      const manifests = build(join(release, "config", "default"));
      const viaFile = join(release, "operator");
      cpSync(join(root, "operator"), viaFile, { recursive: true });
      writeFileSync(join(viaFile, "manifests/third-party/jobset/manifests.yaml"), manifests);
      writeFileSync(join(viaFile, JOBSET_KUSTOMIZATION), original.replace(/https:\/\/github\.com\/kubernetes-sigs\/jobset\/releases\/download\/v0\.12\.0\/manifests\.yaml/, "manifests.yaml"));
      expect(build(join(root, "operator", MANAGER_OVERLAY))).toBe(build(join(viaFile, MANAGER_OVERLAY)));
    } finally {
      rmSync(release, { recursive: true, force: true });
    }
  });

  it("swaps in a built Trainer image through a generated kustomization, leaving JobSet alone", () => {
    const manager = build(join(root, "operator", MANAGER_OVERLAY));
    const [trainer] = findTrainerDeployments(manager);
    const dir = join(root, "e2e", "operator");
    execFileSync("mkdir", ["-p", dir]);
    writeFileSync(join(dir, "kustomization.yaml"), trainerKustomization(`../../operator/${MANAGER_OVERLAY}`, trainer!, { image: { name: LOCAL_TRAINER_REPOSITORY, tag: "src-0123456789abcdef" } }));
    const [built, jobset] = findTrainerDeployments(build(dir));
    expect(built!.image).toBe("docker.io/kubeflow-ci/trainer-controller-manager:src-0123456789abcdef");
    expect(jobset!.image).toBe("registry.k8s.io/jobset/jobset:v0.12.0");
    // The built image is on the nodes only: never pulled; JobSet's policy is the release's.
    const policies = Object.fromEntries(
      renderedDocs(build(dir)).filter((d) => d.kind === "Deployment").map((d) => [d.metadata!.name, d.spec.template.spec.containers[0].imagePullPolicy]),
    );
    expect(policies["kubeflow-trainer-controller-manager"]).toBe("Never");
    expect(policies["jobset-controller-manager"]).not.toBe("Never");
    expect(renderedDocs(build(dir)).length).toBe(renderedDocs(manager).length);
  });

  it("turns the controller's feature gates on as upstream's e2e does, alone or with a built image", () => {
    const [trainer] = findTrainerDeployments(build(join(root, "operator", MANAGER_OVERLAY)));
    const dir = join(root, "e2e", "gates");
    execFileSync("mkdir", ["-p", dir]);
    const rendered = (changes: Parameters<typeof trainerKustomization>[2]) => {
      writeFileSync(join(dir, "kustomization.yaml"), trainerKustomization(`../../operator/${MANAGER_OVERLAY}`, trainer!, changes));
      const deployment = renderedDocs(build(dir)).find((d) => d.kind === "Deployment" && d.metadata?.name === trainer!.name)!;
      return deployment.spec.template.spec.containers[0];
    };
    const gates = rendered({ featureGates: "TrainJobStatus=true" });
    expect(gates.args).toEqual(["--config=/controller_manager_config.yaml", "--zap-log-level=2", "--feature-gates=TrainJobStatus=true"]);
    expect(gates.image).toBe(trainer!.image);
    expect(gates.imagePullPolicy).toBeUndefined();
    const both = rendered({ image: { name: LOCAL_TRAINER_REPOSITORY, tag: "t" }, featureGates: "TrainJobStatus=true,Other=false" });
    expect(both.args.at(-1)).toBe("--feature-gates=TrainJobStatus=true,Other=false");
    expect(both).toMatchObject({ image: `${LOCAL_TRAINER_REPOSITORY}:t`, imagePullPolicy: "Never" });
  });

  it("reads --feature-gates, refusing it for v1 and a value that is not a list of gates", () => {
    expect(parseFeatureGates("", "v1")).toBeUndefined();
    expect(parseFeatureGates(" TrainJobStatus=true ", "v2")).toBe("TrainJobStatus=true");
    expect(() => parseFeatureGates("TrainJobStatus=true", "v1")).toThrow(/^--feature-gates: only Kubeflow Trainer v2's controller takes --feature-gates/);
    expect(() => parseFeatureGates("TrainJobStatus", "v2")).toThrow('--feature-gates: "TrainJobStatus" is not a list of gates: use Name=true or Name=false, comma-separated, e.g. TrainJobStatus=true');
    expect(() => parseFeatureGates("A=true;B=false", "v2")).toThrow(/is not a list of gates/);
  });

  it("a master-style tree (newTag: latest) renders a controller the run refuses without --build-operator", () => {
    const copy = join(root, "latest");
    cpSync(join(root, "operator"), copy, { recursive: true });
    const kustomization = join(copy, MANAGER_OVERLAY, "kustomization.yaml");
    writeFileSync(kustomization, readFileSync(kustomization, "utf8").replace("newTag: v2.3.0", "newTag: latest"));
    const deployments = findTrainerDeployments(build(join(copy, MANAGER_OVERLAY)));
    expect(deployments[0]!.image).toBe("ghcr.io/kubeflow/trainer/trainer-controller-manager:latest");
    expect(movingImageProblem(deployments, false)).toMatch(/kubeflow-trainer-controller-manager runs .*:latest, the moving tag "latest", which names no release: add --build-operator/);
    expect(movingImageProblem(deployments, true)).toBeUndefined();
    expect(movingImageProblem(findTrainerDeployments(build(join(root, "operator", MANAGER_OVERLAY))), false)).toBeUndefined();
  });
});

describe("Trainer v2.3.0's runtimes overlay and the catalog's TrainJobs", () => {
  it("has the runtime every framework's TrainJob names; each TrainJob runs on it as installed", async () => {
    const available = renderedRuntimes(build(join(root, "operator", RUNTIMES_OVERLAY)));
    const entries = (await loadCatalog(fsReader(REPO_ROOT))).filter((e) => runsOn(e, "v2"));
    const runtimes = neededRuntimes(available, trainerRuntimes(entries));
    expect(Object.keys(runtimes).sort()).toEqual(["jax-distributed", "mlx-distributed", "torch-distributed", "xgboost-distributed"]);
    for (const entry of entries) {
      const job = renderTrainJob(entry, `docker.io/kubeflow-ci/${entry.name}-e2e:t`, runtimes[entry.trainJob!.runtime]!);
      const docs = renderedDocs(job.yaml) as any[];
      expect(docs.map((d) => d.kind)).toEqual(["TrainJob"]);
      const [trainJob] = docs;
      expect(trainJob.spec.runtimeRef).toEqual({ apiGroup: "trainer.kubeflow.org", kind: "ClusterTrainingRuntime", name: entry.trainJob!.runtime });
      expect(trainJob.spec.activeDeadlineSeconds).toBe(entry.timeoutSeconds);
      expect(trainJob.spec.trainer).toMatchObject({ numNodes: 2, image: `docker.io/kubeflow-ci/${entry.name}-e2e:t`, command: entry.spec.image.command });
      expect(trainJob.spec.trainer.resourcesPerNode).toEqual(entry.resources);
      expect(job.pods).toBe(2);
      if (entry.trainJob!.runtime === "mlx-distributed") {
        // The launcher must succeed (the runtime's successPolicy); JobSet deletes the sshd node after.
        expect(job.jobsStatus).toEqual([
          { name: "node", replicas: 1, mustSucceed: false },
          { name: "launcher", replicas: 1, mustSucceed: true },
        ]);
        continue;
      }
      // What upstream's e2e test asks of jobsStatus: the runtime's one replicated Job, "node".
      expect(job.jobsStatus).toEqual([{ name: "node", replicas: 1, mustSucceed: true }]);
    }
  });

  it("names the image mlx-distributed's nodes run, which the test image replaces (asRuntimeImage)", async () => {
    const available = renderedRuntimes(build(join(root, "operator", RUNTIMES_OVERLAY)));
    // The overlay's newTag for the runtime images is the release's own.
    expect(runtimeContainerImages(available["mlx-distributed"]!)).toEqual(["ghcr.io/kubeflow/trainer/mlx-runtime:v2.3.0"]);
    const entries = await loadCatalog(fsReader(REPO_ROOT));
    const mlx = entries.filter((e) => e.name === "mlx");
    const archives = withRuntimeImageNames([{ reference: "docker.io/kubeflow-ci/mlx-e2e:t", file: "mlx.tar" }], mlx, { line: "v2", runtimes: available });
    expect(archives[0]!.aliases).toEqual(["ghcr.io/kubeflow/trainer/mlx-runtime:v2.3.0"]);
    expect(() => withRuntimeImageNames([{ reference: "a", file: "a" }, { reference: "b", file: "b" }], [...mlx, ...mlx], { line: "v2", runtimes: available })).toThrow(
      /^--framework: mlx and mlx both replace ghcr.io\/kubeflow\/trainer\/mlx-runtime:v2.3.0/,
    );
    // Frameworks that do not ask keep their one name, and v1 has no runtimes.
    const jax = entries.filter((e) => e.name === "jax");
    expect(withRuntimeImageNames([{ reference: "j", file: "j" }], jax, { line: "v2", runtimes: available })[0]!.aliases).toBeUndefined();
    expect(withRuntimeImageNames([{ reference: "m", file: "m" }], mlx, { line: "v1", runtimes: {} })[0]!.aliases).toBeUndefined();
  });

  it("refuses to replace a runtime image the kubelet would pull anyway, naming the container", () => {
    const runtime = (image: string, imagePullPolicy?: string) => ({
      kind: "ClusterTrainingRuntime",
      metadata: { name: "rt" },
      spec: { template: { spec: { replicatedJobs: [{ name: "node", template: { spec: { template: { spec: { containers: [{ name: "node", image, imagePullPolicy }] } } } } }] } } },
    });
    expect(() => runtimeContainerImages(runtime("ghcr.io/x/y:latest"))).toThrow(/rt, replicated Job node, container node: image "ghcr.io\/x\/y:latest" cannot be replaced .*always pulls :latest/);
    expect(() => runtimeContainerImages(runtime("ghcr.io/x/y"))).toThrow(/container node: image "ghcr.io\/x\/y" cannot be replaced/);
    expect(() => runtimeContainerImages(runtime("ghcr.io/x/y:v1", "Always"))).toThrow(/imagePullPolicy Always/);
    expect(runtimeContainerImages(runtime("ghcr.io/x/y:v1"))).toEqual(["ghcr.io/x/y:v1"]);
  });

  it("from a tree under test, renders the same runtimes from manifests/base/runtimes with their webhook validating them", () => {
    const released = renderedRuntimes(build(join(root, "operator", RUNTIMES_OVERLAY)));
    const underTest = renderedRuntimes(build(join(root, "operator", runtimesDir(true))));
    expect(runtimesDir(false)).toBe(RUNTIMES_OVERLAY);
    expect(Object.keys(underTest).sort()).toEqual(Object.keys(released).sort());
    for (const [name, runtime] of Object.entries(released)) {
      expect(runtime.metadata?.labels?.["trainer.kubeflow.org/webhook-validation"], name).toBe("disabled");
      expect(underTest[name]!.metadata?.labels ?? {}, name).not.toHaveProperty(["trainer.kubeflow.org/webhook-validation"]);
    }
  });

  it("from a tree under test, tags base/runtimes' untagged images :test as upstream's e2e does, so the MLX test image takes the runtime's name", async () => {
    const base = renderedRuntimes(build(join(root, "operator", runtimesDir(true))));
    // As the tree has it, the MLX runtime's image names no tag: nothing could stand in for it.
    expect(() => runtimeContainerImages(base["mlx-distributed"]!)).toThrow(/image "ghcr\.io\/kubeflow\/trainer\/mlx-runtime" cannot be replaced/);
    const dir = join(root, "e2e", "runtimes");
    execFileSync("mkdir", ["-p", dir]);
    writeFileSync(join(dir, "kustomization.yaml"), underTestRuntimesKustomization(`../../operator/${runtimesDir(true)}`, base)!);
    const tagged = renderedRuntimes(build(dir));
    expect(UNDER_TEST_IMAGE_TAG).toBe("test");
    expect(runtimeContainerImages(tagged["mlx-distributed"]!)).toEqual(["ghcr.io/kubeflow/trainer/mlx-runtime:test"]);
    // The same runtimes, every image now tagged; the ones with a tag keep theirs.
    expect(Object.keys(tagged).sort()).toEqual(Object.keys(base).sort());
    const images = (runtimes: Record<string, unknown>) => [...JSON.stringify(runtimes).matchAll(/"image":"([^"]+)"/g)].map((m) => m[1]!);
    expect(images(tagged).filter(isUntagged)).toEqual([]);
    expect(images(tagged).filter((i) => !i.endsWith(":test"))).toEqual(images(base).filter((i) => !isUntagged(i)));
    const entries = await loadCatalog(fsReader(REPO_ROOT));
    const archives = withRuntimeImageNames([{ reference: "docker.io/kubeflow-ci/mlx-e2e:t", file: "mlx.tar" }], entries.filter((e) => e.name === "mlx"), { line: "v2", runtimes: tagged });
    expect(archives[0]!.aliases).toEqual(["ghcr.io/kubeflow/trainer/mlx-runtime:test"]);
    // A release's runtimes overlay tags every image itself: nothing to layer.
    expect(underTestRuntimesKustomization("x", renderedRuntimes(build(join(root, "operator", RUNTIMES_OVERLAY))))).toBeUndefined();
    expect(isUntagged("ghcr.io/x/y")).toBe(true);
    expect(["ghcr.io/x/y:v1", "localhost:5000/y", "y@sha256:" + "a".repeat(64), ""].filter(isUntagged)).toEqual(["localhost:5000/y"]);
  });

  it("plans a tree under test's install with its runtimes tagged, and a release's with its runtimes overlay as is", async () => {
    const trees = { trainer: join(root, "operator"), jobset: join(root, "jobset") };
    const entries = (await loadCatalog(fsReader(REPO_ROOT))).filter((e) => runsOn(e, "v2"));
    const plan = async (underTest: boolean, image?: { name: string; tag: string }) => {
      const scratch = mkdtempSync(join(tmpdir(), "trainer-plan-"));
      try {
        const runner = new KustomizeRunner(scratch);
        return { install: await planTrainerInstall(runner, trees, { runtimes: trainerRuntimes(entries), underTest, ...(image ? { image } : {}) }), rendered: runner.rendered };
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    };
    const underTest = await plan(true);
    expect(underTest.install.kustomizations).toEqual([`/operator/${MANAGER_OVERLAY}`, "/e2e/runtimes"]);
    const layered = underTest.install.inputs.find((i) => i.path === "/e2e/runtimes/kustomization.yaml");
    expect(layered && "text" in layered && layered.text).toContain(`../../operator/${runtimesDir(true)}`);
    expect(runtimeContainerImages(underTest.install.runtimes["mlx-distributed"]!)).toEqual(["ghcr.io/kubeflow/trainer/mlx-runtime:test"]);
    // With a built controller the manager overlay is layered too; the runtimes still come tagged.
    const built = await plan(true, { name: LOCAL_TRAINER_REPOSITORY, tag: "src-0123456789abcdef" });
    expect(built.install.kustomizations).toEqual(["/e2e/operator", "/e2e/runtimes"]);
    const released = await plan(false);
    expect(released.install.kustomizations).toEqual([`/operator/${MANAGER_OVERLAY}`, `/operator/${RUNTIMES_OVERLAY}`]);
    expect(released.install.inputs.some((i) => i.path.startsWith("/e2e/"))).toBe(false);
    expect(runtimeContainerImages(released.install.runtimes["mlx-distributed"]!)).toEqual(["ghcr.io/kubeflow/trainer/mlx-runtime:v2.3.0"]);
  }, 120_000);

  it("names a runtime the overlay lacks as an error of the template that names it", () => {
    const available = renderedRuntimes(build(join(root, "operator", RUNTIMES_OVERLAY)));
    expect(() => neededRuntimes(available, [{ framework: "pytorch", runtime: "torch-distributd", file: "frameworks/pytorch/trainjob.yaml" }])).toThrow(
      /^frameworks\/pytorch\/trainjob\.yaml: spec\.runtimeRef\.name: torch-distributd is not a ClusterTrainingRuntime of the operator's manifests\/overlays\/runtimes; it has .*torch-distributed/,
    );
  });
});
