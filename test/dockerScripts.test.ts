// The small scripts the cluster flow runs beside kind: each run's own Docker data folder,
// kind's network created IPv4-only, and the node image loaded under its local name. They
// run here for real under sh; `docker` is a recording stand-in answering like the CLI.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IN_USE_LOCK, prepareRunDataScript, removeRunDataScript, runDataRoot, UNUSED_GRACE_MINUTES } from "../src/cluster/dockerData.js";
import { ensureKindNetworkScript } from "../src/cluster/network.js";
import { loadNodeImageScript, localNodeImage } from "../src/cluster/nodeImageLoad.js";
import { KIND_NODE_IMAGE } from "../src/versions/pins.js";

let dir: string;
let applets: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "docker-scripts-"));
  // The Docker service image (docker:dind) is Alpine: its scripts run under busybox.
  applets = join(dir, "applets");
  mkdirSync(applets);
  for (const applet of ["sh", "find", "rm", "mkdir", "touch", "sed", "head", "printf", "echo", "cat", "true"]) symlinkSync("/bin/busybox", join(applets, applet));
  // Alpine's busybox has a flock applet; Debian's build lacks it, so util-linux's stands in.
  symlinkSync("/usr/bin/flock", join(applets, "flock"));
});

/** Runs a script under busybox's sh and applets (plus `extraPath`, e.g. a fake docker). */
function busybox(script: string, extraPath = ""): string {
  return execFileSync("/bin/busybox", ["sh", "-c", script], { encoding: "utf8", env: { PATH: `${extraPath ? `${extraPath}:` : ""}${applets}` } });
}
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const RUN = "0f8e5c1a-4b2d-4e6f-9a7b-123456789abc";
const OTHER = "aaaaaaaa-1111-2222-3333-444444444444";

describe("each run's Docker data folder", () => {
  const age = (path: string, minutes: number) => {
    const then = new Date(Date.now() - minutes * 60_000);
    utimesSync(path, then, then);
  };
  /** An ended run's folder, made `minutes` ago, with the file a live dockerd would hold locked. */
  const endedRun = (id: string, minutes: number) => {
    const root = runDataRoot(id, dir);
    mkdirSync(join(root, IN_USE_LOCK, ".."), { recursive: true });
    writeFileSync(join(root, IN_USE_LOCK), "");
    writeFileSync(join(root, ".started"), "");
    age(join(root, ".started"), minutes);
    age(root, minutes);
    return root;
  };

  it("is created and marked; folders no dockerd uses go, whatever their age, while one in use stays", () => {
    const ended = endedRun(OTHER, UNUSED_GRACE_MINUTES + 5);
    const live = endedRun("bbbbbbbb-1111-2222-3333-444444444444", 3 * 24 * 60); // a terminal open for days
    // A running dockerd's containerd holds this lock for its whole life. The holder takes it
    // at once on an idle machine; beside the lab's builds, give it up to 30 s.
    const holder = spawn("flock", [join(live, IN_USE_LOCK), "sleep", "30"], { stdio: "ignore" });
    try {
      execFileSync("sh", ["-c", "for i in $(seq 300); do flock -n \"$1\" true || exit 0; sleep 0.1; done; exit 1", "sh", join(live, IN_USE_LOCK)]);
      const out = busybox(prepareRunDataScript(RUN, dir));
      expect(existsSync(join(runDataRoot(RUN, dir), ".started"))).toBe(true);
      expect(existsSync(ended)).toBe(false);
      expect(existsSync(live)).toBe(true);
      expect(out).toContain(`removing the Docker data of a run that ended: ${ended}/`);
    } finally {
      holder.kill();
    }
  });

  it("keeps a folder a run has just made, before its dockerd starts", () => {
    const fresh = runDataRoot(OTHER, dir);
    mkdirSync(fresh, { recursive: true });
    busybox(prepareRunDataScript(RUN, dir));
    expect(existsSync(fresh)).toBe(true);
  });

  it("is removed whole once the run is over", () => {
    busybox(prepareRunDataScript(RUN, dir));
    busybox(removeRunDataScript(RUN, dir));
    expect(existsSync(runDataRoot(RUN, dir))).toBe(false);
  });

  it("refuses a run id that could escape the folder", () => {
    expect(() => runDataRoot("../etc", dir)).toThrow(/run id "..\/etc" must be/);
  });
});

