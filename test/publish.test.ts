import { describe, expect, it } from "vitest";
import { fsReader } from "../src/catalog/fsReader.js";
import { loadCatalog, type CatalogEntry } from "../src/catalog/loader.js";
import { contentTag } from "../src/catalog/tag.js";
import { checkCredentials, checkImagesFrom, parsePublished, parseRegistry, planPublish, publishedLines, recordedDigest } from "../src/publish/plan.js";
import { publishedReference } from "../src/publish/pull.js";
import { REPO_ROOT } from "./helpers/catalogFixture.js";

const catalog = await loadCatalog(fsReader(REPO_ROOT));
const jax = catalog.find((e) => e.name === "jax")!;
const mpi = catalog.find((e) => e.name === "mpi")!;
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

describe("the registry argument", () => {
  it("takes host[:port]/path and drops a trailing slash", () => {
    expect(parseRegistry("ghcr.io/kubeflow/training-operator-ci/")).toBe("ghcr.io/kubeflow/training-operator-ci");
    expect(parseRegistry("localhost:5000")).toBe("localhost:5000");
    expect(parseRegistry("Registry.Example.com:443/e2e")).toBe("registry.example.com:443/e2e");
  });

  it.each([
    ["", /is empty/],
    ["https://ghcr.io/x", /has a scheme/],
    ["ghcr.io/x/y:v1", /has a tag or digest/],
    ["ghcr.io/x@sha256:00", /has a tag or digest/],
    ["kubeflow-ci/e2e", /does not start with a registry host \(kubeflow-ci\)/],
    ["ghcr.io/Team", /invalid path component "Team"/],
  ])("refuses %j, saying what would be valid", (value, problem) => {
    expect(() => parseRegistry(value)).toThrow(problem);
    expect(() => parseRegistry(value)).toThrow(/^--registry: .*give host\[:port\]\/path/);
  });
});

