// The lab's shared Go caches (test/lab/build/go-env.sh): the builds running at once share one
// module and one build cache, and the last to end removes them. Run here for real under bash,
// with builds that write into the caches as `go` would and end in turn.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/catalogFixture.js";

let cache: string;
beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), "lab-go-caches-"));
});
afterEach(() => rmSync(cache, { recursive: true, force: true }));

const GO_ENV = join(REPO_ROOT, "test/lab/build/go-env.sh");
/** Runs `script` under bash with go-env.sh sourced and LAB_CACHE set; returns its output. */
const bash = (script: string) =>
  execFileSync("bash", ["-c", `set -euo pipefail; source "${GO_ENV}"; ${script}`], { encoding: "utf8", env: { ...process.env, LAB_CACHE: cache } });

// A build: joins, writes a cache entry and a read-only module file (as Go leaves them), waits
// for its file `go-on-NAME`, then exits (its EXIT trap leaves the caches).
const build = (name: string) =>
  `( lab_go_caches ${name} >/dev/null; mkdir -p "$GOCACHE" "$GOMODCACHE/m"; echo ${name} > "$GOCACHE/${name}"; echo x > "$GOMODCACHE/m/${name}"; chmod -R a-w "$GOMODCACHE/m"; touch "$LAB_CACHE/joined-${name}"; while [ ! -e "$LAB_CACHE/go-on-${name}" ]; do sleep 0.05; done ) &`;
const waitFor = (file: string) => `while [ ! -e "$LAB_CACHE/${file}" ]; do sleep 0.05; done`;

it("keeps the caches while any build still runs, and the last to end removes them", () => {
  const out = bash(`
    ${build("a")} a=$!
    ${build("b")} b=$!
    ${waitFor("joined-a")}; ${waitFor("joined-b")}
    touch "$LAB_CACHE/go-on-a"; wait $a
    echo "after a: $(ls "$LAB_CACHE/go/build" | tr '\\n' ' ')"
    touch "$LAB_CACHE/go-on-b"; wait $b
    echo "after b: $(ls "$LAB_CACHE/go" | tr '\\n' ' ')"
  `);
  expect(out).toContain("after a: a b ");
  expect(out).toMatch(/after b: users \n/);
  expect(existsSync(join(cache, "go", "mod"))).toBe(false);
});

it("a build that was killed without leaving does not keep the caches, and a new run starts from none", () => {
  const out = bash(`
    { ( lab_go_caches killed >/dev/null; mkdir -p "$GOCACHE"; echo stale > "$GOCACHE/stale"; kill -9 $BASHPID ) || true; } 2>/dev/null
    echo "left: $(ls "$LAB_CACHE/go/users" | wc -l) user, $(ls "$LAB_CACHE/go/build")"
    ( lab_go_caches next >/dev/null; echo "joined: $(ls "$GOCACHE" 2>/dev/null | wc -l) entries, $(ls "$LAB_CACHE/go/users" | wc -l) user" )
  `);
  expect(out).toContain("left: 1 user, stale");
  expect(out).toContain("joined: 0 entries, 1 user");
});

// The engine lab's registry image takes the test tools' registry instead of compiling it again
// (test/engine-lab/build/sdk.sh), only when its build info says it is the lab's own build.
it("the test tools' registry is the lab's build of it, and another module, version or binary is not", () => {
  const same = (binary: string, version: string) => {
    try {
      bash(`lab_go_same_build "${binary}" github.com/distribution/distribution/v3 ${version}`);
      return true;
    } catch {
      return false;
    }
  };
  const tools = join(REPO_ROOT, ".tools", "bin");
  expect(same(join(tools, "registry"), "v3.0.0"), "scripts/install-tools.sh no longer builds the registry with the lab's flags").toBe(true);
  expect(same(join(tools, "registry"), "v3.0.1")).toBe(false);
  expect(same(join(tools, "kustomize"), "v3.0.0")).toBe(false);
  expect(same(join(tools, "missing"), "v3.0.0")).toBe(false);
});
