// The engine lab's registry cases: `publish` through the real CLI to a registry with
// authentication (CNCF Distribution v3.0.0, the lab's registry image, with htpasswd and
// deletes), republishing, a wrong password and an unknown registry, then `test --images-from`
// on what was published (on the second Kubernetes minor, --kubernetes-version 1.34), and an
// image never published.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RegistryClient } from "../../src/publish/registryClient.js";
import { listFrameworks } from "../../src/catalog/loader.js";
import { fsReader } from "../../src/catalog/fsReader.js";
import { REPO_ROOT } from "../helpers/catalogFixture.js";
import { docker, removeContainers } from "../lab/localRunner.js";
import { expect, LAB_CACHE, selected } from "../lab/harness.js";
import { awaitLane } from "../lab/lanes.js";
import { AUTH_REGISTRY, emptyCache, makeRoom, runCaseShowingState, type CliResult, type Engine } from "./engine.js";
import type { RunInputs } from "./mirrorSet.js";
import { plain, stepFigures } from "./progress.js";

const NAME = "lab-registry-auth";
/** Where this machine reaches it (a published port); the engine reaches it as AUTH_REGISTRY. */
const FROM_HERE = "127.0.0.1:5001";
// A lab-only account: user "ci", password "lab-password" (bcrypt, cost 4).
const HTPASSWD = "ci:$2y$04$oaHBgUbBgg62KLCdT2cLoOKGvgQrwo4Tn.GJiHdMmpGDJjDArjs0q\n";
const PASSWORD_ENV = { LAB_REGISTRY_PASSWORD: "lab-password", LAB_WRONG_PASSWORD: "not-the-password" };
/** PyTorch's image cannot be built here: its CPU wheel index is out of this machine's reach. */
const UNBUILDABLE_HERE = ["pytorch"];
/** Every other framework of the catalog, on both operator lines. */
const PUBLISHED = (await listFrameworks(fsReader(REPO_ROOT))).filter((name) => !UNBUILDABLE_HERE.includes(name));
/** What test --images-from runs: two of them, on v1. */
const TESTED = "jax,xgboost";
/**
 * The minor it runs on, beside the default the other cases use: the lab's node image of that
 * minor is built in a lane of test/lab/run (kind's v1.34.8 cannot be built here: docs/lab.md).
 */
const SECOND_MINOR = { minor: "1.34", labVersion: "v1.34.10", lane: "node-v1.34.10" };

export const REGISTRY_CASES = {
  publish: "engine lab: publish pushes every framework but PyTorch to a registry with authentication, tagged and annotated",
  republish: "engine lab: publishing the same sources again pushes no new layer and gives the same digests",
  refused: "engine lab: a wrong password and an unknown registry each fail naming the push, with nothing pushed",
  imagesFrom: "engine lab: test --images-from --kubernetes-version 1.34 passes on the published images, pulled by digest, on a 1.34 API server; a digest mismatch and an image never published each fail before any cluster",
  promotePrune: "engine lab: promote tags the published digests with a release; prune-images lists, then deletes, an older image no release names",
};

/** promote's release tag in the lab, and the frameworks it promotes: all published but XGBoost, whose older image prune-images may then delete. */
const RELEASE = "v0.0.0-lab";
const UNRELEASED = "xgboost";

/** `text` as a regular expression that matches it literally. */
const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const said = (result: CliResult) => `exit ${result.exitCode}: ${plain(result.stderr.trim() || result.stdout.trim()).split("\n").slice(-8).join(" | ")}`;

/** Starts the registry with authentication, its storage in `dir`; returns a function that counts its blobs. */
function startAuthRegistry(dir: string): () => number {
  const data = join(dir, "data");
  mkdirSync(data, { recursive: true });
  writeFileSync(join(dir, "htpasswd"), HTPASSWD);
  writeFileSync(
    join(dir, "config.yml"),
    ["version: 0.1", "log: { level: warn }", "storage: { filesystem: { rootdirectory: /var/lib/registry }, delete: { enabled: true } }", "http: { addr: \":5000\" }", "auth: { htpasswd: { realm: lab, path: /auth/htpasswd } }"].join("\n") + "\n",
  );
  removeContainers(NAME);
  const [ip, port] = AUTH_REGISTRY.split(":");
  docker([
    "run", "-d", "--name", NAME, "--network", "lab-engine", "--ip", ip!, "-p", `${FROM_HERE}:${port}`,
    "-v", `${join(dir, "config.yml")}:/etc/distribution/config.yml:ro`,
    "-v", `${join(dir, "htpasswd")}:/auth/htpasswd:ro`,
    "-v", `${data}:/var/lib/registry`,
    "lab/registry:v3.0.0",
  ]);
  // Up when it answers (401: it asks for credentials), within 30 s; else its own words.
  for (let i = 0; ; i++) {
    let answer = "no answer";
    try {
      answer = execFileSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", `http://${FROM_HERE}/v2/`], { encoding: "utf8" }).trim();
    } catch {
      // not listening yet
    }
    if (answer === "401") break;
    if (i >= 60) throw new Error(`the registry with authentication did not answer (HTTP ${answer}): ${docker(["logs", "--tail", "20", NAME])}`);
    execFileSync("sleep", ["0.5"]);
  }
  const blobs = join(data, "docker", "registry", "v2", "blobs", "sha256");
  return () => {
    try {
      return readdirSync(blobs).flatMap((prefix) => readdirSync(join(blobs, prefix))).length;
    } catch {
      return 0;
    }
  };
}

