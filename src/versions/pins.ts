// Every version the cluster flow depends on, in one place. Each value was copied from a
// published source (kind release notes, the tools' checksum files, Docker Hub's index);
// none may be a moving tag.

/** docker:<version>-dind, multi-arch index digest. Runs dockerd for Kind; also the client base (docker CLI). */
export const DIND_IMAGE =
  "docker.io/library/docker:29.7.0-dind@sha256:084e385b0c9b7ab35d5a46dfedd033721448c000dbec71adcf13da8a9e71baa8";

export const KIND_VERSION = "v0.32.0";

/**
 * The node images the kind v0.32.0 release published (its release notes), by Kubernetes
 * minor, each checked against two public copies of those notes that agree:
 * kubernetes-sigs/cluster-api test/infrastructure/kind/mapper.go ("Pre-built images for Kind
 * v0.32") and chainguard-dev/actions setup-kind/action.yaml. v0.32.0 published none below 1.33.
 */
export const KIND_NODE_IMAGES: Readonly<Record<string, string>> = {
  "1.33": "kindest/node:v1.33.12@sha256:3f5c8443c620245e4d355cfe09e96a91ead32ceaa569d3f1ca9edf0cb2fe2ff4",
  "1.34": "kindest/node:v1.34.8@sha256:02722c2dedddcfc00febf5d27fbeb9b7b2c14294c82109ff4a85d89ac9ba3256",
  "1.35": "kindest/node:v1.35.5@sha256:ce977ae6d65918d0b58a5f8b5e940429c2ce42fa3a5619ec2bbc60b949c0ac95",
  "1.36": "kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5",
};

/**
 * The minors a run may ask for, per operator line: those each line runs its e2e tests on
 * upstream, as far as kind v0.32.0 published node images for them.
 * - v1.9.4: Kind node images v1.34.3 and v1.35.0, with kind v0.31.0, helm/kind-action's default
 *   (.github/workflows/{integration-tests,e2e-test-train-api}.yaml; unit tests run envtest 1.34.1,
 *   1.35.0 and 1.36.2).
 * - v2.3.0: 1.32.3, 1.33.1, 1.34.0 and 1.35.0 (.github/workflows/test-e2e.yaml, with kind v0.32.0);
 *   v0.32.0 published no 1.32 image, so 1.32 needs --node-image.
 * The newest is the default.
 */
export const SUPPORTED_KUBERNETES_VERSIONS = { v1: ["1.34", "1.35"], v2: ["1.33", "1.34", "1.35"] } as const;
export const DEFAULT_KUBERNETES_VERSION = "1.35";
export const KIND_NODE_IMAGE = KIND_NODE_IMAGES[DEFAULT_KUBERNETES_VERSION]!;

/**
 * kubectl per Kubernetes minor, each the patch of kind v0.32.0's node image of that minor (1.36:
 * the newest patch), so the client matches the node as kubectl's version skew policy asks
 * (within one minor). sha256 as published beside each binary (dl.k8s.io .../kubectl.sha256),
 * each found agreeing in two public projects that pin them: 1.33 to 1.35 in
 * kubernetes-sigs/kubespray (roles/kubespray_defaults/vars/main/checksums.yml) and
 * rancher/security-scan (hack/make/deps.mk); 1.36 in cert-manager/makefile-modules
 * (modules/tools/00_mod.mk).
 */
export const KUBECTL_RELEASES: Readonly<Record<string, { version: string; sha256: Record<Arch, string> }>> = {
  "1.33": {
    version: "v1.33.12",
    sha256: { amd64: "fe80ae4133b44fa2077db4af144e80765eb1b3b2eede55fbff6933c4374d8c6e", arm64: "d1a1f7b86859108406e997430a59c95c72a77cc33cdc4faccd046407aff2cfac" },
  },
  "1.34": {
    version: "v1.34.8",
    sha256: { amd64: "f6249132865c13abe3c9dd5038f5da65849cb86eee1608c001831504e481aa8c", arm64: "4c9fe1f717738950c638c38056130a8db5075e6413ae36d8687221a240cdf88b" },
  },
  "1.35": {
    version: "v1.35.5",
    sha256: { amd64: "90f75ea6ecc9ea5633262e1c0b83a40560003b30fc94a04cb099404fcef0c224", arm64: "ac69e06fd6860d69786692f5af1c3a1208ed54f8366a4d97ab15c172e99765ee" },
  },
  "1.36": {
    version: "v1.36.3",
    sha256: { amd64: "ebbd080e7c2e275093b55915722043257eb24004363e20acb3c4d71919f88336", arm64: "3d86f24401c41ae5a46ac50eef8865fe891d3647d324a0836f6c63757a126e62" },
  },
};

