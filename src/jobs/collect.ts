// Collects diagnostics from a live cluster into a Directory, before its service stops.
import { ReturnType, type Directory } from "@dagger.io/dagger";
import { uncached } from "../cluster/exec.js";
import type { KindCluster } from "../cluster/kind.js";
import { bounded } from "../run/shell.js";
import { DIAGNOSTICS_DIR, diagnosticCommands, diagnosticsScript, diagnosticsTimeoutSeconds, type DiagnosticsTarget } from "./diagnostics.js";

export async function collectDiagnostics(cluster: KindCluster, target: DiagnosticsTarget): Promise<Directory> {
  const commands = diagnosticCommands(target);
  let dir = uncached(cluster.client)
    .withExec(bounded(diagnosticsTimeoutSeconds(commands), ["sh", "-c", diagnosticsScript(commands, cluster.options.name)]), { expect: ReturnType.Any })
    .directory(DIAGNOSTICS_DIR);
  for (const { framework, job } of target.jobs) dir = dir.withNewFile(`${framework}/manifest.yaml`, job.yaml);
  // Evaluate now: the directory is lazy, and the cluster is gone once the service stops.
  return dir.sync();
}
