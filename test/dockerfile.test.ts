// The operator's Dockerfile under --mirrors (src/operator/dockerfile.ts), on the real upstream
// Dockerfiles: Training Operator v1.9.4's (its Go module tree) and Trainer v2.3.0's (its git tree).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerfileBaseImages, mirroredDockerfile } from "../src/operator/dockerfile.js";
import { OPERATOR_DOCKERFILE } from "../src/operator/plan.js";
import { TRAINER_DOCKERFILE } from "../src/operator/trainer.js";
import { parseMirrorFile } from "../src/versions/mirrors.js";
import { copyTree } from "./helpers/upstreamTrees.js";

const DIGEST = `sha256:${"c".repeat(64)}`;
let root: string;
let v1: string;
let v2: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "dockerfiles-"));
  v1 = readFileSync(join(copyTree("v1", join(root, "v1"), ["build"]), OPERATOR_DOCKERFILE), "utf8");
  v2 = readFileSync(join(copyTree("v2", join(root, "v2"), ["cmd"]), TRAINER_DOCKERFILE), "utf8");
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const mirrorsOf = (images: Record<string, string>, goProxy?: string) =>
  parseMirrorFile(JSON.stringify({ images, ...(goProxy ? { goProxy } : {}) }));

describe("the operators' Dockerfiles", () => {
  it("start from these base images (stages by name and scratch are not images)", () => {
    expect(dockerfileBaseImages(v2, TRAINER_DOCKERFILE)).toEqual([
      { line: 16, image: "golang:1.26" },
      { line: 31, image: "gcr.io/distroless/static:nonroot" },
    ]);
    expect(dockerfileBaseImages(v1, OPERATOR_DOCKERFILE).map((b) => b.image)).toEqual(["golang:1.26", "gcr.io/distroless/static:latest"]);
  });

  it("under --mirrors, start from the mirrors' copies and see the Go proxy; nothing else changes", () => {
    const mirrors = mirrorsOf(
      { "golang:1.26": `mirror.internal/golang:1.26@${DIGEST}`, "gcr.io/distroless/static:nonroot": `mirror.internal/distroless/static:nonroot@${DIGEST}` },
      "http://goproxy.internal",
    );
    const { text, replaced } = mirroredDockerfile(v2, TRAINER_DOCKERFILE, mirrors);
    expect(replaced).toEqual([
      { from: "golang:1.26", to: `mirror.internal/golang:1.26@${DIGEST}` },
      { from: "gcr.io/distroless/static:nonroot", to: `mirror.internal/distroless/static:nonroot@${DIGEST}` },
    ]);
    const before = v2.split("\n");
    const after = text.split("\n");
    expect(after[15]).toBe(`FROM mirror.internal/golang:1.26@${DIGEST} AS builder`);
    expect(after[16]).toBe("ARG GOPROXY");
    expect(after[31]).toBe(`FROM mirror.internal/distroless/static:nonroot@${DIGEST}`);
    expect(after[32]).toBe("ARG GOPROXY");
    // Every other line as upstream wrote it.
    expect(after.filter((_, i) => ![15, 16, 31, 32].includes(i))).toEqual(before.filter((_, i) => ![15, 30].includes(i)));
    // Without a Go proxy, only the FROM lines change.
    const noProxy = mirroredDockerfile(v2, TRAINER_DOCKERFILE, mirrorsOf(Object.fromEntries(replaced.map((r) => [r.from, r.to]))));
    expect(noProxy.text.split("\n").length).toBe(before.length);
    expect(noProxy.text).not.toContain("GOPROXY");
  });

  it("refuses a base image the mirror file lacks, naming the Dockerfile's line and what to add", () => {
    expect(() => mirroredDockerfile(v2, TRAINER_DOCKERFILE, mirrorsOf({ "golang:1.26": `m/golang@${DIGEST}` }))).toThrow(
      `--mirrors: ${TRAINER_DOCKERFILE}:31: FROM gcr.io/distroless/static:nonroot has no entry in images: add "gcr.io/distroless/static:nonroot: <your copy>@sha256:<digest>"`,
    );
    const [golang, distroless] = dockerfileBaseImages(v1, OPERATOR_DOCKERFILE);
    expect(() => mirroredDockerfile(v1, OPERATOR_DOCKERFILE, mirrorsOf({}, "http://goproxy.internal"))).toThrow(
      `--mirrors: ${OPERATOR_DOCKERFILE}:${golang!.line}: FROM golang:1.26 has no entry in images`,
    );
    const both = mirroredDockerfile(v1, OPERATOR_DOCKERFILE, mirrorsOf({ "docker.io/library/golang:1.26": `m/golang@${DIGEST}`, [distroless!.image]: `m/static@${DIGEST}` }));
    // An entry matches however Docker spells the name (golang:1.26 is docker.io/library/golang:1.26).
    expect(both.replaced.map((r) => r.to)).toEqual([`m/golang@${DIGEST}`, `m/static@${DIGEST}`]);
  });
});

describe("a Dockerfile's FROM lines", () => {
  const file = "Dockerfile";
  it("keeps --platform and stage names, follows continuations, and leaves stages and scratch alone", () => {
    const text = ["# syntax=docker/dockerfile:1", "FROM --platform=$BUILDPLATFORM golang:1.26 \\", "  AS build", "RUN go build", "FROM build AS test", "FROM scratch", "COPY --from=build /x /x", ""].join("\n");
    expect(dockerfileBaseImages(text, file)).toEqual([{ line: 2, image: "golang:1.26" }]);
    const { text: out } = mirroredDockerfile(text, file, mirrorsOf({ "golang:1.26": `m/golang@${DIGEST}` }, "http://goproxy.internal"));
    expect(out.split("\n")).toEqual([
      "# syntax=docker/dockerfile:1",
      `FROM --platform=$BUILDPLATFORM m/golang@${DIGEST} AS build`,
      "ARG GOPROXY",
      "RUN go build",
      "FROM build AS test",
      "ARG GOPROXY",
      "FROM scratch",
      "ARG GOPROXY",
      "COPY --from=build /x /x",
      "",
    ]);
  });

  it("refuses an image named through a build argument, and a FROM it cannot read", () => {
    expect(() => mirroredDockerfile("ARG BASE=golang:1.26\nFROM ${BASE}\n", file, mirrorsOf({}))).toThrow(/Dockerfile:2: FROM \$\{BASE\} names its image through a build argument/);
    expect(() => dockerfileBaseImages("FROM a b c d\n", file)).toThrow(/--operator-source: Dockerfile:1: cannot read "FROM a b c d"/);
  });
});
