// The registry client and pruning against a real registry: CNCF Distribution's `registry`
// (v3.0.0, built by scripts/install-tools.sh), with htpasswd authentication and deletes
// enabled, on a free local port. Images are pushed through the same distribution API.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkReleaseTag, promoteImage } from "../src/publish/promote.js";
import { pruneRepository } from "../src/publish/pruneRun.js";
import { RegistryClient } from "../src/publish/registryClient.js";
import { REPO_ROOT } from "./helpers/catalogFixture.js";

const REGISTRY = join(REPO_ROOT, ".tools", "bin", "registry");
// A test-only account: user "ci", password "lab-password" (bcrypt, cost 4).
const HTPASSWD = "ci:$2y$04$oaHBgUbBgg62KLCdT2cLoOKGvgQrwo4Tn.GJiHdMmpGDJjDArjs0q\n";
const GOOD = { username: "ci", password: "lab-password" };
const BASIC = `Basic ${Buffer.from("ci:lab-password").toString("base64")}`;

let dir: string;
let server: ChildProcess;
let host: string;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function call(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
  const absolute = url.startsWith("http") ? url : `http://${host}${url}`;
  return fetch(absolute, { method, body, headers: { authorization: BASIC, ...headers } });
}

async function putBlob(repository: string, content: string): Promise<{ digest: string; size: number }> {
  const digest = `sha256:${createHash("sha256").update(content).digest("hex")}`;
  const started = await call("POST", `/v2/${repository}/blobs/uploads/`);
  expect(started.status).toBe(202);
  const location = new URL(started.headers.get("location")!, `http://${host}`);
  location.searchParams.set("digest", digest);
  const put = await call("PUT", location.toString(), content, { "content-type": "application/octet-stream" });
  expect(put.status).toBe(201);
  return { digest, size: Buffer.byteLength(content) };
}

/** Pushes a one-layer image under `tags`, its manifest annotated as publish annotates it. */
async function push(repository: string, tags: string[], marker: string, created?: string): Promise<string> {
  const config = await putBlob(repository, JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, config: { Labels: { marker } } }));
  const layer = await putBlob(repository, `layer ${marker}`);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
    annotations: { "org.opencontainers.image.version": tags[0]!, ...(created ? { "org.opencontainers.image.created": created } : {}) },
  });
  for (const tag of tags) {
    const put = await call("PUT", `/v2/${repository}/manifests/${tag}`, manifest, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
    expect(put.status, await put.clone().text()).toBe(201);
  }
  return `sha256:${createHash("sha256").update(manifest).digest("hex")}`;
}

