// The pinned upstream trees as git has them: real repositories of the pinned tags (the
// folder ../shared/upstream, or UPSTREAM_SOURCES), and the tags as `git ls-remote` of the
// public repositories lists them (its refs.txt); where that folder is absent (a GitHub
// runner), the public repositories themselves. A tag resolves here the way Dagger resolves
// it (dagger v0.21.8 util/gitutil/ls_remote.go, Remote.Lookup): an annotated tag to the
// commit it points at, never to what a mirror recorded.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { PinnedTree } from "../../src/versions/pins.js";
import { REPO_ROOT } from "./catalogFixture.js";

/**
 * Where the upstream sources are: UPSTREAM_SOURCES, else ../shared/upstream beside the checkout;
 * undefined where neither exists (a machine that reaches GitHub then asks the repositories).
 */
export function upstreamDir(): string | undefined {
  const dir = process.env.UPSTREAM_SOURCES ?? resolve(REPO_ROOT, "..", "shared", "upstream");
  if (existsSync(join(dir, "refs.txt"))) return dir;
  if (process.env.UPSTREAM_SOURCES) throw new Error(`UPSTREAM_SOURCES=${dir} holds no refs.txt: point it at the folder of upstream sources (its README.md)`);
  return undefined;
}

const publicUrl = (slug: string) => `https://github.com/${slug}.git`;

/** `owner/name` of a repository URL such as https://github.com/kubeflow/trainer.git. */
export function repositorySlug(url: string): string {
  const match = /github\.com\/([^/]+\/[^/]+?)(\.git)?$/.exec(url);
  if (!match) throw new Error(`${url} is not a GitHub repository URL`);
  return match[1]!;
}

export interface RemoteRef {
  sha: string;
  name: string;
}

/** Parses `git ls-remote` lines (`<sha>\t<ref>`); refs.txt adds the repository between them. */
export function parseRefs(text: string): RemoteRef[] {
  return text.split("\n").flatMap((line) => {
    const [sha, ...rest] = line.trim().split(/\s+/);
    const name = rest.at(-1);
    return sha && name && /^[0-9a-f]{40}$/.test(sha) ? [{ sha, name }] : [];
  });
}

/**
 * The commit `tag` names among `refs`, as Dagger's Remote.Lookup picks it: refs/tags/<tag> and
 * refs/tags/<tag>^{} both match, the later one wins, and ls-remote lists the peeled line
 * (the commit an annotated tag points at) right after the tag object's.
 */
export function resolveTag(refs: RemoteRef[], tag: string): string {
  const tagRef = `refs/tags/${tag}`;
  let match: string | undefined;
  for (const ref of refs) if (ref.name === tagRef || ref.name === `${tagRef}^{}`) match = ref.sha;
  if (!match) throw new Error(`no tag ${tag} among ${refs.length} refs`);
  return match;
}

/** The tags of one public repository: as refs.txt records its `git ls-remote`, or (without the folder) asked live. */
export function publicRefs(slug: string): RemoteRef[] {
  const dir = upstreamDir();
  if (!dir) return lsRemote(publicUrl(slug));
  const lines = readFileSync(join(dir, "refs.txt"), "utf8").split("\n").filter((l) => l.split(/\s+/)[1] === slug);
  return parseRefs(lines.join("\n"));
}

const ARCHIVES: Record<string, string> = {
  "kubeflow/trainer": "kubeflow-trainer-v2.3.0.git.tar.xz",
  "kubernetes-sigs/jobset": "kubernetes-sigs-jobset-v0.12.0.git.tar.xz",
};

/** Unpacks or fetches into a cache folder once; `fill` writes the content into the folder it is given. */
function cached(key: string, fill: (dir: string) => void): string {
  const target = join(tmpdir(), "training-operator-ci-upstream", key);
  if (!existsSync(join(target, ".done"))) {
    const staging = `${target}.${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    fill(staging);
    writeFileSync(join(staging, ".done"), "");
    mkdirSync(dirname(target), { recursive: true });
    try {
      renameSync(staging, target);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another worker was first
    }
  }
  return target;
}

/**
 * A bare git repository of `slug` holding `tags`: from the upstream folder (unpacked once, its
 * sha256 checked against SHA256SUMS), or without the folder fetched from the public repository.
 * Undefined when the folder has none of that repository.
 */
export function localRepository(slug: string, tags: string[] = []): string | undefined {
  const dir = upstreamDir();
  if (!dir) {
    const target = cached(`${slug.replace("/", "+")}-${tags.join("+")}`, (staging) => {
      execFileSync("git", ["init", "-q", "--bare", staging]);
      for (const tag of tags) execFileSync("git", ["--git-dir", staging, "fetch", "-q", "--depth=1", publicUrl(slug), `refs/tags/${tag}:refs/tags/${tag}`]);
    });
    return target;
  }
  const archive = ARCHIVES[slug];
  if (!archive || !existsSync(join(dir, archive))) return undefined;
  const path = join(dir, archive);
  const sum = createHash("sha256").update(readFileSync(path)).digest("hex");
  const listed = readFileSync(join(dir, "SHA256SUMS"), "utf8").split("\n").find((l) => l.trim().endsWith(archive))?.split(/\s+/)[0];
  if (listed !== sum) throw new Error(`${path}: sha256 ${sum} is not the one SHA256SUMS lists (${listed ?? "none"})`);
  const target = cached(sum.slice(0, 16), (staging) => execFileSync("tar", ["-C", staging, "-xJf", path]));
  const repo = readdirSync(target).find((entry) => entry.endsWith(".git"));
  if (!repo) throw new Error(`${path} holds no bare git repository`);
  return join(target, repo);
}

const git = (...args: string[]) => execFileSync("git", args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });

/** `git ls-remote` of a repository, as Dagger runs it against the remote. */
export function lsRemote(repository: string): RemoteRef[] {
  return parseRefs(git("ls-remote", repository));
}

/**
 * The pinned tree's repository, checked: its tag, as `git ls-remote` resolves it, names the
 * pinned commit. Throws otherwise, or when no repository of it is here.
 */
export function pinnedRepository(pin: PinnedTree): string {
  const slug = repositorySlug(pin.repository);
  const repository = localRepository(slug, [pin.tag]);
  if (!repository) throw new Error(`no git repository of ${slug} in ${upstreamDir()}`);
  const commit = resolveTag(lsRemote(repository), pin.tag);
  if (commit !== pin.commit) throw new Error(`${slug} tag ${pin.tag} resolves to ${commit}, not the pinned ${pin.commit}`);
  return repository;
}

/** Writes `folders` of the pinned commit's tree to `target` (what `dag.git(...).commit(...).tree()` holds). */
export function exportTree(pin: PinnedTree, target: string, folders: string[]): string {
  const repository = pinnedRepository(pin);
  mkdirSync(target, { recursive: true });
  const tar = execFileSync("git", ["--git-dir", repository, "archive", "--format=tar", pin.commit, ...folders], { maxBuffer: 512 * 1024 * 1024 });
  execFileSync("tar", ["-C", target, "-xf", "-"], { input: tar });
  return target;
}