export type Arch = "amd64" | "arm64";

export interface PinnedBinary {
  name: string;
  url: string;
  sha256: string;
}

const KIND_SHA256: Record<Arch, string> = {
  amd64: "50030de23cf40a18505f20426f6a8506bedf13c6e509244bd1fa9463721b0f54",
  arm64: "b92cd615e97585de8ddade28ed5cd7feb4248d717c233eea5b03c37298900f5d",
};

/**
 * The kubectl minor for a node of Kubernetes `nodeMinor`: the same minor where one is pinned,
 * else the nearest one within kubectl's skew of one minor; a node of unknown version gets the
 * default minor's. Throws when no pinned kubectl may talk to that node.
 */
export function kubectlMinorFor(nodeMinor: string | undefined): string {
  if (nodeMinor === undefined) return DEFAULT_KUBERNETES_VERSION;
  if (KUBECTL_RELEASES[nodeMinor]) return nodeMinor;
  const number = (minor: string) => Number(minor.split(".")[1]);
  const near = Object.keys(KUBECTL_RELEASES).filter((m) => m.split(".")[0] === nodeMinor.split(".")[0] && Math.abs(number(m) - number(nodeMinor)) <= 1);
  if (near.length === 0) {
    throw new Error(`no pinned kubectl is within one minor of Kubernetes ${nodeMinor} (kubectl's version skew): kubectl is pinned for ${Object.keys(KUBECTL_RELEASES).join(", ")}`);
  }
  return near.sort((a, b) => number(a) - number(b))[0]!;
}

export function kindBinary(arch: Arch): PinnedBinary {
  return {
    name: "kind",
    url: `https://github.com/kubernetes-sigs/kind/releases/download/${KIND_VERSION}/kind-linux-${arch}`,
    sha256: KIND_SHA256[arch],
  };
}

/** kubectl for a node of Kubernetes `nodeMinor` (kubectlMinorFor). */
export function kubectlBinary(arch: Arch, nodeMinor: string | undefined): PinnedBinary {
  const release = KUBECTL_RELEASES[kubectlMinorFor(nodeMinor)]!;
  return {
    name: "kubectl",
    url: `https://dl.k8s.io/release/${release.version}/bin/linux/${arch}/kubectl`,
    sha256: release.sha256[arch],
  };
}

/** The engine's platform (e.g. "linux/arm64/v8") as one of the architectures the pins cover. */
export function archOf(platform: string): Arch {
  const [os, arch] = platform.split("/");
  if (os === "linux" && (arch === "amd64" || arch === "arm64")) return arch;
  throw new Error(`the engine's platform "${platform}" is not supported: kind and kubectl are pinned for linux/amd64 and linux/arm64`);
}

/** A release tree fetched with git: the tag, and the commit it must resolve to (checked, so a moved tag fails). */
export interface PinnedTree {
  repository: string;
  tag: string;
  commit: string;
}

/** kubeflow/trainer: both operator lines live in one repository. */
export const OPERATOR_REPOSITORY = "https://github.com/kubeflow/trainer.git";

/**
 * Training Operator v1 line (JAXJob appeared in v1.9.0). Commit: the lightweight tag as
 * `git ls-remote` of kubeflow/trainer lists it (test/pins.test.ts checks every pin that way).
 */
export const OPERATOR_V1: PinnedTree = { repository: OPERATOR_REPOSITORY, tag: "v1.9.4", commit: "4445c12aa62e4345b0c2c6ac9b215a70eca46ed7" };

/** Kubeflow Trainer v2 line. Commit: the lightweight tag as `git ls-remote` of kubeflow/trainer lists it. */
export const TRAINER_V2: PinnedTree = { repository: OPERATOR_REPOSITORY, tag: "v2.3.0", commit: "658725bdae5c7e3a0854d93ac6ff492e109a22ab" };

/**
 * JobSet, which Trainer v2.3.0's manager overlay installs from its release file
 * (manifests/third-party/jobset/kustomization.yaml). The module rebuilds that file from JobSet's
 * own tree at the tag, as JobSet's `make artifacts` does. `v0.12.0` is an annotated tag (tag
 * object b16bcb1b) pointing at this commit, as `git ls-remote` of kubernetes-sigs/jobset lists
 * it and as Dagger resolves it (the peeled commit: dagger util/gitutil/ls_remote.go, Lookup).
 * The tag was re-cut onto this commit after the Go module proxy recorded its parent 09e9a3bb
 * (the two differ only in cloudbuild.yaml): never take a pin from the proxy's record.
 */
export const JOBSET: PinnedTree = { repository: "https://github.com/kubernetes-sigs/jobset.git", tag: "v0.12.0", commit: "f22e565ac3cc3265c7c45ef67ecffdc689af5d77" };
