// An exec that fails outside what `expect: ReturnType.Any` covers surfaces as the SDK's
// ExecError, which the runtime's bundled SDK does not export: it is recognised by shape.
import { ExecError, type Service } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";
import { startDockerService } from "../src/cluster/docker.js";
import { asExecResult } from "../src/cluster/daggerRunner.js";
import { asStepFailure, CommandFailed } from "../src/exec/steps.js";

describe("asExecResult", () => {
  it("reads exit code and output from the SDK's own ExecError", () => {
    const error = new ExecError("exit code: 137", { cmd: ["sh", "-c", "x"], exitCode: 137, stdout: "out", stderr: "err" });
    expect(asExecResult(error)).toEqual({ exitCode: 137, stdout: "out", stderr: "err" });
  });

  it("leaves every other error alone", () => {
    expect(asExecResult(new Error("connection refused"))).toBeUndefined();
    expect(asExecResult({ name: "ExecError" })).toBeUndefined();
    expect(asExecResult(undefined)).toBeUndefined();
  });
});

describe("a Docker service that exits at start", () => {
  it("fails with dockerd's own last log lines, not only its exit code", async () => {
    const log = "level=info msg=\"Starting up\"\nfailed to start daemon: Error initializing network controller: iptables failed\n";
    const service = { start: async () => Promise.reject(new ExecError("exit code: 1", { cmd: ["dockerd"], exitCode: 1, stdout: "", stderr: log })) } as unknown as Service;
    const error = await startDockerService(service, "run-0123456789").then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailed);
    const failure = asStepFailure("start docker service", error);
    expect(failure.reason).toMatch(/^`docker service: dockerd .*--data-root=\/var\/lib\/docker-runs\/run-0123456789` exited with code 1$/);
    expect(failure.logTail).toEqual(["level=info msg=\"Starting up\"", "failed to start daemon: Error initializing network controller: iptables failed"]);
  });

  it("passes any other error on as it is", async () => {
    const service = { start: async () => Promise.reject(new Error("connection reset")) } as unknown as Service;
    await expect(startDockerService(service, "run-0123456789")).rejects.toThrow("connection reset");
  });
});