beforeAll(async () => {
  if (!existsSync(REGISTRY)) throw new Error(`${REGISTRY} missing: run scripts/install-tools.sh`);
  dir = mkdtempSync(join(tmpdir(), "registry-test-"));
  writeFileSync(join(dir, "htpasswd"), HTPASSWD);
  const port = await freePort();
  host = `127.0.0.1:${port}`;
  writeFileSync(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log: { level: error }",
      `storage: { filesystem: { rootdirectory: ${join(dir, "data")} }, delete: { enabled: true } }`,
      `http: { addr: "${host}" }`,
      `auth: { htpasswd: { realm: lab, path: ${join(dir, "htpasswd")} } }`,
    ].join("\n"),
  );
  server = spawn(REGISTRY, ["serve", join(dir, "config.yml")], { stdio: ["ignore", "ignore", "pipe"] });
  let said = "";
  server.stderr!.on("data", (chunk: Buffer) => (said += chunk.toString()));
  for (let i = 0; ; i++) {
    const answer = await fetch(`http://${host}/v2/`).catch(() => undefined);
    if (answer) break;
    if (i > 100 || server.exitCode !== null) throw new Error(`the registry did not start: ${said}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 30_000);

afterAll(() => {
  server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the registry client against a real registry with authentication", () => {
  it("lists tags and reads each manifest's digest and annotations", async () => {
    const digest = await push("e2e/jax-e2e", ["c-1111111111111111", "0123456"], "one", "2026-12-01T10:00:00Z");
    const client = new RegistryClient(host, GOOD);
    expect(await client.tags("e2e/jax-e2e")).toEqual(["0123456", "c-1111111111111111"]);
    const manifest = await client.manifest("e2e/jax-e2e", "c-1111111111111111");
    expect(manifest).toEqual({ digest, annotations: { "org.opencontainers.image.version": "c-1111111111111111", "org.opencontainers.image.created": "2026-12-01T10:00:00Z" } });
    expect(await client.tags("e2e/never-published")).toEqual([]);
  });

  it("follows the registry's pages of tags, and one client serves several repositories", async () => {
    await push("e2e/paged-e2e", ["c-1000000000000000", "c-2000000000000000", "c-3000000000000000", "c-4000000000000000", "c-5000000000000000"], "paged");
    const client = new RegistryClient(host, GOOD);
    expect(await client.tags("e2e/paged-e2e", 2)).toEqual(["c-1000000000000000", "c-2000000000000000", "c-3000000000000000", "c-4000000000000000", "c-5000000000000000"]);
    expect(await client.tags("e2e/jax-e2e", 1)).toEqual(["0123456", "c-1111111111111111"]);
  });

  it("names the refusal of a wrong password, and an unknown registry", async () => {
    await expect(new RegistryClient(host, { username: "ci", password: "wrong" }).tags("e2e/jax-e2e")).rejects.toThrow(`${host} refused the credentials of ci (HTTP 401)`);
    await expect(new RegistryClient(host).tags("e2e/jax-e2e")).rejects.toThrow(`${host} asks for credentials: give --username and --password`);
    await expect(new RegistryClient("registry.invalid").tags("e2e/jax-e2e")).rejects.toThrow(/^registry\.invalid cannot be reached: (ENOTFOUND|EAI_AGAIN)/);
  });

  it("prunes a framework to its newest versions: a dry run deletes nothing, then the old image goes with all its tags", async () => {
    const old = await push("e2e/mlx-e2e", ["c-aaaaaaaaaaaaaaaa", "aaaaaaa"], "old", "2026-12-01T10:00:00Z");
    await push("e2e/mlx-e2e", ["c-bbbbbbbbbbbbbbbb", "pr-7"], "middle", "2026-12-03T10:00:00Z");
    await push("e2e/mlx-e2e", ["c-cccccccccccccccc"], "new", "2026-12-05T10:00:00Z");
    await push("e2e/mlx-e2e", ["c-dddddddddddddddd"], "undated");
    const client = new RegistryClient(host, GOOD);
    const repository = `${host}/e2e/mlx-e2e`;

    const dry = await pruneRepository(client, repository, 2, true);
    expect(dry[0]).toBe(`would remove ${repository}@${old} (aaaaaaa, c-aaaaaaaaaaaaaaaa, created 2026-12-01T10:00:00Z)`);
    expect(dry.filter((l) => l.startsWith("keep"))).toHaveLength(3);
    expect(await client.tags("e2e/mlx-e2e")).toEqual(["aaaaaaa", "c-aaaaaaaaaaaaaaaa", "c-bbbbbbbbbbbbbbbb", "c-cccccccccccccccc", "c-dddddddddddddddd", "pr-7"]);

    const done = await pruneRepository(client, repository, 2, false);
    expect(done[0]).toMatch(/^removed /);
    expect(await client.tags("e2e/mlx-e2e")).toEqual(["c-bbbbbbbbbbbbbbbb", "c-cccccccccccccccc", "c-dddddddddddddddd", "pr-7"]);
    await expect(client.manifest("e2e/mlx-e2e", old)).rejects.toThrow(/not found/);
  });

  it("promotes a version to a release tag by digest, the manifest's bytes unchanged", async () => {
    const digest = await push("e2e/xgboost-e2e", ["c-eeeeeeeeeeeeeeee"], "release", "2026-12-06T00:00:00Z");
    const client = new RegistryClient(host, GOOD, "pull,push");
    expect(await promoteImage(client, `${host}/e2e/xgboost-e2e`, "c-eeeeeeeeeeeeeeee", "v1.2.0")).toBe(`${host}/e2e/xgboost-e2e:v1.2.0@${digest}`);
    expect((await client.manifest("e2e/xgboost-e2e", "v1.2.0")).digest).toBe(digest);
    await expect(promoteImage(client, `${host}/e2e/xgboost-e2e`, "c-ffffffffffffffff", "v1.2.0")).rejects.toThrow(/e2e\/xgboost-e2e:c-ffffffffffffffff not found/);
    // Given publish's digest: exactly that manifest, which must carry the version.
    expect(await promoteImage(client, `${host}/e2e/xgboost-e2e`, "c-eeeeeeeeeeeeeeee", "v1.2.1", digest)).toBe(`${host}/e2e/xgboost-e2e:v1.2.1@${digest}`);
    await expect(promoteImage(client, `${host}/e2e/xgboost-e2e`, "c-9999999999999999", "v1.2.2", digest)).rejects.toThrow(/is not version c-9999999999999999 of these sources/);
  });

  it("refuses a release tag that is latest or has a version's form", () => {
    expect(() => checkReleaseTag("latest")).toThrow(/^--release: "latest" is refused/);
    expect(() => checkReleaseTag("c-0123456789abcdef")).toThrow(/^--release: .* has the form of an image version/);
    expect(() => checkReleaseTag("v1.2.0")).not.toThrow();
  });
});

