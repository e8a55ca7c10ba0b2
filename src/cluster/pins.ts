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

/** kubectl one minor above the node, inside the supported version skew. */
export const KUBECTL_VERSION = "v1.36.3";

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

const KUBECTL_SHA256: Record<Arch, string> = {
  amd64: "ebbd080e7c2e275093b55915722043257eb24004363e20acb3c4d71919f88336",
  arm64: "3d86f24401c41ae5a46ac50eef8865fe891d3647d324a0836f6c63757a126e62",
};

export function kindBinary(arch: Arch): PinnedBinary {
  return {
    name: "kind",
    url: `https://github.com/kubernetes-sigs/kind/releases/download/${KIND_VERSION}/kind-linux-${arch}`,
    sha256: KIND_SHA256[arch],
  };
}

export function kubectlBinary(arch: Arch): PinnedBinary {
  return {
    name: "kubectl",
    url: `https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${arch}/kubectl`,
    sha256: KUBECTL_SHA256[arch],
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
