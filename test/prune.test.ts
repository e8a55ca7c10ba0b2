import { describe, expect, it } from "vitest";
import { describePrune, imagesByDigest, planPrune } from "../src/publish/prune.js";
import { parseChallenge, registryBase } from "../src/publish/registryClient.js";

const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const tagged = [
  { tag: "c-aaaaaaaaaaaaaaaa", digest: digest(1), created: "2026-12-01T10:00:00Z" },
  { tag: "0123456", digest: digest(1), created: "2026-12-01T10:00:00Z" },
  { tag: "c-bbbbbbbbbbbbbbbb", digest: digest(2), created: "2026-12-03T10:00:00+02:00" },
  { tag: "pr-7", digest: digest(2), created: "2026-12-03T10:00:00+02:00" },
  { tag: "c-cccccccccccccccc", digest: digest(3), created: "2026-12-05T10:00:00Z" },
  { tag: "c-0000000000000000", digest: digest(4) },
];

describe("pruning a framework's published images", () => {
  const images = imagesByDigest(tagged);

  it("groups tags by the manifest they name", () => {
    expect(images.map((i) => [i.digest, i.tags])).toEqual([
      [digest(1), ["0123456", "c-aaaaaaaaaaaaaaaa"]],
      [digest(2), ["c-bbbbbbbbbbbbbbbb", "pr-7"]],
      [digest(3), ["c-cccccccccccccccc"]],
      [digest(4), ["c-0000000000000000"]],
    ]);
  });

  it("keeps the newest N by the commit time they carry and removes the rest with all their tags", () => {
    const plan = planPrune(images, 2);
    expect(plan.keep.map((i) => i.digest)).toEqual([digest(3), digest(2)]);
    expect(plan.remove.map((i) => i.tags)).toEqual([["0123456", "c-aaaaaaaaaaaaaaaa"]]);
  });

  it("never removes an image that does not say how old it is", () => {
    const plan = planPrune(images, 1);
    expect(plan.undated.map((i) => i.tags)).toEqual([["c-0000000000000000"]]);
    expect(plan.remove.flatMap((i) => i.tags)).not.toContain("c-0000000000000000");
  });

  it("says what a dry run would do, and what a real one did", () => {
    const plan = planPrune(images, 2);
    expect(describePrune("r/jax-e2e", plan, true)[0]).toBe(`would remove r/jax-e2e@${digest(1)} (0123456, c-aaaaaaaaaaaaaaaa, created 2026-12-01T10:00:00Z)`);
    expect(describePrune("r/jax-e2e", plan, false)[0]).toMatch(/^removed /);
    expect(describePrune("r/jax-e2e", plan, true).at(-1)).toMatch(/^keep r\/jax-e2e@sha256:4+ \(c-0000000000000000\): no created annotation/);
  });

  it("never removes an image a release names, whatever its age", () => {
    const withRelease = imagesByDigest([...tagged, { tag: "v1.0.0", digest: digest(1), created: "2026-12-01T10:00:00Z" }]);
    const plan = planPrune(withRelease, 1);
    expect(plan.released.map((i) => i.tags)).toEqual([["0123456", "c-aaaaaaaaaaaaaaaa", "v1.0.0"]]);
    expect(plan.remove.map((i) => i.tags)).toEqual([["c-bbbbbbbbbbbbbbbb", "pr-7"]]);
    expect(describePrune("r", plan, true).at(-1)).toMatch(/: a release names it$/);
  });

  it("refuses to keep fewer than one", () => {
    expect(() => planPrune(images, 0)).toThrow(/keep must be a whole number of at least 1/);
  });
});

describe("the registry client's pieces", () => {
  it("reads a registry's challenge as Docker does", () => {
    expect(parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:x:pull"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://ghcr.io/token", service: "ghcr.io", scope: "repository:x:pull" },
    });
    expect(parseChallenge('Basic realm="Registry Realm"').scheme).toBe("basic");
  });

  it("talks plain HTTP only to this machine", () => {
    expect(registryBase("localhost:5000")).toBe("http://localhost:5000");
    expect(registryBase("127.0.0.1:5000")).toBe("http://127.0.0.1:5000");
    expect(registryBase("ghcr.io")).toBe("https://ghcr.io");
  });
});
