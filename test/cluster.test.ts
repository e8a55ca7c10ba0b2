import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { clusterCommands, kubeconfigRewriteCommands, operatorInstallCommands, outerLimit, TIMEOUTS } from "../src/cluster/commands.js";
import { interactiveSetupScript } from "../src/cluster/interactive.js";
import { KindCluster } from "../src/cluster/kind.js";
import type { CommandRunner, ExecResult } from "../src/exec/runner.js";
import { nodeImageMinor, renderKindConfig, resolveNodeImage, rewriteKubeconfig } from "../src/cluster/kindConfig.js";
import { missingImages, parseCrictlImages, parseServerVersion } from "../src/cluster/nodeImages.js";
import { archOf, DIND_IMAGE, KIND_NODE_IMAGE, KIND_NODE_IMAGES, KIND_VERSION, kindBinary, KUBECTL_RELEASES, kubectlBinary, kubectlMinorFor, SUPPORTED_KUBERNETES_VERSIONS } from "../src/versions/pins.js";
import {
  GIB,
  cpuMillis,
  jobConcurrency,
  jobCpuMillis,
  jobMemoryBytes,
  MIB,
  parseEngineFacts,
  preflightProblems,
  quantityBytes,
  runNeeds,
  usableMemory,
} from "../src/cluster/preflight.js";
import { fixture } from "./helpers/fixtures.js";
import { shellSyntaxErrors } from "./helpers/shell.js";

describe("pins", () => {
  it("pin every image by digest and name no moving tag", () => {
    for (const image of [DIND_IMAGE, ...Object.values(KIND_NODE_IMAGES)]) {
      expect(image).toMatch(/^[^@]+:v?[0-9][^@:]*@sha256:[a-f0-9]{64}$/);
      expect(image).not.toMatch(/latest/);
    }
  });

  it("verify kind and every kubectl by sha256 for both architectures", () => {
    for (const arch of ["amd64", "arm64"] as const) {
      for (const binary of [kindBinary(arch), ...Object.keys(KUBECTL_RELEASES).map((minor) => kubectlBinary(arch, minor))]) {
        expect(binary.sha256).toMatch(/^[a-f0-9]{64}$/);
        expect(binary.url).toMatch(new RegExp(`linux[-/]${arch}`));
      }
    }
    expect(kindBinary("amd64").url).toBe(`https://github.com/kubernetes-sigs/kind/releases/download/${KIND_VERSION}/kind-linux-amd64`);
    expect(kubectlBinary("arm64", "1.34").url).toBe("https://dl.k8s.io/release/v1.34.8/bin/linux/arm64/kubectl");
    expect(kindBinary("amd64").sha256).not.toBe(kindBinary("arm64").sha256);
    const sums = Object.values(KUBECTL_RELEASES).flatMap((r) => Object.values(r.sha256));
    expect(new Set(sums).size).toBe(sums.length);
  });

  it("give every node minor a run can ask for the kubectl of that minor, the patch of kind's node image", () => {
    const minors = new Set<string>(Object.values(SUPPORTED_KUBERNETES_VERSIONS).flat());
    for (const minor of minors) {
      expect(kubectlMinorFor(minor)).toBe(minor);
      expect(KUBECTL_RELEASES[minor]!.version).toBe(KIND_NODE_IMAGES[minor]!.split(":")[1]!.split("@")[0]);
    }
  });

  it("keep kubectl within one minor of a node of another version (--node-image), or refuse it", () => {
    expect(kubectlMinorFor("1.32")).toBe("1.33");
    expect(kubectlMinorFor("1.37")).toBe("1.36");
    expect(kubectlMinorFor(undefined)).toBe("1.35");
    expect(() => kubectlMinorFor("1.31")).toThrow("no pinned kubectl is within one minor of Kubernetes 1.31 (kubectl's version skew): kubectl is pinned for 1.33, 1.34, 1.35, 1.36");
    expect(() => resolveNodeImage(`kindest/node:v1.31.2@sha256:${"a".repeat(64)}`)).toThrow(/^--node-image: "kindest\/node:v1.31.2@sha256:a+": no pinned kubectl is within one minor of Kubernetes 1.31/);
  });

  it("map the engine platform to an architecture, refusing others clearly", () => {
    expect(archOf("linux/amd64")).toBe("amd64");
    expect(archOf("linux/arm64/v8")).toBe("arm64");
    expect(() => archOf("linux/s390x")).toThrow(/"linux\/s390x" is not supported: kind and kubectl are pinned for linux\/amd64 and linux\/arm64/);
  });
});

