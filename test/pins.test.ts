// Every release tree the module fetches by tag must resolve, the way git (and Dagger) resolve
// it, to the commit pinned beside it: the module refuses a tag that names another commit
// (operator/deploy.ts pinnedTree), so a wrong pin stops every real run before a cluster exists.
// Checked against the real repositories and the public tags, never a mirror's record.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import * as pins from "../src/versions/pins.js";
import type { PinnedTree } from "../src/versions/pins.js";
import { localRepository, lsRemote, parseRefs, publicRefs, repositorySlug, resolveTag } from "./helpers/upstreamGit.js";

const isPinnedTree = (value: unknown): value is PinnedTree =>
  typeof value === "object" && value !== null && ["repository", "tag", "commit"].every((key) => typeof (value as Record<string, unknown>)[key] === "string");
const PINNED_TREES = Object.entries(pins).filter((entry): entry is [string, PinnedTree] => isPinnedTree(entry[1]));

describe("a tag resolves as Dagger resolves it", () => {
  const annotated = parseRefs("b16bcb1b7b23aa477b677ad8cfd9e984f7fd6fe1\trefs/tags/v0.12.0\nf22e565ac3cc3265c7c45ef67ecffdc689af5d77\trefs/tags/v0.12.0^{}\n");

  it("an annotated tag to the commit it points at, not to its tag object", () => {
    expect(resolveTag(annotated, "v0.12.0")).toBe("f22e565ac3cc3265c7c45ef67ecffdc689af5d77");
  });

  it("a lightweight tag to its commit; an unknown tag is an error", () => {
    expect(resolveTag(parseRefs("658725bdae5c7e3a0854d93ac6ff492e109a22ab\trefs/tags/v2.3.0"), "v2.3.0")).toBe("658725bdae5c7e3a0854d93ac6ff492e109a22ab");
    expect(() => resolveTag(annotated, "v0.12")).toThrow(/no tag v0.12/);
  });
});

describe("every pinned release tree", () => {
  it("covers the three trees the module fetches", () => {
    expect(PINNED_TREES.map(([name]) => name).sort()).toEqual(["JOBSET", "OPERATOR_V1", "TRAINER_V2"]);
  });

  it.each(PINNED_TREES)("%s: the public repository's tag names the pinned commit", (_, pin) => {
    expect(resolveTag(publicRefs(repositorySlug(pin.repository)), pin.tag)).toBe(pin.commit);
  });

  const hasTag = (pin: PinnedTree) => {
    const repository = localRepository(repositorySlug(pin.repository), [pin.tag]);
    return repository !== undefined && lsRemote(repository).some((r) => r.name === `refs/tags/${pin.tag}`);
  };
  const withRepository = PINNED_TREES.filter(([, pin]) => hasTag(pin));

  it("has a real git repository of the tag for Trainer v2 and JobSet at least (the upstream folder cannot hold v1.9.4's)", () => {
    expect(withRepository.map(([name]) => name)).toEqual(expect.arrayContaining(["JOBSET", "TRAINER_V2"]));
  });

  it.each(withRepository)("%s: git ls-remote of the real repository resolves the tag to the pinned commit", (_, pin) => {
    const repository = localRepository(repositorySlug(pin.repository), [pin.tag])!;
    const refs = lsRemote(repository);
    expect(resolveTag(refs, pin.tag)).toBe(pin.commit);
    expect(execFileSync("git", ["--git-dir", repository, "rev-parse", `${pin.tag}^{commit}`], { encoding: "utf8" }).trim()).toBe(pin.commit);
    // The repository holds the tag exactly as the public one lists it (tag object included).
    const tagRefs = (list: typeof refs) => list.filter((r) => r.name.startsWith(`refs/tags/${pin.tag}`));
    expect(tagRefs(refs)).toEqual(tagRefs(publicRefs(repositorySlug(pin.repository))));
  });
});
