// Collects diagnostics from a live cluster, before its service stops, into a Directory that
// owes nothing to the service: each file's content is copied into a new Directory, so an
// export after the run cannot re-run the collection against a fresh dockerd.
import { dag, ReturnType, type Directory } from "@dagger.io/dagger";
import { uncached } from "../cluster/exec.js";
import type { KindCluster } from "../cluster/kind.js";
import { bounded } from "../run/shell.js";
import { settleWithLimit } from "../run/steps.js";
import {
  DIAGNOSTICS_DIR,
  DIAGNOSTICS_INDEX,
  diagnosticCommands,
  diagnosticsScript,
  diagnosticsTimeoutSeconds,
  parseDiagnosticsIndex,
  type DiagnosticsTarget,
} from "./diagnostics.js";

/** File reads in flight at once while copying. */
const COPY_CONCURRENCY = 8;

export async function collectDiagnostics(cluster: KindCluster, target: DiagnosticsTarget): Promise<Directory> {
  const commands = diagnosticCommands(target);
  const collected = await uncached(cluster.client)
    .withExec(bounded(diagnosticsTimeoutSeconds(commands), ["sh", "-c", diagnosticsScript(commands, cluster.options.name)]), { expect: ReturnType.Any })
    .directory(DIAGNOSTICS_DIR)
    .sync();
  const index = parseDiagnosticsIndex(await collected.file(DIAGNOSTICS_INDEX).contents());
  const copies = await settleWithLimit(
    index.copy.map((path) => async () => ({ path, text: await collected.file(path).contents() })),
    COPY_CONCURRENCY,
  );
  let detached = dag.directory();
  const lost: string[] = index.tooLarge.map((f) => `${f.path}: ${f.bytes} bytes, over the report's limit per file`);
  copies.forEach((copy, i) => {
    if (copy.status === "fulfilled") detached = detached.withNewFile(copy.value.path, copy.value.text);
    else lost.push(`${index.copy[i]}: ${(copy.reason as Error).message}`);
  });
  if (lost.length > 0) detached = detached.withNewFile("not-copied.txt", lost.join("\n") + "\n");
  for (const { framework, job } of target.jobs) detached = detached.withNewFile(`${framework}/manifest.yaml`, job.yaml);
  return detached.sync();
}
