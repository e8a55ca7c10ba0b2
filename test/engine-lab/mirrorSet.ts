// What a run fetches from outside, served on this machine for the engine lab, and the mirror
// file (--mirrors) that points the module at it: images in the lab's registry, kind and
// kubectl from a file server, and git repositories from a git server, each a stand-in built
// or taken here, listed in docs/engine-lab.md.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { KIND_NODE_IMAGES, kindBinary, kubectlBinary, DIND_IMAGE, JOBSET, TRAINER_V2 } from "../../src/versions/pins.js";
import { fsReader } from "../../src/catalog/fsReader.js";
import { loadCatalog } from "../../src/catalog/loader.js";
import { aptInstallScript, buildPlan } from "../../src/catalog/plan.js";
import { operatorNeeds } from "../../src/catalog/operatorNeeds.js";
import { REPO_ROOT } from "../helpers/catalogFixture.js";
import { localRepository, repositorySlug } from "../helpers/upstreamGit.js";
import { copyTree } from "../helpers/upstreamTrees.js";
import { needsRuncLab } from "../lab/environment.js";
import { docker, removeContainers } from "../lab/localRunner.js";
import { NODE_IMAGE, pushToLabRegistry } from "./engine.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const OPERATOR_BASE_STAND_IN = "lab/operator-base:bookworm-busybox";
const NETWORK = "lab-engine";
/** The servers' image: the lab's Node image with git (the git server runs `git http-backend`). */
const SERVERS_IMAGE = "lab/engine-lab-servers";
const FILES = { name: "lab-files", address: "10.213.77.12", port: 8082 };
const GIT = { name: "lab-git", address: "10.213.77.13", port: 8081 };
// 10.213.77.14: the registry with authentication of registryCases.ts (engine.ts AUTH_REGISTRY).

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** A server script of servers/ in the lab's Node image on the engine's network, serving `root`. */
function serve(server: { name: string; address: string; port: number }, script: string, root: string): void {
  removeContainers(server.name);
  docker([
    "run", "-d", "--name", server.name, "--network", NETWORK, "--ip", server.address,
    "-e", `ROOT=/srv`, "-e", `PORT=${server.port}`, "-v", `${root}:/srv:ro`, "-v", `${join(HERE, "servers", script)}:/server.mjs:ro`,
    "--entrypoint", "node", SERVERS_IMAGE, "/server.mjs",
  ]);
}

/** The base image of every catalog framework: the lab's Python image stands in for each. */
export async function frameworkBases(): Promise<string[]> {
  const catalog = await loadCatalog(fsReader(REPO_ROOT));
  return [...new Set(catalog.flatMap((f) => buildPlan(f).layers.flatMap((l) => (l.step === "base" ? [l.image.ref] : []))))];
}

/** The pinned bases of the images the v1 operator starts (PyTorch's init container, MPI's kubectl delivery). */
export async function operatorImageBases(): Promise<string[]> {
  return [...new Set(operatorNeeds(await loadCatalog(fsReader(REPO_ROOT))).images.map((image) => image.from.ref))];
}

/** Removes the file and git servers, if they run (the registry stays: the engine lab's builds use it). */
export function stopMirrors(): void {
  removeContainers(FILES.name, GIT.name);
}

export interface MirrorSet {
  /** The mirror file to pass as --mirrors. */
  file: string;
  /**
   * Adds a second Kubernetes minor to the file: the lab's node image of `labVersion`
   * (build/node-image.sh) for the module's pinned node image of that minor, and the lab's
   * kubectl of that version for the pinned one.
   */
  addKubernetes(minor: string, labVersion: string): void;
  stop(): void;
}

/**
 * Serves the lab's stand-ins and writes the mirror file for a run of Kubernetes 1.35: the
 * Docker service (the lab's, with runc-lab where the sandbox needs it), the lab's node image,
 * the frameworks' base (the lab's Python image for each), the operators' images and the bases of
 * the images they start (the lab's Debian), kind and kubectl built here, and the Trainer and
 * JobSet repositories of ../shared/upstream.
 */