/** A `docker` on PATH that logs its argv and answers from a script of cases. */
function fakeDocker(cases: string): { env: NodeJS.ProcessEnv; calls: () => string[] } {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  const log = join(dir, "docker.log");
  writeFileSync(join(bin, "docker"), `#!/bin/sh\necho "$*" >> ${log}\ncase "$*" in\n${cases}\nesac\n`);
  chmodSync(join(bin, "docker"), 0o755);
  return {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    calls: () => (existsSync(log) ? readFileSync(log, "utf8").trimEnd().split("\n") : []),
  };
}

describe("kind's network", () => {
  it("is created IPv4-only with kind's options and the default bridge's MTU when missing", () => {
    const docker = fakeDocker(`"network inspect kind") exit 1 ;;\n"network inspect bridge -f"*) echo 1450 ;;\n*) exit 0 ;;`);
    const out = execFileSync("sh", ["-c", ensureKindNetworkScript()], { env: docker.env, encoding: "utf8" });
    expect(docker.calls().at(-1)).toBe("network create -d=bridge -o com.docker.network.bridge.enable_ip_masquerade=true -o com.docker.network.driver.mtu=1450 kind");
    expect(out.trim()).toBe("network kind created (IPv4, MTU 1450)");
  });

  it("leaves out an MTU that is not a number, as kind does", () => {
    const docker = fakeDocker(`"network inspect kind") exit 1 ;;\n"network inspect bridge -f"*) echo '<no value>' ;;\n*) exit 0 ;;`);
    execFileSync("sh", ["-c", ensureKindNetworkScript()], { env: docker.env });
    expect(docker.calls().at(-1)).toBe("network create -d=bridge -o com.docker.network.bridge.enable_ip_masquerade=true kind");
  });

  it("is left alone when it exists, and a refused create fails the step", () => {
    const exists = fakeDocker(`*) exit 0 ;;`);
    execFileSync("sh", ["-c", ensureKindNetworkScript()], { env: exists.env });
    expect(exists.calls()).toEqual(["network inspect kind"]);
    rmSync(join(dir, "docker.log"));
    const refused = fakeDocker(`"network inspect"*) exit 1 ;;\n"network create"*) echo "Error response from daemon: no" >&2; exit 1 ;;`);
    expect(spawnSync("sh", ["-c", ensureKindNetworkScript()], { env: refused.env }).status).toBe(1);
  });
});

describe("the node image", () => {
  const node = localNodeImage(KIND_NODE_IMAGE);

  it("gets a local name from its tag and digest, and is pulled by its pinned reference", () => {
    expect(node.pinned).toBe(`docker.io/${KIND_NODE_IMAGE}`);
    expect(node.reference).toMatch(/^docker\.io\/kindest\/node:v1\.35\.5-[a-f0-9]{12}$/);
    expect(() => localNodeImage("kindest/node:v1.35.5")).toThrow(/not a pinned image reference/);
  });

  it("is loaded, and tagged when the store did not take the archive's name", () => {
    const docker = fakeDocker(`"load -i /images/node.tar") echo "Loaded image ID: sha256:abc" ;;\n"image inspect"*) exit 1 ;;\n*) exit 0 ;;`);
    execFileSync("sh", ["-c", loadNodeImageScript("/images/node.tar", node.reference)], { env: docker.env });
    expect(docker.calls()).toEqual(["load -i /images/node.tar", `image inspect ${node.reference}`, `tag sha256:abc ${node.reference}`]);
  });

  it("is not tagged again when the archive's name came through", () => {
    const docker = fakeDocker(`"load -i /images/node.tar") echo "Loaded image: ${node.reference}" ;;\n*) exit 0 ;;`);
    execFileSync("sh", ["-c", loadNodeImageScript("/images/node.tar", node.reference)], { env: docker.env });
    expect(docker.calls()).toEqual(["load -i /images/node.tar", `image inspect ${node.reference}`]);
  });

  it("fails naming the reference when the load gives nothing to tag", () => {
    const docker = fakeDocker(`"load -i /images/node.tar") echo "" ;;\n"image inspect"*) exit 1 ;;\n*) exit 0 ;;`);
    const result = spawnSync("sh", ["-c", loadNodeImageScript("/images/node.tar", node.reference)], { env: docker.env, encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`docker load did not give the node image the name ${node.reference}`);
  });
});
