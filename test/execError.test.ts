// An exec that fails outside what `expect: ReturnType.Any` covers surfaces as the SDK's
// ExecError, which the runtime's bundled SDK does not export: it is recognised by shape.
import { ExecError } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";
import { asExecResult } from "../src/cluster/exec.js";

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
