// Collects diagnostics from a live cluster, before its service stops, as plain text files:
// a path-to-content map that owes nothing to the cluster (the module turns it into a
// Directory, the lab into files), so nothing can re-run the collection later.
import type { KindCluster } from "../cluster/kind.js";
import { settleWithLimit } from "../exec/steps.js";
import {
  DIAGNOSTICS_DIR,
  DIAGNOSTICS_INDEX,
  diagnosticCommands,
  diagnosticsScript,
  diagnosticsTimeoutSeconds,
  jobDiagnosticCommands,
  parseDiagnosticsIndex,
  type DiagnosticCommand,
  type DiagnosticsTarget,
} from "./diagnostics.js";
import type { RenderedJob } from "./manifest.js";

/** File reads in flight at once while copying. */
const COPY_CONCURRENCY = 8;
/** Written into the collected files when some could not be copied. */
export const NOT_COPIED_FILE = "not-copied.txt";

export type DiagnosticFiles = Record<string, string>;

/** Everything about the cluster, the operator and `target.jobs`, with kind's exported logs. */
export async function collectDiagnostics<H>(cluster: KindCluster<H>, target: DiagnosticsTarget): Promise<DiagnosticFiles> {
  return { ...(await collect(cluster, diagnosticCommands(target), true)), ...manifests(target.jobs) };
}

/** One framework's folder, taken when its job fails, before its pods are stopped or restarted again. */
export async function collectJobDiagnostics<H>(cluster: KindCluster<H>, framework: string, job: RenderedJob): Promise<DiagnosticFiles> {
  const { [NOT_COPIED_FILE]: lost, ...files } = await collect(cluster, jobDiagnosticCommands(framework, job), false);
  return { ...files, ...(lost === undefined ? {} : { [`${framework}/${NOT_COPIED_FILE}`]: lost }), ...manifests([{ framework, job }]) };
}

async function collect<H>(cluster: KindCluster<H>, commands: DiagnosticCommand[], kindExport: boolean): Promise<DiagnosticFiles> {
  const script = ["sh", "-c", diagnosticsScript(commands, kindExport ? cluster.options.name : undefined)];
  const { result, read } = await cluster.runner.runAndRead(script, { timeoutSeconds: diagnosticsTimeoutSeconds(commands, kindExport) }, DIAGNOSTICS_DIR);
  let indexText: string;
  try {
    indexText = await read(DIAGNOSTICS_INDEX);
  } catch (error) {
    // The script writes its index last: without it, say why rather than lose the reason.
    const why = `the collection ended before listing its files (exit code ${result.exitCode}): ${(error as Error).message}\n${result.stderr.trim()}`;
    return { [NOT_COPIED_FILE]: `${why}\n` };
  }
  const index = parseDiagnosticsIndex(indexText);
  const copies = await settleWithLimit(
    index.copy.map((path) => async () => [path, await read(path)] as const),
    COPY_CONCURRENCY,
  );
  const files: DiagnosticFiles = {};
  const lost: string[] = index.tooLarge.map((f) => `${f.path}: ${f.bytes} bytes, over the report's limit per file`);
  copies.forEach((copy, i) => {
    if (copy.status === "fulfilled") files[copy.value[0]] = copy.value[1];
    else lost.push(`${index.copy[i]}: ${(copy.reason as Error).message}`);
  });
  if (lost.length > 0) files[NOT_COPIED_FILE] = lost.join("\n") + "\n";
  return files;
}

/** The rendered job manifests, which the run has without asking the cluster. */
function manifests(jobs: DiagnosticsTarget["jobs"]): DiagnosticFiles {
  return Object.fromEntries(jobs.map(({ framework, job }) => [`${framework}/manifest.yaml`, job.yaml]));
}
