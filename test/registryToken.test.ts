// The registry client's Bearer path, as ghcr.io and Docker Hub ask for it, against a real
// registry with token authentication (Distribution v3.0.0: its challenge names the realm,
// service and scope; it verifies each token's signature and the access it grants).
// The token service is this test's own: it checks Basic credentials and signs an ES256 token
// granting what was asked, with a key the registry trusts through a JWKS file.
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { promoteImage } from "../src/publish/promote.js";
import { pruneRepository } from "../src/publish/pruneRun.js";
import { RegistryClient } from "../src/publish/registryClient.js";
import { freePort, imagePusher, startRegistry, type TestRegistry } from "./helpers/registry.js";

const ISSUER = "lab-token-issuer";
const SERVICE = "lab-registry";
const KEY_ID = "lab-key";
const GOOD = { username: "ci", password: "lab-password" };

let registry: TestRegistry;
let tokens: Server;
let realm: string;
let signingKey: KeyObject;
/** Every token request: the scope asked for and who asked (or "anonymous"). */
const asked: { scope: string; account: string }[] = [];

const base64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** Which field the token service answers with: "token" (ghcr.io) or "access_token" (OAuth's, which Docker Hub also sends). */
let answerField: "token" | "access_token" = "token";

/** A token for `account`, granting `scope`'s actions (none for anonymous), signed ES256 (with `key`, the trusted one unless given). */
function token(account: string, scope: string, key = signingKey): string {
  const [type, name, actions] = scope.split(":");
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: "ES256", typ: "JWT", kid: KEY_ID }));
  const claims = base64url(
    JSON.stringify({
      iss: ISSUER,
      sub: account,
      aud: SERVICE,
      iat: now,
      nbf: now - 5,
      exp: now + 300,
      jti: randomUUID(),
      access: account === "anonymous" || !scope ? [] : [{ type, name, actions: actions!.split(",") }],
    }),
  );
  const signature = createSign("sha256").update(`${header}.${claims}`).sign({ key, dsaEncoding: "ieee-p1363" });
  return `${header}.${claims}.${base64url(signature)}`;
}

/** The token service: Basic credentials checked, a wrong password refused with 401. */
function serveTokens(port: number): Promise<Server> {
  const basic = `Basic ${Buffer.from(`${GOOD.username}:${GOOD.password}`).toString("base64")}`;
  const server = createServer((request, response) => {
    const url = new URL(request.url!, "http://tokens");
    const scope = url.searchParams.get("scope") ?? "";
    const given = request.headers.authorization;
    const account = given === basic ? GOOD.username : given ? "" : "anonymous";
    asked.push({ scope, account: account || "refused" });
    if (url.pathname !== "/token" || url.searchParams.get("service") !== SERVICE || !account) {
      response.writeHead(401, { "content-type": "application/json" }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ [answerField]: token(account, scope), expires_in: 300 }));
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
  signingKey = keys.privateKey;
  const jwk = { ...keys.publicKey.export({ format: "jwk" }), kid: KEY_ID, use: "sig", alg: "ES256" };
  const port = await freePort();
  realm = `http://127.0.0.1:${port}/token`;
  tokens = await serveTokens(port);
  registry = await startRegistry(`{ token: { realm: "${realm}", service: ${SERVICE}, issuer: ${ISSUER}, jwks: {dir}/jwks.json } }`, {
    "jwks.json": JSON.stringify({ keys: [jwk] }),
  });
}, 30_000);

afterAll(() => {
  registry?.stop();
  tokens?.close();
});

/** Pushes as the release's publish would, with a push token of its own per repository. */
const push = () => imagePusher(registry.host, async (repository) => `Bearer ${token(GOOD.username, `repository:${repository}:pull,push`)}`);

