// A small client of the OCI distribution API, for what pruning and promotion need: list a repository's
// tags, read a manifest, put one under another tag, delete one by digest. It answers a
// registry's challenge as the Docker CLI does: Basic credentials, or a Bearer token from the
// realm the registry names, fetched with those credentials.

import { createHash } from "node:crypto";

const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** Each request's limit: a registry that does not answer fails the call, not hangs it. */
const REQUEST_TIMEOUT_MS = 30_000;

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "RegistryError";
  }
}

export interface Credentials {
  username: string;
  password: string;
}

export interface ManifestInfo {
  digest: string;
  annotations: Record<string, string>;
}

/**
 * The scheme to reach a registry host: HTTPS, but plain HTTP for localhost (the machine the
 * client runs on) or when the caller says the registry has no TLS (`plainHttp`, as an engine's
 * insecure registry).
 */
export function registryBase(host: string, plainHttp = false): string {
  const plain = plainHttp || /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host);
  return `${plain ? "http" : "https"}://${host}`;
}

/**
 * Credentials go to a token realm in clear only when the registry itself is reached so: a
 * registry on HTTPS that sends for its token to a plain-HTTP address is refused.
 */
export function checkTokenRealm(host: string, base: string, realm: URL, username: string): void {
  if (realm.protocol !== "https:" && base.startsWith("https:")) {
    throw new RegistryError(`${host} sends for a token to ${realm.origin}, without TLS: the credentials of ${username} are not sent there`, 401);
  }
}