describe("kind config", () => {
  const config = parse(renderKindConfig({ name: "e2e", nodeImage: KIND_NODE_IMAGE, apiServerPort: 6443 }));

  it("listens on every address of the Docker service at a fixed port", () => {
    expect(config).toMatchObject({ kind: "Cluster", apiVersion: "kind.x-k8s.io/v1alpha4", name: "e2e" });
    expect(config.networking).toEqual({ apiServerAddress: "0.0.0.0", apiServerPort: 6443 });
  });

  it("runs one node on the digest-pinned image", () => {
    expect(config.nodes).toEqual([{ role: "control-plane", image: KIND_NODE_IMAGE }]);
  });

  it("refuses a bad cluster name or port", () => {
    expect(() => renderKindConfig({ name: "E2E_x", nodeImage: KIND_NODE_IMAGE, apiServerPort: 6443 })).toThrow(/RFC 1123/);
    expect(() => renderKindConfig({ name: "e2e", nodeImage: KIND_NODE_IMAGE, apiServerPort: 80 })).toThrow(/between 1024 and 65535/);
  });
});

describe("--node-image", () => {
  it("defaults to the pinned node image", () => {
    expect(resolveNodeImage("")).toBe(KIND_NODE_IMAGE);
  });
  it("accepts another digest-pinned image", () => {
    const other = "kindest/node:v1.34.8@sha256:02722c2dedddcfc00febf5d27fbeb9b7b2c14294c82109ff4a85d89ac9ba3256";
    expect(resolveNodeImage(other)).toBe(other);
  });
  it.each(["kindest/node:v1.35.5", "kindest/node:latest@sha256:" + "a".repeat(64)])("refuses %s, naming the argument", (image) => {
    expect(() => resolveNodeImage(image)).toThrow(/^--node-image: /);
  });
});