describe("the registry client against a real registry with token authentication", () => {
  it("answers the registry's Bearer challenge with a token per repository, asked once, for the client's actions", async () => {
    const digest = await push()("e2e/jax-e2e", ["c-1111111111111111", "0123456"], "one", "2026-12-01T10:00:00Z");
    await push()("e2e/xgboost-e2e", ["c-2222222222222222"], "two");
    asked.length = 0;
    const client = new RegistryClient(registry.host, GOOD, "pull");
    expect(await client.tags("e2e/jax-e2e")).toEqual(["0123456", "c-1111111111111111"]);
    expect((await client.manifest("e2e/jax-e2e", "0123456")).digest).toBe(digest);
    expect(await client.tags("e2e/xgboost-e2e")).toEqual(["c-2222222222222222"]);
    expect(asked).toEqual([
      { scope: "repository:e2e/jax-e2e:pull", account: "ci" },
      { scope: "repository:e2e/xgboost-e2e:pull", account: "ci" },
    ]);
  });

  it("prunes with a delete token, while a read-only token (a dry run's) cannot delete", async () => {
    const old = await push()("e2e/mlx-e2e", ["c-aaaaaaaaaaaaaaaa"], "old", "2026-12-01T10:00:00Z");
    await push()("e2e/mlx-e2e", ["c-bbbbbbbbbbbbbbbb"], "new", "2026-12-03T10:00:00Z");
    const repository = `${registry.host}/e2e/mlx-e2e`;
    const reader = new RegistryClient(registry.host, GOOD, "pull");
    expect((await pruneRepository(reader, repository, 1, true))[0]).toBe(`would remove ${repository}@${old} (c-aaaaaaaaaaaaaaaa, created 2026-12-01T10:00:00Z)`);
    await expect(reader.deleteManifest("e2e/mlx-e2e", old)).rejects.toThrow(
      `${registry.host} refused DELETE /v2/e2e/mlx-e2e/manifests/${old}: the token for ci lacks the right to it (it asked for pull on e2e/mlx-e2e); --password needs that right`,
    );

    const deleter = new RegistryClient(registry.host, GOOD, "pull,delete");
    expect((await pruneRepository(deleter, repository, 1, false))[0]).toMatch(/^removed /);
    expect(await deleter.tags("e2e/mlx-e2e")).toEqual(["c-bbbbbbbbbbbbbbbb"]);
    expect(asked.filter((a) => a.scope === "repository:e2e/mlx-e2e:pull,delete")).toHaveLength(1);
  });

  it("promotes with a push token", async () => {
    const digest = await push()("e2e/mpi-e2e", ["c-eeeeeeeeeeeeeeee"], "release");
    const client = new RegistryClient(registry.host, GOOD, "pull,push");
    expect(await promoteImage(client, `${registry.host}/e2e/mpi-e2e`, "c-eeeeeeeeeeeeeeee", "v1.2.0", digest)).toBe(`${registry.host}/e2e/mpi-e2e:v1.2.0@${digest}`);
    expect(await client.tags("e2e/mpi-e2e")).toEqual(["c-eeeeeeeeeeeeeeee", "v1.2.0"]);
  });

  it("reads a token given only as access_token (OAuth's field)", async () => {
    await push()("e2e/access-token-e2e", ["c-3333333333333333"], "oauth");
    answerField = "access_token";
    try {
      expect(await new RegistryClient(registry.host, GOOD, "pull").tags("e2e/access-token-e2e")).toEqual(["c-3333333333333333"]);
    } finally {
      answerField = "token";
    }
    expect(asked.at(-1)).toEqual({ scope: "repository:e2e/access-token-e2e:pull", account: "ci" });
  });

  it("names the token service's refusal of a wrong password, and a registry that refuses an anonymous token", async () => {
    const realmHost = new URL(realm).host;
    await expect(new RegistryClient(registry.host, { username: "ci", password: "wrong" }, "pull").tags("e2e/jax-e2e")).rejects.toThrow(
      `${realmHost} gave no token for e2e/jax-e2e (HTTP 401)`,
    );
    await expect(new RegistryClient(registry.host, undefined, "pull").tags("e2e/jax-e2e")).rejects.toThrow(`${registry.host} refused access without credentials (HTTP 401)`);
  });

  it("holds the registry to the tokens' signature: the same claims signed with another key are refused", async () => {
    // The control for every test above: the registry does check what the token service signs.
    const list = (bearer: string) => fetch(`http://${registry.host}/v2/e2e/jax-e2e/tags/list`, { headers: { authorization: `Bearer ${bearer}` } });
    expect((await list(token(GOOD.username, "repository:e2e/jax-e2e:pull"))).status).toBe(200);
    const otherKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    expect((await list(token(GOOD.username, "repository:e2e/jax-e2e:pull", otherKey))).status).toBe(401);
  });
});
