// A real registry for the tests: CNCF Distribution's `registry` (v3.0.0, built by
// scripts/install-tools.sh) on a free local port, with deletes enabled and the authentication
// the test gives, and images pushed to it through the same distribution API.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { REPO_ROOT } from "./catalogFixture.js";

const REGISTRY = join(REPO_ROOT, ".tools", "bin", "registry");

export interface TestRegistry {
  /** 127.0.0.1:port */
  host: string;
  /** Its folder: configuration, data, and the files the caller wrote there. */
  dir: string;
  stop(): void;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts the registry with `auth` (the configuration's auth section, one YAML flow mapping);
 * `files` are written to its folder first (an htpasswd, a key set), named there by
 * `{dir}` in `auth`. It listens on `address` (a loopback address). Resolves once it answers.
 */
export async function startRegistry(auth: string, files: Record<string, string> = {}, address = "127.0.0.1"): Promise<TestRegistry> {
  if (!existsSync(REGISTRY)) throw new Error(`${REGISTRY} missing: run scripts/install-tools.sh`);
  const dir = mkdtempSync(join(tmpdir(), "registry-test-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const host = `${address}:${await freePort()}`;
  writeFileSync(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log: { level: error }",
      `storage: { filesystem: { rootdirectory: ${join(dir, "data")} }, delete: { enabled: true } }`,
      `http: { addr: "${host}" }`,
      `auth: ${auth.replaceAll("{dir}", dir)}`,
    ].join("\n"),
  );
  const server: ChildProcess = spawn(REGISTRY, ["serve", join(dir, "config.yml")], { stdio: ["ignore", "ignore", "pipe"] });
  let said = "";
  server.stderr!.on("data", (chunk: Buffer) => (said += chunk.toString()));
  const stop = () => {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    if (await fetch(`http://${host}/v2/`).catch(() => undefined)) break;
    if (i > 100 || server.exitCode !== null) {
      stop();
      throw new Error(`the registry did not start: ${said}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host, dir, stop };
}

/** Pushes images to `host`, each request with the Authorization header `authorization(repository)` gives. */
export function imagePusher(host: string, authorization: (repository: string) => Promise<string>) {
  const call = async (repository: string, method: string, url: string, body?: string, headers: Record<string, string> = {}) => {
    const absolute = url.startsWith("http") ? url : `http://${host}${url}`;
    return fetch(absolute, { method, body, headers: { authorization: await authorization(repository), ...headers } });
  };

  const putBlob = async (repository: string, content: string) => {
    const digest = `sha256:${createHash("sha256").update(content).digest("hex")}`;
    const started = await call(repository, "POST", `/v2/${repository}/blobs/uploads/`);
    expect(started.status, await started.clone().text()).toBe(202);
    const location = new URL(started.headers.get("location")!, `http://${host}`);
    location.searchParams.set("digest", digest);
    const put = await call(repository, "PUT", location.toString(), content, { "content-type": "application/octet-stream" });
    expect(put.status).toBe(201);
    return { digest, size: Buffer.byteLength(content) };
  };

  /** Pushes a one-layer image under `tags`, its manifest annotated as publish annotates it; returns its digest. */
  return async function push(repository: string, tags: string[], marker: string, created?: string): Promise<string> {
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
      const put = await call(repository, "PUT", `/v2/${repository}/manifests/${tag}`, manifest, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      expect(put.status, await put.clone().text()).toBe(201);
    }
    return `sha256:${createHash("sha256").update(manifest).digest("hex")}`;
  };
}