describe("--kubernetes-version", () => {
  it("maps each supported minor to kind's pinned image for it, 1.35 by default", () => {
    expect(SUPPORTED_KUBERNETES_VERSIONS).toEqual({ v1: ["1.34", "1.35"], v2: ["1.33", "1.34", "1.35"] });
    expect(resolveNodeImage("", "")).toBe(KIND_NODE_IMAGES["1.35"]);
    expect(resolveNodeImage("", "1.34")).toMatch(/^kindest\/node:v1\.34\.8@sha256:[a-f0-9]{64}$/);
    expect(resolveNodeImage(undefined, "v1.35")).toMatch(/^kindest\/node:v1\.35\.5@sha256:/);
    for (const [minor, image] of Object.entries(KIND_NODE_IMAGES)) expect(nodeImageMinor(image)).toBe(minor);
  });

  it("refuses an unsupported minor, listing the supported ones", () => {
    expect(() => resolveNodeImage("", "1.31")).toThrow(
      '--kubernetes-version: "1.31" is not supported with --operator v1: use 1.34 or 1.35 (the minors kubeflow/trainer v1.9.4 is tested on that kind v0.32.0 publishes an image for), or pass --node-image',
    );
    expect(() => resolveNodeImage("", "1.33")).toThrow(/with --operator v1: use 1\.34 or 1\.35/);
    expect(resolveNodeImage("", "1.33", "v2")).toBe(KIND_NODE_IMAGES["1.33"]);
    expect(() => resolveNodeImage("", "1.32", "v2")).toThrow(/with --operator v2: use 1\.33, 1\.34 or 1\.35 \(the minors kubeflow\/trainer v2\.3\.0 is tested on/);
  });

  it("refuses a node image of another minor than the one asked for", () => {
    expect(() => resolveNodeImage(KIND_NODE_IMAGES["1.34"], "1.35")).toThrow(/^--node-image: .* is Kubernetes 1\.34, but --kubernetes-version asks for 1\.35/);
    expect(resolveNodeImage(KIND_NODE_IMAGES["1.34"], "1.34")).toBe(KIND_NODE_IMAGES["1.34"]);
  });
});

describe("kubeconfig rewrite", () => {
  const rewritten = parse(rewriteKubeconfig(fixture("kind-kubeconfig.yaml"), "docker", 6443));

  it("points the cluster at the service alias, verifying TLS against localhost", () => {
    expect(rewritten.clusters[0].cluster.server).toBe("https://docker:6443");
    expect(rewritten.clusters[0].cluster["tls-server-name"]).toBe("localhost");
  });

  it("keeps the credentials and contexts", () => {
    const original = parse(fixture("kind-kubeconfig.yaml"));
    expect(rewritten.clusters[0].cluster["certificate-authority-data"]).toBe(original.clusters[0].cluster["certificate-authority-data"]);
    expect(rewritten.users).toEqual(original.users);
    expect(rewritten["current-context"]).toBe("kind-e2e");
  });

  it("matches the interactive shell's kubectl rewrite", () => {
    const [, setCluster] = kubeconfigRewriteCommands("e2e", 6443);
    expect(setCluster).toEqual(["kubectl", "config", "set-cluster", "kind-e2e", "--server=https://docker:6443", "--tls-server-name=localhost"]);
  });

  it("refuses a kubeconfig without clusters", () => {
    expect(() => rewriteKubeconfig("apiVersion: v1\nkind: Config\n", "docker", 6443)).toThrow(/no clusters/);
  });
});

describe("node images", () => {
  const present = parseCrictlImages(fixture("crictl-images.json"));

  it("reads the references from crictl", () => {
    expect(present).toContain("docker.io/kubeflow-ci/jax-e2e:c-0123456789abcdef");
    expect(present).toContain("registry.k8s.io/pause:3.10");
  });

  it("passes when every reference is present", () => {
    expect(missingImages(["docker.io/kubeflow-ci/jax-e2e:c-0123456789abcdef"], present, "e2e-control-plane")).toEqual([]);
  });

  it("names both the expected reference and what the node has", () => {
    const [problem] = missingImages(["docker.io/kubeflow-ci/jax-e2e:pr-7"], present, "e2e-control-plane");
    expect(problem).toMatch(/^image docker.io\/kubeflow-ci\/jax-e2e:pr-7 is not in node e2e-control-plane after kind load/);
    expect(problem).toContain("docker.io/kubeflow-ci/jax-e2e:c-0123456789abcdef");
  });

  it("reads the API server's version from its /version answer (the lab's v1.35.5, as it answered)", () => {
    expect(parseServerVersion(fixture("apiserver-version.json"))).toBe("v1.35.5");
  });

  it("refuses a /version answer without a version, quoting it", () => {
    expect(() => parseServerVersion('{"kind":"Status","status":"Failure"}')).toThrow(/no gitVersion: \{"kind":"Status"/);
  });

  it("points at the lost annotation when the node holds anonymous imports", () => {
    const [problem] = missingImages(["docker.io/x/y:1"], ["import-2026-11-29@sha256:" + "a".repeat(64)], "e2e-control-plane");
    expect(problem).toMatch(/io.containerd.image.name/);
  });
});

describe("preflight", () => {
  const facts = parseEngineFacts(fixture("engine-facts.txt"));

  it("reads memory and disk from the probe's output", () => {
    expect(facts.memAvailableBytes).toBe(13580252 * 1024);
    expect(facts.cgroupAvailableBytes).toBeUndefined();
    expect(facts.diskAvailableBytes).toBe(14650276 * 1024);
  });

  it("caps memory by a cgroup limit", () => {
    const limited = parseEngineFacts(fixture("engine-facts.txt").replace("max\n104857600", String(3 * GIB) + "\n" + String(GIB)));
    expect(usableMemory(limited)).toBe(2 * GIB);
  });

  it("passes a JAX run on a GitHub runner sized engine", () => {
    const needs = runNeeds([jobMemoryBytes("512Mi", 2)], [400 * MIB]);
    expect(needs.memoryBytes).toBe(4 * GIB); // the floor
    expect(preflightProblems(facts, needs)).toEqual([]);
  });

  it("refuses memory below the threshold, saying what it found and what it needs", () => {
    const low = { ...facts, memAvailableBytes: 3 * GIB };
    const [problem] = preflightProblems(low, runNeeds([GIB], [400 * MIB]));
    expect(problem).toMatch(/^memory: the engine has 3\.0 GiB available, this run needs at least 4\.0 GiB/);
  });

  it("refuses a disk too small for the images", () => {
    const [problem] = preflightProblems({ ...facts, diskAvailableBytes: 3 * GIB }, runNeeds([GIB], [GIB]));
    expect(problem).toMatch(/^disk: 3\.0 GiB free where the engine keeps the cluster, this run needs 6\.0 GiB/);
  });

  it("says what is wrong when the probe output is unreadable", () => {
    expect(() => parseEngineFacts("MemTotal: 1 kB\n---\n---\n")).toThrow(/no MemAvailable/);
    expect(() => parseEngineFacts("MemAvailable: 1 kB\n---\nmax\n---\ngarbage")).toThrow(/cannot read free disk/);
  });

  it("parses memory quantities", () => {
    expect(quantityBytes("512Mi")).toBe(512 * MIB);
    expect(quantityBytes("1Gi")).toBe(GIB);
    expect(quantityBytes("1.5Gi")).toBe(1.5 * GIB);
    expect(quantityBytes("500M")).toBe(500e6);
    expect(() => quantityBytes("lots")).toThrow(/not a memory quantity/);
  });

  it("derives how many jobs run at once from available memory", () => {
    const jobs = [GIB, GIB, 2 * GIB];
    expect(jobConcurrency(16 * GIB, jobs)).toBe(3);
    expect(jobConcurrency(6 * GIB, jobs)).toBe(2);
    expect(jobConcurrency(4 * GIB, jobs)).toBe(1);
    expect(jobConcurrency(2.5 * GIB, jobs)).toBe(1); // never zero: jobs run one by one
    expect(jobConcurrency(8 * GIB, [])).toBe(1);
  });

  it("runs no more jobs at once than the node's CPUs can schedule beside the cluster's own pods", () => {
    // Measured in the lab: on 2 CPUs, three 2 x 250m jobs at once left a PyTorch pod Unschedulable.
    const memory = [GIB, GIB, GIB];
    const cpu = [jobCpuMillis("250m", 2), jobCpuMillis("250m", 2), jobCpuMillis("250m", 2)];
    expect(cpu).toEqual([500, 500, 500]);
    expect(jobConcurrency(16 * GIB, memory, 2, cpu)).toBe(2);
    expect(jobConcurrency(16 * GIB, memory, 4, cpu)).toBe(3);
    expect(jobConcurrency(16 * GIB, memory, undefined, cpu)).toBe(3);
    // Trainer v2: JobSet's controller requests 500m, which leaves room for one job on 2 CPUs.
    expect(jobConcurrency(16 * GIB, memory, 2, cpu, 500)).toBe(1);
    expect(jobConcurrency(16 * GIB, memory, 4, cpu, 500)).toBe(3);
    expect(cpuMillis("1")).toBe(1000);
    expect(cpuMillis("0.5")).toBe(500);
    expect(() => cpuMillis("lots")).toThrow(/not a CPU quantity/);
  });

  it("reads the CPU count and refuses a job that cannot fit beside the cluster", () => {
    const withCpus = parseEngineFacts(fixture("engine-facts.txt") + "---\n2\n");
    expect(withCpus.cpus).toBe(2);
    const [problem] = preflightProblems({ ...withCpus, cpus: 1 }, runNeeds([GIB], [GIB], [500]));
    expect(problem).toMatch(/^cpu: the engine has 1 CPU\(s\)/);
    expect(preflightProblems(withCpus, runNeeds([GIB], [GIB], [500]))).toEqual([]);
    expect(preflightProblems(withCpus, runNeeds([GIB], [GIB], [500], 600))[0]).toMatch(/^cpu: /);
  });
});

describe("commands", () => {
  it("bound every cluster command", () => {
    for (const seconds of Object.values(TIMEOUTS)) expect(seconds).toBeGreaterThan(0);
    const c = clusterCommands("e2e");
    expect(c.create).toContain("--retain");
    expect(c.waitNodes).toContain(`--timeout=${TIMEOUTS.nodeReady}s`);
  });

  it("install an operator step by step: apply, CRDs, each Deployment Available and its pods Ready, then runtimes", () => {
    const v1 = operatorInstallCommands({
      kustomizations: ["/operator"],
      deployments: [{ namespace: "kubeflow", name: "training-operator", selector: "control-plane=kubeflow-training-operator" }],
      runtimes: [],
      availableSeconds: TIMEOUTS.operatorAvailable,
    });
    expect(v1.map((c) => c.argv.join(" "))).toEqual([
      "kubectl apply --server-side -k /operator",
      `kubectl wait --for=condition=Established crd --all --timeout=${TIMEOUTS.crdsEstablished}s`,
      `kubectl wait --for=condition=Available -n kubeflow deployment/training-operator --timeout=${TIMEOUTS.operatorAvailable}s`,
      `kubectl wait --for=condition=Ready pods -n kubeflow -l control-plane=kubeflow-training-operator --timeout=${TIMEOUTS.operatorPodsReady}s`,
    ]);
    expect(v1[0]!.timeoutSeconds).toBe(TIMEOUTS.apply);
    expect(v1[2]!.timeoutSeconds).toBe(outerLimit(TIMEOUTS.operatorAvailable)); // kubectl's own message wins
    const v2 = operatorInstallCommands({
      kustomizations: ["/operator/manifests/overlays/manager", "/operator/manifests/overlays/runtimes"],
      deployments: [
        { namespace: "kubeflow-system", name: "kubeflow-trainer-controller-manager", selector: "app.kubernetes.io/name=trainer" },
        { namespace: "kubeflow-system", name: "jobset-controller-manager", selector: "" },
      ],
      runtimes: ["jax-distributed"],
      availableSeconds: TIMEOUTS.trainerAvailable,
    }).map((c) => c.argv.join(" "));
    expect(v2[0]).toBe("kubectl apply --server-side -k /operator/manifests/overlays/manager");
    expect(v2.slice(2, 5)).toEqual([
      `kubectl wait --for=condition=Available -n kubeflow-system deployment/kubeflow-trainer-controller-manager --timeout=${TIMEOUTS.trainerAvailable}s`,
      `kubectl wait --for=condition=Ready pods -n kubeflow-system -l app.kubernetes.io/name=trainer --timeout=${TIMEOUTS.operatorPodsReady}s`,
      `kubectl wait --for=condition=Available -n kubeflow-system deployment/jobset-controller-manager --timeout=${TIMEOUTS.trainerAvailable}s`,
    ]);
    expect(v2.slice(5)).toEqual([
      "kubectl apply --server-side -k /operator/manifests/overlays/runtimes",
      `kubectl wait --for=create clustertrainingruntime/jax-distributed --timeout=${TIMEOUTS.runtimeCreated}s`,
    ]);
  });

  it("render the interactive setup as a valid shell script that ends in a shell", () => {
    const script = interactiveSetupScript({
      clusterName: "e2e",
      apiServerPort: 6443,
      nodeImage: { archive: "/images/node.tar", reference: "docker.io/kindest/node:v1.35.5-ce977ae6d659" },
      archives: ["/images/jax.tar", "/images/it's odd.tar"],
      operator: {
        title: "the Training Operator",
        kustomizations: ["/operator/manifests/overlays/standalone"],
        deployments: [{ namespace: "kubeflow", name: "training-operator", selector: "control-plane=kubeflow-training-operator" }],
        runtimes: [],
        availableSeconds: TIMEOUTS.operatorAvailable,
      },
      jobsDir: "/e2e/jobs",
    });
    expect(shellSyntaxErrors(script)).toBe("");
    expect(script).toContain("timeout 600 kind create cluster --config /e2e/kind.yaml --retain --wait 0s &&");
    expect(script).toContain("kind load image-archive '/images/it'\\''s odd.tar' --name e2e");
    expect(script).toContain("--tls-server-name=localhost");
    expect(script).toContain("docker.io/kindest/node:v1.35.5-ce977ae6d659");
    expect(script).toContain("docker network create -d=bridge");
    const tail = script.trimEnd().split("\n").slice(-6);
    expect(tail[0]).toBe("fi");
    expect(tail[1]).toBe("sh"); // the user's shell; leaving it deletes the cluster
    expect(tail.slice(2).join("\n")).toContain("kind delete cluster --name e2e");
  });

  it("stop the interactive setup at the first failing step", () => {
    // Run the rendered structure for real with stand-ins for the tools: sh, not a cluster.
    const script = interactiveSetupScript({
      clusterName: "e2e",
      apiServerPort: 6443,
      nodeImage: { archive: "/images/node.tar", reference: "docker.io/kindest/node:v1.35.5-ce977ae6d659" },
      archives: [],
      operator: { title: "the Training Operator", kustomizations: ["/k"], deployments: [{ namespace: "kubeflow", name: "training-operator", selector: "" }], runtimes: [], availableSeconds: 300 },
      jobsDir: "/e2e/jobs",
    })
      .replace(/^sh$/m, ":")
      .replace(/^/, "timeout() { shift; \"$@\"; }\nkind() { echo \"kind $*\"; [ \"$1\" != create ]; }\nkubectl() { echo \"kubectl $*\"; }\ndocker() { echo \"docker $*\"; }\nsh() { echo \"sh script\"; }\n");
    const output = execFileSync("sh", ["-c", script], { encoding: "utf8" });
    expect(output).toContain("kind create cluster");
    expect(output).not.toContain("kubectl wait"); // nothing after the failed create ran
    expect(output).toContain("setup failed");
    expect(output).not.toContain("ready:");
  });
});

describe("a dockerd that restarted mid-run", () => {
  /** A client whose answers come from `answer`, by command; every command is recorded. */
  function scriptedRunner(answer: (argv: string[]) => ExecResult) {
    const calls: string[][] = [];
    const runner: CommandRunner<string> = {
      with: () => runner,
      run: async (argv) => (calls.push(argv), answer(argv)),
      runAndRead: async () => {
        throw new Error("not scripted");
      },
    };
    return { runner, calls };
  }
  const ok = (stdout = ""): ExecResult => ({ exitCode: 0, stdout, stderr: "" });

  async function created(nodeStates: ExecResult[]) {
    const { runner } = scriptedRunner((argv) => {
      if (argv[0] === "kind" && argv[1] === "get") return ok(fixture("kind-kubeconfig.yaml"));
      if (argv[0] === "docker" && argv[1] === "inspect") return nodeStates.shift()!;
      return ok();
    });
    return KindCluster.attach(runner, { name: "e2e", nodeImage: KIND_NODE_IMAGE, apiServerPort: 6443 }).create(() => {});
  }

  it("is not suspected while the node is the container the run created, still running", async () => {
    const cluster = await created([ok("true 2026-12-05T10:00:00Z\n"), ok("true 2026-12-05T10:00:00Z\n")]);
    expect(await cluster.nodeRestartProblem()).toBeUndefined();
  });

  it("is said when the node stopped, started anew, or is gone", async () => {
    const stopped = await created([ok("true 2026-12-05T10:00:00Z"), ok("false 2026-12-05T10:00:00Z")]);
    expect(await stopped.nodeRestartProblem()).toBe(
      "the Kind node e2e-control-plane is no longer the container this run started at 2026-12-05T10:00:00Z (running=false, started 2026-12-05T10:00:00Z): dockerd or the node restarted mid-run, so what follows (diagnostics included) comes from a restarted Docker service",
    );
    const anew = await created([ok("true 2026-12-05T10:00:00Z"), ok("true 2026-12-05T10:07:00Z")]);
    expect(await anew.nodeRestartProblem()).toMatch(/\(running=true, started 2026-12-05T10:07:00Z\): dockerd or the node restarted mid-run/);
    const gone = await created([ok("true 2026-12-05T10:00:00Z"), { exitCode: 1, stdout: "", stderr: "Error: No such object: e2e-control-plane" }]);
    expect(await gone.nodeRestartProblem()).toMatch(/\(not found: Error: No such object: e2e-control-plane\)/);
  });
});