/** `framework<TAB>reference@digest` lines of publish's output. */
const publishedLines = (stdout: string) => stdout.split("\n").filter((l) => /^[a-z0-9-]+\t\S+@sha256:[0-9a-f]{64}$/.test(l.trim())).map((l) => l.trim());

export async function runRegistryCases(engine: Engine, served: RunInputs, scratch: string): Promise<void> {
  if (!Object.values(REGISTRY_CASES).some(selected)) return;
  // Every image built, exported and stored again in the registry (1.5 GB), then a cluster: room
  // first. After the MPI, Paddle and TensorFlow case, a clean-clone run here may have only
  // about 12 GB free.
  console.log(`  ${await makeRoom(engine, "20GB")}`);
  const countBlobs = startAuthRegistry(join(scratch, "auth-registry"));
  const git = (args: string[]) => execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  const revision = git(["rev-parse", "HEAD"]);
  const created = git(["log", "-1", "--format=%cI"]);
  const cli = (args: string[], timeoutSeconds = 3600) => engine.cli(args, { cwd: REPO_ROOT, timeoutSeconds, env: PASSWORD_ENV });
  const publish = (registry: string, password = "env:LAB_REGISTRY_PASSWORD", output: string[] = []) =>
    cli(["call", ...output, "publish", "--registry", registry, "--framework", PUBLISHED.join(","), "--username", "ci", "--password", password, "--revision", revision, "--created", created, "--mirrors", served.mirrors]);
  const client = new RegistryClient(FROM_HERE, { username: "ci", password: "lab-password" });
  let first: string[] = [];
  /** The digest the first publish recorded for `name`. */
  const publishedDigest = (name: string) => first.find((l) => l.startsWith(`${name}\t`))!.split("@")[1]!;

  try {
    await runCaseShowingState(REGISTRY_CASES.publish, async () => {
      // As release.yml calls it: the lines saved with dagger call's -o.
      const saved = join(scratch, "published.txt");
      const result = await publish(`${AUTH_REGISTRY}/e2e`, "env:LAB_REGISTRY_PASSWORD", ["-o", saved]);
      expect(result.exitCode === 0, said(result));
      first = publishedLines(readFileSync(saved, "utf8"));
      expect(first.length === 2 * PUBLISHED.length, `want 2 tags for each of ${PUBLISHED.length} frameworks in ${saved}:\n${first.join("\n")}`);
      for (const name of PUBLISHED) {
        const tags = await client.tags(`e2e/${name}-e2e`);
        expect(tags.length === 2 && tags.includes(revision) && tags.some((t) => /^c-[0-9a-f]{16}$/.test(t)), `${name}'s tags: ${tags.join(", ")}`);
        const { annotations } = await client.manifest(`e2e/${name}-e2e`, revision);
        expect(annotations["org.opencontainers.image.revision"] === revision && annotations["org.opencontainers.image.created"] === created, `${name}'s annotations: ${JSON.stringify(annotations)}`);
        expect(/==/.test(annotations["org.kubeflow.training-operator-ci.python-packages"] ?? ""), `${name} lacks its pinned packages: ${JSON.stringify(annotations)}`);
      }
      expect(!result.stdout.includes("lab-password") && !plain(result.stderr).includes("lab-password"), "the password appears in the output");
      return `${first.join("; ")} (${result.seconds.toFixed(1)} s), ${countBlobs()} blobs in the registry`;
    });

    await runCaseShowingState(REGISTRY_CASES.republish, async () => {
      const before = countBlobs();
      const result = await publish(`${AUTH_REGISTRY}/e2e`);
      expect(result.exitCode === 0, said(result));
      const again = publishedLines(result.stdout);
      expect(JSON.stringify(again) === JSON.stringify(first), `digests differ:\n${first.join("\n")}\nthen\n${again.join("\n")}`);
      expect(countBlobs() === before, `the registry held ${before} blobs, now ${countBlobs()}`);
      return `the same ${again.length} references and digests, ${before} blobs before and after (${result.seconds.toFixed(1)} s)`;
    });

    await runCaseShowingState(REGISTRY_CASES.refused, async () => {
      const wrong = await publish(`${AUTH_REGISTRY}/wrong`, "env:LAB_WRONG_PASSWORD");
      expect(wrong.exitCode !== 0, `exit 0 with a wrong password: ${wrong.stdout}`);
      const wrongSaid = plain(wrong.stderr);
      expect(new RegExp(`publish jax to ${AUTH_REGISTRY}/wrong/jax-e2e:c-[0-9a-f]{16} failed: .*nothing was pushed`, "s").test(wrongSaid), `the error does not name the push: ${said(wrong)}`);
      expect((await client.tags("wrong/jax-e2e")).length === 0 && (await client.tags("wrong/xgboost-e2e")).length === 0, "something was pushed with a wrong password");
      expect(!wrongSaid.includes("not-the-password"), "the password appears in the error");
      const unknown = await publish("registry.invalid/e2e");
      expect(unknown.exitCode !== 0, `exit 0 for an unknown registry: ${unknown.stdout}`);
      expect(/publish jax to registry\.invalid\/e2e\/jax-e2e:c-[0-9a-f]{16} failed: .*nothing was pushed/s.test(plain(unknown.stderr)), `the error does not name the push: ${said(unknown)}`);
      const line = (text: string) => /failed: [^\n]*/.exec(plain(text))?.[0].slice(0, 160);
      return `wrong password: exit ${wrong.exitCode} (${wrong.seconds.toFixed(1)} s) "${line(wrong.stderr)}"; unknown registry: exit ${unknown.exitCode} "${line(unknown.stderr)}"`;
    });

    await runCaseShowingState(REGISTRY_CASES.imagesFrom, async () => {
      expect(first.length > 0, "nothing was published: this case needs the publish case first");
      const from = ["--images-from", `${AUTH_REGISTRY}/e2e`, "--registry-username", "ci", "--registry-password", "env:LAB_REGISTRY_PASSWORD"];
      // As release.yml's e2e jobs run it: with publish's output, so the digests must be the ones it pushed.
      const published = join(scratch, "published.txt");
      // As on release.yml's runners, an engine that built nothing: what the run pulls is all it
      // has (and the run's peak disk use falls by the builds' 8 GiB or more).
      console.log(`  ${await emptyCache(engine)}`);
      await awaitLane(LAB_CACHE, SECOND_MINOR.lane, 3600);
      served.addKubernetes(SECOND_MINOR.minor, SECOND_MINOR.labVersion);
      const result = await cli(["call", "test", "--framework", TESTED, "--kubernetes-version", SECOND_MINOR.minor, "--operator-source", served.v1Tree, "--mirrors", served.mirrors, ...from, "--published", published, "check"]);
      expect(result.exitCode === 0, said(result));
      // The node the module chose for the minor, and what its API server reports (the lab builds that minor at its own patch).
      const cluster = /^cluster: +(.*)$/m.exec(result.stdout)?.[1] ?? "";
      expect(cluster.includes(`kindest/node:v${SECOND_MINOR.minor}.`) && cluster.includes(`API server ${SECOND_MINOR.labVersion}`), `not a ${SECOND_MINOR.minor} cluster: "${cluster}"`);
      for (const name of ["jax", "xgboost"]) {
        const digest = publishedDigest(name);
        expect(new RegExp(`${name}\\s+PASSED\\s+\\S+ \\S+\\s+${literally(AUTH_REGISTRY)}/e2e/${name}-e2e:c-[0-9a-f]{16}@${digest}`).test(result.stdout), `${name} did not run the published image:\n${result.stdout}`);
      }
      // A record whose digest the registry's version tag does not name: a digest mismatch, before any cluster.
      const forged = join(scratch, "published-forged.txt");
      writeFileSync(forged, readFileSync(published, "utf8").replace(/@sha256:[0-9a-f]{64}/g, `@sha256:${"0".repeat(64)}`));
      const mismatch = await cli(["call", "test", "--framework", "jax", "--operator-source", served.v1Tree, "--mirrors", served.mirrors, ...from, "--published", forged, "check"], 900);
      expect(mismatch.exitCode !== 0 && /--images-from: digest mismatch: \S+jax-e2e:c-[0-9a-f]{16} now names sha256:[0-9a-f]{64}, but publish pushed sha256:0{64}/.test(plain(mismatch.stderr)), `not a digest mismatch: ${said(mismatch)}`);
      expect(!/create cluster|start docker service/.test(plain(mismatch.stderr)), "a cluster step ran for a digest mismatch");
      // PyTorch, never published here (its image cannot be built on this machine).
      const missing = await cli(["call", "test", "--framework", "pytorch", "--operator-source", served.v1Tree, "--mirrors", served.mirrors, ...from, "check"], 900);
      expect(missing.exitCode !== 0, `exit 0 for an image never published: ${missing.stdout}`);
      const missingSaid = plain(missing.stderr);
      expect(/--images-from: \S+\/e2e\/pytorch-e2e:c-[0-9a-f]{16} cannot be pulled .*publish these sources first/s.test(missingSaid), `not the missing image: ${said(missing)}`);
      expect(!/create cluster|start docker service/.test(missingSaid), "a cluster step ran for a missing image");
      return `${cluster}; ${stepFigures(result.stdout)} (${result.seconds.toFixed(1)} s); a forged digest: exit ${mismatch.exitCode} in ${mismatch.seconds.toFixed(1)} s; never published: exit ${missing.exitCode} in ${missing.seconds.toFixed(1)} s`;
    });

    await runCaseShowingState(REGISTRY_CASES.promotePrune, async () => {
      expect(first.length > 0, "nothing was published: this case needs the publish case first");
      // The module's own registry client, in the module's container: plain HTTP only when told (the lab's registry has no TLS).
      const account = ["--username", "ci", "--password", "env:LAB_REGISTRY_PASSWORD", "--plain-http"];
      const promoted = PUBLISHED.filter((name) => name !== UNRELEASED);
      const promote = await cli(["call", "promote", "--registry", `${AUTH_REGISTRY}/e2e`, "--release", RELEASE, "--framework", promoted.join(","), ...account, "--published", join(scratch, "published.txt")], 900);
      expect(promote.exitCode === 0, said(promote));
      for (const name of promoted) {
        const digest = publishedDigest(name);
        expect(promote.stdout.includes(`${name}\t${AUTH_REGISTRY}/e2e/${name}-e2e:${RELEASE}@${digest}`), `${name} was not promoted at the published digest:\n${promote.stdout}`);
        expect((await client.manifest(`e2e/${name}-e2e`, RELEASE)).digest === digest, `${name}:${RELEASE} names another digest`);
      }
      // A later build of the same sources (another commit, later): the version tag moves to it, the first keeps its commit tag.
      const later = ["--revision", "2222222", "--created", new Date(Date.parse(created) + 86_400_000).toISOString()];
      const again = await cli(["call", "publish", "--registry", `${AUTH_REGISTRY}/e2e`, "--framework", `jax,${UNRELEASED}`, "--username", "ci", "--password", "env:LAB_REGISTRY_PASSWORD", ...later, "--mirrors", served.mirrors]);
      expect(again.exitCode === 0, said(again));
      const prune = (dryRun: boolean) => cli(["call", "prune-images", "--registry", `${AUTH_REGISTRY}/e2e`, "--framework", `jax,${UNRELEASED}`, "--keep", "1", ...account, `--dry-run=${dryRun}`], 900);
      const dry = await prune(true);
      expect(dry.exitCode === 0, said(dry));
      expect(dry.stdout.includes(`would remove ${AUTH_REGISTRY}/e2e/${UNRELEASED}-e2e@${publishedDigest(UNRELEASED)} (${revision}, created ${created})`), `the dry run does not list ${UNRELEASED}'s older image:\n${dry.stdout}`);
      expect(new RegExp(`keep ${literally(`${AUTH_REGISTRY}/e2e/jax-e2e@${publishedDigest("jax")} (${revision}, ${RELEASE}`)}.*a release names it`).test(dry.stdout), `jax's released image is not kept:\n${dry.stdout}`);
      expect((await client.tags(`e2e/${UNRELEASED}-e2e`)).includes(revision), "the dry run deleted something");
      const done = await prune(false);
      expect(done.exitCode === 0, said(done));
      const left = await client.tags(`e2e/${UNRELEASED}-e2e`);
      expect(!left.includes(revision) && left.includes("2222222") && left.some((t) => /^c-[0-9a-f]{16}$/.test(t)), `${UNRELEASED}'s tags after pruning: ${left.join(", ")}`);
      expect((await client.tags("e2e/jax-e2e")).includes(RELEASE), "jax's released image was pruned");
      return `promote: ${promoted.length} frameworks tagged ${RELEASE} at the published digests (${promote.seconds.toFixed(1)} s); prune-images --keep 1: the dry run listed ${UNRELEASED}'s older image and kept jax's released one (${dry.seconds.toFixed(1)} s), then deleted it: ${UNRELEASED} left with ${left.join(", ")} (${done.seconds.toFixed(1)} s)`;
    });
  } finally {
    removeContainers(NAME);
  }
}
