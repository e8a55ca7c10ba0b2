// Collects diagnostics from a live cluster into a Directory, before its service stops.
import { ReturnType, type Directory } from "@dagger.io/dagger";
import { uncached } from "../cluster/exec.js";
import type { KindCluster } from "../cluster/kind.js";
import { bounded } from "../run/shell.js";
import { DIAGNOSTICS_DIR, diagnosticCommands, diagnosticsScript, type DiagnosticsTarget } from "./diagnostics.js";

/** Bound on the whole collection, on top of each command's own. */
const COLLECTION_TIMEOUT_SECONDS = 600;

export async function collectDiagnostics(cluster: KindCluster, target: DiagnosticsTarget): Promise<Directory> {
  const script = diagnosticsScript(diagnosticCommands(target), cluster.options.name);
  let dir = uncached(cluster.client)
    .withExec(bounded(COLLECTION_TIMEOUT_SECONDS, ["sh", "-c", script]), { expect: ReturnType.Any })
    .directory(DIAGNOSTICS_DIR);
  for (const { framework, job } of target.jobs) dir = dir.withNewFile(`${framework}/manifest.yaml`, job.yaml);
  // Evaluate now: the directory is lazy, and the cluster is gone once the service stops.
  return dir.sync();
}