describe("a publish plan", () => {
  const request = { registry: "localhost:5000/e2e", revision: COMMIT, pr: 42, created: "2026-12-06T01:02:03+00:00", source: "https://github.com/example/training-operator-ci" };

  it("names each image under the registry, tagged with its version, the commit and pr-N", () => {
    const [plan] = planPublish([jax], request);
    expect(plan!.repository).toBe("localhost:5000/e2e/jax-e2e");
    expect(plan!.tags).toEqual([contentTag(jax), COMMIT, "pr-42"]);
    expect(planPublish([jax], { registry: "localhost:5000" })[0]!.tags).toEqual([contentTag(jax)]);
  });

  it("annotates source, revision, version, the commit's time and the pinned packages", () => {
    const annotations = planPublish([mpi], request)[0]!.annotations;
    expect(annotations).toMatchObject({
      "org.opencontainers.image.source": request.source,
      "org.opencontainers.image.revision": COMMIT,
      "org.opencontainers.image.version": contentTag(mpi),
      "org.opencontainers.image.created": request.created,
      "org.opencontainers.image.base.digest": mpi.baseImage.digest,
      "org.kubeflow.training-operator-ci.framework": "mpi",
      "org.kubeflow.training-operator-ci.python-packages": "mpi4py==4.1.2,numpy==2.4.6",
      "org.kubeflow.training-operator-ci.system-packages": "openmpi-bin=4.1.4-3+b1",
    });
  });

  it("says nothing it was not told: no clock time, no revision or source by default", () => {
    const annotations = planPublish([jax], { registry: "localhost:5000" })[0]!.annotations;
    expect(Object.keys(annotations).filter((k) => /created|revision|source/.test(k))).toEqual([]);
    expect(annotations).not.toHaveProperty(["org.kubeflow.training-operator-ci.system-packages"]);
  });

  it("changes the version only when the image's inputs change", () => {
    const edited: CatalogEntry = { ...jax, payload: jax.payload.map((f) => ({ ...f, sha256: "0".repeat(64) })) };
    const [before, after] = [planPublish([jax], request)[0]!, planPublish([edited], request)[0]!];
    expect(after.tags[0]).not.toBe(before.tags[0]);
    expect(after.tags.slice(1)).toEqual(before.tags.slice(1));
  });

  it.each([
    [{ revision: "main" }, /^--revision: "main" is not a commit/],
    [{ pr: 0 }, /^--pr: 0 is not a pull request number/],
    [{ created: "yesterday" }, /^--created: "yesterday" is not an RFC 3339 time/],
    [{ created: "2026-12-06" }, /^--created: .* RFC 3339/],
    [{ source: "http://example.com" }, /^--source: .* https:\/\//],
  ])("refuses %j, naming the argument", (bad, problem) => {
    expect(() => planPublish([jax], { registry: "localhost:5000", ...bad })).toThrow(problem);
  });

  it("refuses two frameworks whose images would share a repository", () => {
    const twin: CatalogEntry = { ...jax, name: "jax2", spec: { ...jax.spec, image: { ...jax.spec.image, repository: "other/jax-e2e" } } };
    expect(() => planPublish([jax, twin], { registry: "localhost:5000" })).toThrow(/^--framework: jax and jax2 would both publish to localhost:5000\/jax-e2e/);
  });

  it("prints one line per pushed reference", () => {
    expect(publishedLines([{ framework: "jax", references: ["r/jax-e2e:c-1@sha256:aa", "r/jax-e2e:pr-1@sha256:aa"] }])).toBe("jax\tr/jax-e2e:c-1@sha256:aa\njax\tr/jax-e2e:pr-1@sha256:aa");
  });
});

describe("registry credentials", () => {
  it("come together or not at all", () => {
    expect(() => checkCredentials("ci", true)).not.toThrow();
    expect(() => checkCredentials("", false)).not.toThrow();
    expect(() => checkCredentials("ci", false)).toThrow(/^--password: give --username and --password together/);
    expect(() => checkCredentials("", true)).toThrow(/^--username: give --username and --password together/);
  });
});

describe("test --images-from", () => {
  it("looks for the image these sources build, by its version, where publish put it", () => {
    expect(publishedReference("localhost:5000/e2e/", { entry: jax })).toBe(`localhost:5000/e2e/jax-e2e:${contentTag(jax)}`);
    expect(() => publishedReference("kubeflow-ci", { entry: jax })).toThrow(/^--images-from: "kubeflow-ci" does not start with a registry host/);
  });

  it("names the registry arguments of test in a half-given credential", () => {
    expect(() => checkCredentials("ci", false, "registry-")).toThrow(/^--registry-password: give --registry-username and --registry-password together/);
  });
});

describe("publish's output, read back (--published)", () => {
  const D = `sha256:${"a".repeat(64)}`;
  const text = `jax\tlocalhost:5000/e2e/jax-e2e:c-0123456789abcdef@${D}\njax\tlocalhost:5000/e2e/jax-e2e:${COMMIT}@${D}\n`;

  it("gives the digest publish pushed for a framework's image at a tag", () => {
    const records = parsePublished(text);
    expect(records[0]).toEqual({ framework: "jax", repository: "localhost:5000/e2e/jax-e2e", tag: "c-0123456789abcdef", digest: D });
    expect(recordedDigest(records, "jax", "localhost:5000/e2e/jax-e2e", "c-0123456789abcdef")).toBe(D);
  });

  it("names a line that is not publish's, an empty file, and an image it does not list", () => {
    expect(() => parsePublished("jax localhost:5000/e2e/jax-e2e:c-1")).toThrow(/^--published: line 1 is not publish's output/);
    expect(() => parsePublished("\n")).toThrow(/^--published: lists no published image/);
    expect(() => recordedDigest(parsePublished(text), "xgboost", "localhost:5000/e2e/xgboost-e2e", "c-0")).toThrow(/^--published: lists no xgboost image at localhost:5000\/e2e\/xgboost-e2e:c-0/);
  });
});

describe("test's registry arguments", () => {
  it("belong to --images-from, and a revision only to a run that builds", () => {
    expect(() => checkImagesFrom({ imagesFrom: "", revision: "", credentials: true, published: false })).toThrow(/^--registry-username: is for --images-from's registry/);
    expect(() => checkImagesFrom({ imagesFrom: "", revision: "", credentials: false, published: true })).toThrow(/^--published: .*give --images-from too/);
    expect(() => checkImagesFrom({ imagesFrom: "r.io/x", revision: COMMIT, credentials: false, published: false })).toThrow(/^--revision: labels images the run builds/);
    expect(() => checkImagesFrom({ imagesFrom: "r.io/x", revision: "", credentials: true, published: true })).not.toThrow();
    expect(() => checkImagesFrom({ imagesFrom: "", revision: COMMIT, credentials: false, published: false })).not.toThrow();
  });
});