export function serveMirrors(labCache: string, workDir: string, frameworkBases: string[], operatorBases: string[] = []): MirrorSet {
  const work = join(workDir, "mirrors");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, "files"), { recursive: true });

  execFileSync("docker", ["build", "-q", "-t", SERVERS_IMAGE, "-"], {
    input: `FROM ${NODE_IMAGE}\nRUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*\n`,
    stdio: ["pipe", "ignore", "inherit"],
  });
  // The Docker service: the lab's dockerd image, told to use runc-lab for privileged containers where needed.
  const service = "lab/dagger-docker-service";
  execFileSync("docker", ["build", "-q", "-t", service, "-"], { input: `FROM lab/docker-service\n${needsRuncLab() ? "ENV LAB_RUNTIME=runc-lab\n" : ""}`, stdio: ["pipe", "ignore", "inherit"] });
  const images: Record<string, string> = {
    [DIND_IMAGE]: pushToLabRegistry(service, "dagger-lab/docker:dind"),
    [KIND_NODE_IMAGES["1.35"]!]: pushToLabRegistry("docker.io/kindest/node:v1.35.5-lab", "dagger-lab/kindest-node:v1.35.5-lab"),
    "ghcr.io/kubeflow/training-v1/training-operator:v1-93c5489": pushToLabRegistry("ghcr.io/kubeflow/training-v1/training-operator:v1-93c5489", "dagger-lab/training-operator:v1-93c5489"),
    "ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.3.0": pushToLabRegistry("ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.3.0", "dagger-lab/trainer-controller-manager:v2.3.0"),
    "registry.k8s.io/jobset/jobset:v0.12.0": pushToLabRegistry("registry.k8s.io/jobset/jobset:v0.12.0", "dagger-lab/jobset:v0.12.0"),
  };

  const python = pushToLabRegistry("lab/python:3.11-bookworm", "dagger-lab/python:3.11-bookworm");
  for (const base of frameworkBases) images[base] = python;
  // The pinned alpine of the operator's images: the lab's stand-in, Debian with busybox (test/lab/frameworkImages.ts).
  if (operatorBases.length > 0) {
    execFileSync("docker", ["build", "-q", "-t", OPERATOR_BASE_STAND_IN, "-"], { input: `FROM lab/debian:bookworm\nRUN ${aptInstallScript(["busybox"])}\n`, stdio: ["pipe", "ignore", "inherit"] });
    const standIn = pushToLabRegistry(OPERATOR_BASE_STAND_IN, "dagger-lab/operator-base:bookworm-busybox");
    for (const base of operatorBases) images[base] = standIn;
  }

  // kind and kubectl built here (the lab's), named by the URLs the module pins.
  const binaries: Record<string, { url: string; sha256: string }> = {};
  const serveBinary = (pinned: { url: string }, local: string, name: string) => {
    cpSync(local, join(work, "files", name));
    binaries[pinned.url] = { url: `http://${FILES.address}:${FILES.port}/${name}`, sha256: sha256(local) };
  };
  serveBinary(kindBinary("amd64"), join(labCache, "bin", "kind"), "kind");
  serveBinary(kubectlBinary("amd64", "1.35"), join(labCache, "kubernetes", "v1.35.5", "kubectl"), "kubectl-1.35");
  serve(FILES, "files.mjs", join(work, "files"));

  // Trainer v2.3.0 and JobSet v0.12.0 as git has them (v1.9.4 has no repository here).
  const git: Record<string, string> = {};
  for (const pin of [TRAINER_V2, JOBSET]) {
    const slug = repositorySlug(pin.repository);
    const target = join(work, "git", `${slug}.git`);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(localRepository(slug, [pin.tag])!, target, { recursive: true });
    git[pin.repository] = `http://${GIT.address}:${GIT.port}/${slug}.git`;
  }
  serve(GIT, "git.mjs", join(work, "git"));

  const file = join(work, "mirrors.yaml");
  const write = () => writeFileSync(file, `# The engine lab's mirror file (test/engine-lab/mirrorSet.ts)\n${stringify({ images, binaries, git })}`);
  write();
  return {
    file,
    addKubernetes(minor, labVersion) {
      const pinned = KIND_NODE_IMAGES[minor];
      if (!pinned) throw new Error(`the module pins no node image for Kubernetes ${minor}`);
      images[pinned] = pushToLabRegistry(`docker.io/kindest/node:${labVersion}-lab`, `dagger-lab/kindest-node:${labVersion}-lab`);
      serveBinary(kubectlBinary("amd64", minor), join(labCache, "kubernetes", labVersion, "kubectl"), `kubectl-${minor}`);
      write();
    },
    stop: stopMirrors,
  };
}

/** What a run with a cluster takes here: the mirror file, and v1.9.4's tree for --operator-source. */
export interface RunInputs {
  mirrors: string;
  /** Adds a second Kubernetes minor to the mirror file (MirrorSet.addKubernetes). */
  addKubernetes(minor: string, labVersion: string): void;
  /** v1.9.4 has no git repository here (docs/engine-lab.md): its Go module tree instead. */
  v1Tree: string;
  stop(): void;
}

export async function serveRunInputs(labCache: string, workDir: string): Promise<RunInputs> {
  const served = serveMirrors(labCache, workDir, await frameworkBases(), await operatorImageBases());
  return { mirrors: served.file, addKubernetes: served.addKubernetes, v1Tree: copyTree("v1", join(workDir, "operator-v1"), ["manifests"]), stop: served.stop };
}

/** The CLI's arguments for `test-jax` on v1 with those inputs. */
export const testJaxArgs = (inputs: RunInputs) => ["call", "test-jax", "--operator-source", inputs.v1Tree, "--mirrors", inputs.mirrors];
