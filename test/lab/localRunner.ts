// The lab's CommandRunner: commands run with `docker exec` in a client container on a local
// Docker, bound to the lab's Docker service as the module's client is bound to its Dagger
// service. Inputs are host paths (files, directories) or texts, copied into the container.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { posix } from "node:path";
import type { CommandRunner, ExecResult, Input, RunOptions } from "../../src/exec/runner.js";
import { bounded, shellQuote } from "../../src/exec/shell.js";

/** Seconds past a command's own limit before the harness kills `docker exec` itself. */
const GRACE_SECONDS = 30;

/** Runs the docker CLI on the host; throws with its output on failure. */
export function docker(args: string[], input?: string): string {
  const result = spawnSync("docker", args, { encoding: "utf8", input, maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`docker ${args.join(" ")} exited ${result.status}: ${result.stderr || result.stdout}`);
  return result.stdout;
}

/** Removes containers (and their anonymous volumes) if they exist. */
export function removeContainers(...names: string[]): void {
  for (const name of names) {
    try {
      docker(["rm", "-f", "-v", name]);
    } catch {
      /* already gone */
    }
  }
}

function execIn(container: string, argv: string[], options: RunOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", ["exec", "-i", container, ...bounded(options.timeoutSeconds, argv)], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), (options.timeoutSeconds + GRACE_SECONDS) * 1000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      resolve({ exitCode: code ?? (signal ? 125 : -1), stdout, stderr });
    });
    child.stdin.end(options.stdin ?? "");
  });
}

/** A host folder bind-mounted read-only into the container (e.g. the lab's image archives). */
export interface SharedFolder {
  host: string;
  container: string;
}

/** Commands in a running container; inputs are placed once and stay, like files of the client. */
export class LocalRunner implements CommandRunner<string> {
  constructor(
    readonly container: string,
    private readonly inputs: Input<string>[] = [],
    /** What is already in the container, by path: shared by every runner derived from this one. */
    private readonly placed: Map<string, string> = new Map(),
    /**
     * Files under a shared folder are linked, not copied: a copy of every image archive in the
     * client would double the disk a run needs (a Dagger mount copies nothing either).
     */
    private readonly shared: SharedFolder[] = [],
  ) {}

  with(inputs: Input<string>[]): LocalRunner {
    return new LocalRunner(this.container, [...this.inputs, ...inputs], this.placed, this.shared);
  }

  /** Where a host file is visible in the container through a shared folder, if it is. */
  private sharedPath(file: string): string | undefined {
    const folder = this.shared.find((f) => file.startsWith(`${f.host}/`));
    return folder ? posix.join(folder.container, file.slice(folder.host.length + 1)) : undefined;
  }

  private place(): void {
    for (const input of this.inputs) {
      const key = "text" in input ? `text:${createHash("sha256").update(input.text).digest("hex")}:${input.mode ?? ""}` : "file" in input ? `file:${input.file}` : `dir:${input.directory}`;
      if (this.placed.get(input.path) === key) continue;
      const dir = posix.dirname(input.path);
      if ("text" in input) {
        const mode = input.mode === undefined ? "" : ` && chmod ${input.mode.toString(8)} ${shellQuote(input.path)}`;
        docker(["exec", "-i", this.container, "sh", "-c", `mkdir -p ${shellQuote(dir)} && cat > ${shellQuote(input.path)}${mode}`], input.text);
      } else {
        const linked = "file" in input ? this.sharedPath(input.file) : undefined;
        const link = linked ? ` && ln -s ${shellQuote(linked)} ${shellQuote(input.path)}` : "";
        docker(["exec", this.container, "sh", "-c", `rm -rf ${shellQuote(input.path)} && mkdir -p ${shellQuote(dir)}${link}`]);
        if (!linked) docker(["cp", "file" in input ? input.file : input.directory, `${this.container}:${input.path}`]);
        // What was placed inside the replaced path is gone with it (a Dagger mount replaces it too).
        for (const path of [...this.placed.keys()]) if (path.startsWith(`${input.path}/`)) this.placed.delete(path);
      }
      this.placed.set(input.path, key);
    }
  }

  async run(argv: string[], options: RunOptions): Promise<ExecResult> {
    this.place();
    return execIn(this.container, argv, options);
  }

  async runAndRead(argv: string[], options: RunOptions, dir: string) {
    const result = await this.run(argv, options);
    const read = async (path: string) => {
      const out = await execIn(this.container, ["cat", posix.join(dir, path)], { timeoutSeconds: 60 });
      if (out.exitCode !== 0) throw new Error(`cannot read ${posix.join(dir, path)}: ${out.stderr.trim()}`);
      return out.stdout;
    };
    return { result, read };
  }
}
