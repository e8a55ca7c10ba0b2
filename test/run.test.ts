import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { failureMessage, renderSummary, type RunReport } from "../src/run/report.js";
import { bounded, EXIT_KILLED, EXIT_TIMED_OUT, shellQuote } from "../src/exec/shell.js";
import { CommandFailed, FailureWithLog, RunRecorder, settleWithLimit, StepFailure } from "../src/exec/steps.js";

function fakeClock(...times: number[]) {
  return () => times.shift() ?? 0;
}

describe("steps", () => {
  it("are timed and logged", async () => {
    const lines: string[] = [];
    const recorder = new RunRecorder(fakeClock(0, 1500, 2000, 62000), (l) => lines.push(l));
    expect(await recorder.step("build images", async () => 42)).toBe(42);
    await recorder.step("create cluster", async () => undefined);
    expect(recorder.steps).toEqual([
      { name: "build images", status: "ok", seconds: 1.5 },
      { name: "create cluster", status: "ok", seconds: 60 },
    ]);
    expect(lines).toEqual(["▶ build images", "✔ build images (1.5s)", "▶ create cluster", "✔ create cluster (1m00s)"]);
  });

  it("turn a failed command into a step failure with the command's last lines", async () => {
    const recorder = new RunRecorder(fakeClock(0, 300000), () => {});
    const stderr = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
    const failure = await recorder
      .step("deploy operator", async () => {
        throw new CommandFailed("kubectl wait --for=condition=Available", EXIT_TIMED_OUT, "", stderr, 300);
      })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StepFailure);
    expect((failure as StepFailure).message).toBe('step "deploy operator" failed: `kubectl wait --for=condition=Available` timed out after 300s');
    expect((failure as StepFailure).logTail).toEqual(Array.from({ length: 15 }, (_, i) => `line ${i + 15}`));
    expect(recorder.steps[0]).toMatchObject({ name: "deploy operator", status: "failed", seconds: 300 });
  });

  it("keep the log lines a failure carries", async () => {
    const recorder = new RunRecorder(fakeClock(), () => {});
    const failure = (await recorder.step("run jax job", () => Promise.reject(new FailureWithLog("JAXJob failed", ["a", "b"]))).catch((e: unknown) => e)) as StepFailure;
    expect(failure.logTail).toEqual(["a", "b"]);
  });

  it("report a non-zero exit that is not a timeout as such", () => {
    expect(new CommandFailed("kind create cluster", 1, "out", "", 600).message).toBe("`kind create cluster` exited with code 1");
    expect(new CommandFailed("x", 1, "only stdout", "", 5).tail()).toEqual(["only stdout"]);
  });
});

describe("settleWithLimit", () => {
  it("never runs more than the limit at once and keeps every outcome", async () => {
    let running = 0;
    let peak = 0;
    const task = (value: number, fail = false) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 10));
      running--;
      if (fail) throw new Error(`task ${value} failed`);
      return value;
    };
    const results = await settleWithLimit([task(1), task(2, true), task(3), task(4)], 2);
    expect(peak).toBe(2);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect(results[3]).toEqual({ status: "fulfilled", value: 4 });
  });

  it("refuses a limit below one", async () => {
    await expect(settleWithLimit([], 0)).rejects.toThrow(/at least 1/);
  });
});

