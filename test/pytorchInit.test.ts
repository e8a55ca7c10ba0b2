// The Training Operator's PyTorchJob init container, run for real: its exact command (as
// v1.9.4 renders it) under busybox, a pod-style resolv.conf, and a loopback DNS responder
// that answers like CoreDNS, all inside a private mount and network namespace. Busybox's
// nslookup (>= 1.31) fails the bare name whenever one search expansion is NXDOMAIN, so the
// loop never ends; the nslookup the PyTorch framework adds to the init image fixes that.
// Debian's busybox package, like alpine's, has no standalone shell: commands go through PATH.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shellQuote } from "../src/exec/shell.js";
import { REPO_ROOT } from "./helpers/catalogFixture.js";

/**
 * kubeflow/trainer v1.9.4, pkg/controller.v1/pytorch/initcontainer.go (initContainerTemplate):
 * the init container's `sh -c` script, with MaxTries from --pytorch-init-container-max-tries
 * (default 100) and MasterAddr `<job>-master-0`.
 */
const renderInitScript = (masterAddr: string, maxTries: number) =>
  `err=1;for i in $(seq ${maxTries}); do if nslookup ${masterAddr}; then err=0 && break; fi;echo waiting for master; sleep 2; done; exit $err`;

const MASTER = "pytorch-e2e-master-0";
const ZONE = "default.svc.cluster.local";
/** What kubelet writes for a pod in the default namespace (ClusterFirst). */
const POD_RESOLV_CONF = `search ${ZONE} svc.cluster.local cluster.local\nnameserver 127.0.0.1\noptions ndots:5\n`;
const SHIM_DIR = join(REPO_ROOT, "frameworks", "pytorch", "operator");
const BUSYBOX = "/bin/busybox";

let scratch: string;
let applets: string;
beforeAll(() => {
  const probe = spawnSync(BUSYBOX, ["nslookup"], { encoding: "utf8" });
  if (probe.error) throw new Error(`${BUSYBOX} not found: install Debian's busybox (bash .ci/run does)`);
  scratch = mkdtempSync(join(tmpdir(), "pytorch-init-"));
  // The applets the init image (alpine) provides through busybox.
  applets = join(scratch, "bin");
  mkdirSync(applets);
  for (const applet of ["busybox", "sh", "seq", "sleep", "echo", "sed", "nslookup"]) symlinkSync(BUSYBOX, join(applets, applet));
  writeFileSync(join(scratch, "resolv.conf"), POD_RESOLV_CONF);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface InitRun {
  status: number;
  seconds: number;
  output: string;
}

/** Runs the init container's command with `path`, while the responder serves the master after `resolveAfterMs`. */
function runInit(path: string, maxTries: number, resolveAfterMs: number): InitRun {
  const q = shellQuote;
  const responder = [process.execPath, join(REPO_ROOT, "test", "helpers", "dnsResponder.mjs"), "--name", MASTER, "--zone", ZONE, "--address", "10.244.0.7"];
  const script = [
    "set -e",
    "ip link set lo up",
    `mount --bind ${q(join(scratch, "resolv.conf"))} /etc/resolv.conf`,
    `${responder.map(q).join(" ")} --resolve-after-ms ${resolveAfterMs} --lifetime-ms 120000 > ${q(join(scratch, "dns.log"))} 2>&1 &`,
    // Node starts the responder in well under a second on an idle machine, but took over 5 s
    // beside the lab's builds (2026-12-07): the first lookup then found no server. Wait for it,
    // bounded, and say so if it never listens.
    `for i in $(seq 300); do grep -q listening ${q(join(scratch, "dns.log"))} 2>/dev/null && break; sleep 0.1; done`,
    `grep -q listening ${q(join(scratch, "dns.log"))} || { echo "the DNS responder did not listen within 30 s:"; cat ${q(join(scratch, "dns.log"))}; exit 97; }`,
    "set +e",
    `PATH=${q(path)} sh -c ${q(renderInitScript(MASTER, maxTries))}`,
    "status=$?",
    "kill %1",
    "exit $status",
  ].join("\n");
  const started = Date.now();
  const result = spawnSync("unshare", ["--mount", "--net", "sh", "-c", script], { encoding: "utf8", timeout: 90_000 });
  return { status: result.status ?? -1, seconds: (Date.now() - started) / 1000, output: `${result.stdout}${result.stderr}` };
}

describe("the PyTorchJob worker's init container (operator v1.9.4) with busybox nslookup", () => {
  it("never succeeds with busybox's own nslookup, though the master's name resolves", () => {
    const run = runInit(applets, 3, 0);
    expect(run.status, run.output).toBe(1);
    expect(run.output).toContain("waiting for master");
    expect(run.output).toMatch(/NXDOMAIN/);
  });

  it("succeeds at once with the framework's nslookup earlier on PATH", () => {
    const run = runInit(`${SHIM_DIR}:${applets}`, 3, 0);
    expect(run.status, run.output).toBe(0);
    expect(run.output).not.toContain("waiting for master");
    expect(run.output).toContain(`${MASTER}.${ZONE}`);
    expect(run.output).toContain("10.244.0.7");
  });

  it("keeps waiting while the master's name does not resolve, then succeeds", () => {
    const run = runInit(`${SHIM_DIR}:${applets}`, 10, 3000);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain("waiting for master");
    expect(run.seconds).toBeGreaterThanOrEqual(3);
  });

  it("fails after the operator's tries when the master never appears", () => {
    const run = runInit(`${SHIM_DIR}:${applets}`, 2, 600_000);
    expect(run.status, run.output).toBe(1);
    expect(run.output.match(/waiting for master/g)).toHaveLength(2);
  });
});
