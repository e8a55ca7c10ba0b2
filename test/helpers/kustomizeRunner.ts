// A CommandRunner for the install plans' own commands, run for real on this machine: inputs are
// copied under a scratch root at their paths (one root for the runner and those it makes),
// `kubectl kustomize DIR` is kustomize's build (the engine kubectl -k embeds) of root+DIR, and
// `cat FILE` reads root+FILE. Any other command is refused: the plans run no other.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { CommandRunner, ExecResult, Input, RunOptions } from "../../src/exec/runner.js";
import { REPO_ROOT } from "./catalogFixture.js";

const KUSTOMIZE = join(REPO_ROOT, ".tools", "bin", "kustomize");

export class KustomizeRunner implements CommandRunner<string> {
  /** Every `kubectl kustomize` folder, in order. */
  readonly rendered: string[];

  constructor(
    private readonly root: string,
    rendered: string[] = [],
  ) {
    this.rendered = rendered;
  }

  with(inputs: Input<string>[]): CommandRunner<string> {
    for (const input of inputs) {
      const target = join(this.root, input.path);
      mkdirSync(dirname(target), { recursive: true });
      if ("text" in input) writeFileSync(target, input.text);
      else cpSync("directory" in input ? input.directory : input.file, target, { recursive: true });
    }
    return new KustomizeRunner(this.root, this.rendered);
  }

  async run(argv: string[], _options: RunOptions): Promise<ExecResult> {
    try {
      if (argv[0] === "kubectl" && argv[1] === "kustomize" && argv.length === 3) {
        this.rendered.push(argv[2]!);
        return ok(execFileSync(KUSTOMIZE, ["build", join(this.root, argv[2]!)], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] }));
      }
      if (argv[0] === "cat" && argv.length === 2) return ok(readFileSync(join(this.root, argv[1]!), "utf8"));
    } catch (error) {
      return { exitCode: 1, stdout: "", stderr: String((error as { stderr?: string }).stderr ?? error) };
    }
    throw new Error(`KustomizeRunner runs only kubectl kustomize and cat, not: ${argv.join(" ")}`);
  }

  runAndRead(): never {
    throw new Error("KustomizeRunner does not run commands that leave files");
  }
}

const ok = (stdout: string): ExecResult => ({ exitCode: 0, stdout, stderr: "" });