/** Parses a WWW-Authenticate header: its scheme and parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const [scheme, ...rest] = header.trim().split(/\s+/);
  const params: Record<string, string> = {};
  for (const match of rest.join(" ").matchAll(/([A-Za-z]+)="([^"]*)"/g)) params[match[1]!.toLowerCase()] = match[2]!;
  return { scheme: (scheme ?? "").toLowerCase(), params };
}

export class RegistryClient {
  /** The answer to each repository's challenge: a Bearer token is scoped to one repository. */
  private readonly authorization = new Map<string, string>();
  private readonly base: string;

  constructor(
    /** host[:port] */
    readonly host: string,
    private readonly credentials?: Credentials,
    /** What a Bearer token is asked for: prune reads and deletes, promote reads and pushes. */
    private readonly actions = "pull,delete",
    plainHttp = false,
  ) {
    this.base = registryBase(host, plainHttp);
  }

  /** The path under this host of `repository` (host/path, as publish names it). */
  pathOf(repository: string): string {
    if (!repository.startsWith(`${this.host}/`)) throw new RegistryError(`${repository} is not a repository of ${this.host}`);
    return repository.slice(this.host.length + 1);
  }

  /** Every tag of `repository` (its path under the host), following the Link header's pages (relative or absolute). */
  async tags(repository: string, pageSize = 1000): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = `/v2/${repository}/tags/list?n=${pageSize}`;
    while (next) {
      const response = await this.request("GET", next, repository);
      if (response.status === 404) return [];
      await this.expectOk(response, `listing ${this.host}/${repository}'s tags`);
      const body = (await response.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const link = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get("link") ?? "")?.[1];
      if (!link) break;
      const url: URL = new URL(link, `${this.base}${next}`);
      if (url.origin !== new URL(this.base).origin) throw new RegistryError(`${this.host} sent the next page of ${repository}'s tags to another host: ${url.origin}`);
      next = `${url.pathname}${url.search}`;
    }
    return tags.sort();
  }

  /** The digest a tag names and its manifest's (or index's) annotations. */
  async manifest(repository: string, reference: string): Promise<ManifestInfo> {
    const { bytes, digest } = await this.rawManifest(repository, reference);
    const body = JSON.parse(Buffer.from(bytes).toString("utf8")) as { annotations?: Record<string, string> };
    return { digest, annotations: body.annotations ?? {} };
  }

  /**
   * A manifest exactly as the registry holds it: its bytes, media type and digest (the sha256
   * of the bytes, which a Docker-Content-Digest header, when sent, must match).
   */
  async rawManifest(repository: string, reference: string): Promise<{ bytes: Uint8Array; mediaType: string; digest: string }> {
    const at = `${this.host}/${repository}${reference.startsWith("sha256:") ? "@" : ":"}${reference}`;
    const response = await this.request("GET", `/v2/${repository}/manifests/${reference}`, repository, { accept: MANIFEST_TYPES });
    if (response.status === 404) throw new RegistryError(`${at} not found`, 404);
    await this.expectOk(response, `reading ${at}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    const sent = response.headers.get("docker-content-digest");
    if (sent && sent !== digest) throw new RegistryError(`${at}: the registry says ${sent}, the manifest's bytes hash to ${digest}`);
    const mediaType = response.headers.get("content-type")?.split(";")[0] || (JSON.parse(Buffer.from(bytes).toString("utf8")) as { mediaType?: string }).mediaType;
    if (!mediaType) throw new RegistryError(`${at}: no media type, in the header or the manifest`);
    return { bytes, mediaType, digest };
  }

  /** Puts `bytes` (a manifest already in this repository) under `tag`; returns the digest the registry gives it. */
  async putManifest(repository: string, tag: string, manifest: { bytes: Uint8Array; mediaType: string }): Promise<string> {
    const response = await this.request("PUT", `/v2/${repository}/manifests/${tag}`, repository, { "content-type": manifest.mediaType }, manifest.bytes);
    if (response.status !== 201) throw new RegistryError(`tagging ${this.host}/${repository}:${tag}: HTTP ${response.status}`, response.status);
    return response.headers.get("docker-content-digest") ?? "";
  }

  /** Deletes a manifest, and with it every tag that names it. */
  async deleteManifest(repository: string, digest: string): Promise<void> {
    const response = await this.request("DELETE", `/v2/${repository}/manifests/${digest}`, repository);
    if (response.status === 405) {
      throw new RegistryError(`${this.host} does not allow deleting manifests through the registry API (405): enable deletes on a self-hosted registry; ghcr.io and Docker Hub delete only through their own package APIs`, 405);
    }
    if (response.status !== 202 && response.status !== 200) throw new RegistryError(`deleting ${this.host}/${repository}@${digest}: HTTP ${response.status}`, response.status);
  }

  private async request(method: string, path: string, repository: string, headers: Record<string, string> = {}, body?: Uint8Array): Promise<Response> {
    const send = () =>
      fetch(`${this.base}${path}`, {
        method,
        body: body ? Buffer.from(body) : undefined,
        headers: { ...headers, ...(this.authorization.has(repository) ? { authorization: this.authorization.get(repository)! } : {}) },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }).catch((error: Error) => {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const said = cause?.code ?? cause?.message ?? error.message;
        // An HTTPS handshake that got plain HTTP back: a registry without TLS.
        const hint = this.base.startsWith("https:") && /SSL|TLS|EPROTO/i.test(said) ? "; if the registry has no TLS, give --plain-http" : "";
        throw new RegistryError(`${this.host} cannot be reached: ${said}${hint}`);
      });
    let response = await send();
    if (response.status === 401) {
      // A first challenge for this repository, or a token that has expired: answer it once.
      this.authorization.set(repository, await this.answer(response.headers.get("www-authenticate") ?? "", repository));
      response = await send();
    }
    if (response.status === 401 || response.status === 403) {
      const challenge = parseChallenge(response.headers.get("www-authenticate") ?? "");
      if (this.credentials && challenge.params.error === "insufficient_scope") {
        throw new RegistryError(`${this.host} refused ${method} ${path}: the token for ${this.credentials.username} lacks the right to it (it asked for ${this.actions} on ${repository}); --password needs that right`, response.status);
      }
      throw new RegistryError(`${this.host} refused ${this.credentials ? `the credentials of ${this.credentials.username}` : "access without credentials"} (HTTP ${response.status})`, response.status);
    }
    if (response.status >= 500) throw new RegistryError(`${this.host}: ${method} ${path}: HTTP ${response.status}`, response.status);
    return response;
  }

  /** Throws, with the registry's own words, unless the response succeeded. */
  private async expectOk(response: Response, doing: string): Promise<void> {
    if (response.ok) return;
    const said = (await response.text().catch(() => "")).trim().slice(0, 300);
    throw new RegistryError(`${doing}: HTTP ${response.status}${said ? ` ${said}` : ""}`, response.status);
  }

  /** The Authorization header that answers the registry's challenge. */
  private async answer(header: string, repository: string): Promise<string> {
    const { scheme, params } = parseChallenge(header);
    const basic = this.credentials ? `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString("base64")}` : undefined;
    if (scheme === "basic") {
      if (!basic) throw new RegistryError(`${this.host} asks for credentials: give --username and --password`, 401);
      return basic;
    }
    if (scheme === "bearer" && params.realm) {
      const url = new URL(params.realm);
      if (basic) checkTokenRealm(this.host, this.base, url, this.credentials!.username);
      if (params.service) url.searchParams.set("service", params.service);
      url.searchParams.set("scope", `repository:${repository}:${this.actions}`);
      const response = await fetch(url, { headers: basic ? { authorization: basic } : {}, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      if (!response.ok) throw new RegistryError(`${url.host} gave no token for ${repository} (HTTP ${response.status})`, response.status);
      const body = (await response.json()) as { token?: string; access_token?: string };
      const token = body.token ?? body.access_token;
      if (!token) throw new RegistryError(`${url.host} answered without a token`);
      return `Bearer ${token}`;
    }
    throw new RegistryError(`${this.host} asks for authentication this client does not know: ${header || "(no WWW-Authenticate header)"}`, 401);
  }
}