describe("report", () => {
  const base: RunReport = {
    ok: false,
    operator: "kubeflow/trainer v1.9.4 manifests, released operator image",
    cluster: "kind v0.32.0, kindest/node:v1.35.5",
    frameworks: [
      {
        framework: "jax",
        image: "docker.io/kubeflow-ci/jax-e2e:pr-1",
        job: "JAXJob jax-e2e",
        status: "failed",
        seconds: 31,
        detail: "Failed (JAXJobFailed): 1 Worker replica(s) failed.",
        results: [],
      },
    ],
    steps: [
      { name: "build images", status: "ok", seconds: 80 },
      { name: "run jax job", status: "failed", seconds: 31, error: "JAXJob jax-e2e failed" },
    ],
    failures: [{ step: "run jax job", reason: "JAXJob jax-e2e failed: Failed (JAXJobFailed)", logTail: ["jax-e2e-worker-0: E2E_RESULT {\"ok\":false}"] }],
    diagnosticsCollected: true,
  };

  it("summarises frameworks, operator and step durations", () => {
    const summary = renderSummary(base);
    expect(summary).toContain("training-operator-ci e2e: FAILED");
    expect(summary).toContain("operator: kubeflow/trainer v1.9.4");
    expect(summary).toMatch(/jax\s+FAILED\s+JAXJob jax-e2e\s+docker.io\/kubeflow-ci\/jax-e2e:pr-1\s+\(31.0s\)/);
    expect(summary).toMatch(/ok\s+1m20s\s+build images/);
    expect(summary).toMatch(/FAILED\s+31.0s\s+run jax job/);
  });

  it("fails with the step, the log tail and how to keep diagnostics", () => {
    const message = failureMessage(base, "dagger call test --framework jax report -o ./e2e-report");
    expect(message).toContain('step "run jax job" failed: JAXJob jax-e2e failed');
    expect(message).toContain('    jax-e2e-worker-0: E2E_RESULT {"ok":false}');
    expect(message).toContain("Diagnostics were collected");
    expect(message).toContain("  dagger call test --framework jax report -o ./e2e-report");
  });

  it("one framework's failure does not hide another's result", () => {
    const report: RunReport = {
      ...base,
      frameworks: [
        { ...base.frameworks[0]! },
        { framework: "xgboost", image: "docker.io/kubeflow-ci/xgboost-e2e:pr-1", job: "XGBoostJob xgboost-e2e", status: "passed", seconds: 12, detail: "Succeeded", results: ["xgboost-e2e-master-0: ok rounds=10"] },
      ],
    };
    const summary = renderSummary(report);
    expect(summary).toMatch(/jax\s+FAILED/);
    expect(summary).toMatch(/xgboost\s+PASSED/);
    expect(summary).toContain("xgboost-e2e-master-0: ok rounds=10");
  });
});

describe("shell quoting", () => {
  it.each([
    ["plain/path-1.tar", "plain/path-1.tar"],
    ["with space", "'with space'"],
    ["it's", "'it'\\''s'"],
    ["$(rm -rf /)", "'$(rm -rf /)'"],
  ])("%s", (input, quoted) => {
    expect(shellQuote(input)).toBe(quoted);
  });
});

describe("bounded commands", () => {
  const run = (argv: string[], env: Record<string, string> = {}) => {
    try {
      execFileSync(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: "pipe" });
      return 0;
    } catch (error) {
      return (error as { status: number }).status;
    }
  };

  it("pass the command's own exit code through", () => {
    expect(run(bounded(10, ["sh", "-c", "exit 3"]))).toBe(3);
    expect(run(bounded(10, ["true"]))).toBe(0);
  });

  it("report a passed time limit as 124", () => {
    expect(run(bounded(1, ["sleep", "5"]))).toBe(EXIT_TIMED_OUT);
  });

  it("map busybox's SIGTERM exit (143) to 124, which Dagger accepts as a result", () => {
    const dir = mkdtempSync(join(tmpdir(), "busybox-"));
    writeFileSync(join(dir, "timeout"), "#!/bin/sh\nexit 143\n", { mode: 0o755 });
    expect(run(bounded(1, ["sleep", "5"]), { PATH: `${dir}:${process.env.PATH}` })).toBe(EXIT_TIMED_OUT);
  });

  it("report another signal as 125", () => {
    expect(run(bounded(10, ["sh", "-c", "kill -KILL $$"]))).toBe(EXIT_KILLED);
  });

  it("name the time limit in the error", () => {
    expect(new CommandFailed("kind create cluster", EXIT_TIMED_OUT, "", "", 600).message).toBe("`kind create cluster` timed out after 600s");
    expect(new CommandFailed("kubectl wait", EXIT_KILLED, "", "", 60).message).toMatch(/was killed by a signal/);
  });
});
