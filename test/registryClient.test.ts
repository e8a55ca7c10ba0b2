// The registry client, pruning and promotion against a real registry with htpasswd
// authentication (test/helpers/registry.ts), on a free local port.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkReleaseTag, promoteImage } from "../src/publish/promote.js";
import { pruneRepository } from "../src/publish/pruneRun.js";
import { checkTokenRealm, RegistryClient, registryBase } from "../src/publish/registryClient.js";
import { imagePusher, startRegistry, type TestRegistry } from "./helpers/registry.js";

// A test-only account: user "ci", password "lab-password" (bcrypt, cost 4).
const HTPASSWD = "ci:$2y$04$oaHBgUbBgg62KLCdT2cLoOKGvgQrwo4Tn.GJiHdMmpGDJjDArjs0q\n";
const GOOD = { username: "ci", password: "lab-password" };
const BASIC = `Basic ${Buffer.from("ci:lab-password").toString("base64")}`;

let registry: TestRegistry;
let host: string;
let push: ReturnType<typeof imagePusher>;

beforeAll(async () => {
  registry = await startRegistry("{ htpasswd: { realm: lab, path: {dir}/htpasswd } }", { htpasswd: HTPASSWD });
  host = registry.host;
  push = imagePusher(host, async () => BASIC);
}, 30_000);

afterAll(() => registry?.stop());

describe("the scheme a registry is reached by", () => {
  it("is HTTPS, but plain HTTP for this machine or when the caller says the registry has no TLS", () => {
    expect(registryBase("ghcr.io")).toBe("https://ghcr.io");
    expect(registryBase("10.0.0.5:5000")).toBe("https://10.0.0.5:5000");
    expect(registryBase("127.0.0.1:5000")).toBe("http://127.0.0.1:5000");
    expect(registryBase("localhost:5000")).toBe("http://localhost:5000");
    expect(registryBase("10.0.0.5:5000", true)).toBe("http://10.0.0.5:5000");
  });

  it("reaches a registry without TLS on another address only when told, and says so when not", async () => {
    // 127.0.0.2: a loopback address the client does not take for localhost.
    const other = await startRegistry("{ htpasswd: { realm: lab, path: {dir}/htpasswd } }", { htpasswd: HTPASSWD }, "127.0.0.2");
    try {
      expect(await new RegistryClient(other.host, GOOD, "pull", true).tags("e2e/jax-e2e")).toEqual([]);
      await expect(new RegistryClient(other.host, GOOD, "pull").tags("e2e/jax-e2e")).rejects.toThrow(
        new RegExp(`^${other.host.replace(/\./g, "\\.")} cannot be reached: .*; if the registry has no TLS, give --plain-http$`),
      );
    } finally {
      other.stop();
    }
  });

  it("sends credentials to a token realm without TLS only when the registry is reached without it too", () => {
    expect(() => checkTokenRealm("ghcr.io", "https://ghcr.io", new URL("http://ghcr.io/token"), "ci")).toThrow(
      "ghcr.io sends for a token to http://ghcr.io, without TLS: the credentials of ci are not sent there",
    );
    expect(() => checkTokenRealm("ghcr.io", "https://ghcr.io", new URL("https://ghcr.io/token"), "ci")).not.toThrow();
    expect(() => checkTokenRealm("10.0.0.5:5000", "http://10.0.0.5:5000", new URL("http://10.0.0.5:5001/token"), "ci")).not.toThrow();
  });

  it("names a repository outside the client's host", () => {
    const client = new RegistryClient("10.0.0.5:5000");
    expect(client.pathOf("10.0.0.5:5000/e2e/jax-e2e")).toBe("e2e/jax-e2e");
    expect(() => client.pathOf("10.0.0.5:50001/e2e/jax-e2e")).toThrow("10.0.0.5:50001/e2e/jax-e2e is not a repository of 10.0.0.5:5000");
  });
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

