// The mirror file (--mirrors): every outside reference of a run replaced by a copy that stays
// pinned, and each bad entry named.
import { describe, expect, it } from "vitest";
import { kindBinary, kubectlBinary, DIND_IMAGE, JOBSET } from "../src/versions/pins.js";
import { Mirrors, parseMirrorFile, PYPI_INDEX } from "../src/versions/mirrors.js";

const DIGEST = `sha256:${"a".repeat(64)}`;
const SUM = "b".repeat(64);

describe("a mirror file", () => {
  const mirrors = parseMirrorFile(`
images:
  docker:29.7.0-dind@${DIND_IMAGE.split("@")[1]}: registry.internal:5000/library/docker:29.7.0-dind@${DIGEST}
  ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.3.0: registry.internal:5000/trainer/controller@${DIGEST}
binaries:
  ${kindBinary("amd64").url}:
    url: http://files.internal/kind-linux-amd64
    sha256: ${SUM}
git:
  ${JOBSET.repository}: http://git.internal/kubernetes-sigs/jobset.git
pipIndexes:
  ${PYPI_INDEX}: http://pypi.internal/simple
`);

  it("replaces an image however the run spells it, and only that exact reference", () => {
    expect(mirrors.image(DIND_IMAGE)).toBe(`registry.internal:5000/library/docker:29.7.0-dind@${DIGEST}`);
    expect(mirrors.image("ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.3.0")).toBe(`registry.internal:5000/trainer/controller@${DIGEST}`);
    expect(mirrors.image("ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.4.0")).toBe("ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.4.0");
    expect(mirrors.image("docker.io/library/docker:29.7.0-dind")).toBe("docker.io/library/docker:29.7.0-dind");
  });

  it("replaces a binary with its mirror's URL and checksum; others stay as pinned", () => {
    expect(mirrors.binary(kindBinary("amd64"))).toEqual({ name: "kind", url: "http://files.internal/kind-linux-amd64", sha256: SUM });
    expect(mirrors.binary(kubectlBinary("amd64", "1.35"))).toEqual(kubectlBinary("amd64", "1.35"));
  });

  it("replaces git repositories and package indexes", () => {
    expect(mirrors.git(JOBSET.repository)).toBe("http://git.internal/kubernetes-sigs/jobset.git");
    expect(mirrors.git("https://github.com/kubeflow/trainer.git")).toBe("https://github.com/kubeflow/trainer.git");
    expect(mirrors.pipIndex(PYPI_INDEX)).toBe("http://pypi.internal/simple");
    expect(mirrors.used).toBe(true);
  });

  it("mirrors pip's default index where a plan names none, and leaves a plan alone without one", () => {
    expect(mirrors.pipIndexes({ extraIndexUrls: [] })).toEqual({ indexUrl: "http://pypi.internal/simple", extraIndexUrls: [] });
    expect(new Mirrors().pipIndexes({ extraIndexUrls: [] })).toEqual({ indexUrl: undefined, extraIndexUrls: [] });
    expect(mirrors.pipIndexes({ indexUrl: "https://download.pytorch.org/whl/cpu", extraIndexUrls: [PYPI_INDEX] })).toEqual({
      indexUrl: "https://download.pytorch.org/whl/cpu",
      extraIndexUrls: ["http://pypi.internal/simple"],
    });
  });

  it("without a file, changes nothing", () => {
    const none = new Mirrors();
    expect(none.used).toBe(false);
    expect(none.image(DIND_IMAGE)).toBe(DIND_IMAGE);
    expect(parseMirrorFile("").used).toBe(false);
  });
});

describe("a bad mirror file is refused, naming the entry", () => {
  const refused = (text: string) => () => parseMirrorFile(text);

  it("an image copy without a digest", () => {
    expect(refused("images:\n  alpine:3.22.6: registry.internal/alpine:3.22.6\n")).toThrow(
      '--mirrors: images["alpine:3.22.6"]: must be pinned by digest: name@sha256:<64 hex digits> (or name:tag@sha256:...)',
    );
  });

  it("a binary without a checksum, or with a bad one", () => {
    expect(refused(`binaries:\n  ${kindBinary("amd64").url}:\n    url: http://files.internal/kind\n`)).toThrow(/^--mirrors: binaries\[".*kind-linux-amd64"\]\.sha256: /);
    expect(refused(`binaries:\n  ${kindBinary("amd64").url}:\n    url: http://files.internal/kind\n    sha256: abc\n`)).toThrow(/\.sha256: must be 64 lowercase hex digits$/);
  });

  it("an unknown key, at the top or in an entry", () => {
    expect(refused("image:\n  a: b\n")).toThrow('--mirrors: (top level): unknown key "image": a mirror file has images, binaries, git, pipIndexes and goProxy');
    expect(refused(`binaries:\n  ${kindBinary("amd64").url}:\n    url: http://f/k\n    sha256: ${SUM}\n    size: 1\n`)).toThrow(/binaries\[".*"\]: unknown key "size"/);
  });

  it("a git mirror or index that is not a URL, and YAML that does not parse", () => {
    expect(refused("git:\n  https://github.com/kubeflow/trainer.git: /srv/trainer.git\n")).toThrow('--mirrors: git["https://github.com/kubeflow/trainer.git"]: must be an http(s) URL');
    expect(refused("images: [\n")).toThrow(/^--mirrors: invalid YAML/);
    expect(refused("goProxy: goproxy.internal\n")).toThrow("--mirrors: goProxy: must be an http(s) URL");
  });

  it("a Go proxy alone is a mirror file that is used", () => {
    const proxy = parseMirrorFile("goProxy: http://goproxy.internal\n");
    expect(proxy.used).toBe(true);
    expect(proxy.goProxy).toBe("http://goproxy.internal");
    expect(parseMirrorFile("").goProxy).toBeUndefined();
  });
});
