// What to collect when a run fails after the cluster exists: cluster state, operator,
// each framework's job and pods (a folder per framework) and kind's own logs.
import { nodeContainer } from "../cluster/commands.js";
import type { OperatorDeployment } from "../operator/plan.js";
import { bounded, shellCommand } from "../run/shell.js";
import type { RenderedJob } from "./manifest.js";

export const DIAGNOSTICS_DIR = "/diagnostics";
/** No collection command may hang the failure path. */
export const DIAGNOSTIC_COMMAND_TIMEOUT_SECONDS = 60;

export interface DiagnosticsTarget {
  clusterName: string;
  operator?: OperatorDeployment;
  jobs: { framework: string; job: RenderedJob }[];
}

export interface DiagnosticCommand {
  /** Path under the diagnostics folder. */
  file: string;
  argv: string[];
}

export function diagnosticCommands(target: DiagnosticsTarget): DiagnosticCommand[] {
  const commands: DiagnosticCommand[] = [
    { file: "cluster/nodes.txt", argv: ["kubectl", "get", "nodes", "-o", "wide"] },
    { file: "cluster/resources.txt", argv: ["kubectl", "get", "all", "--all-namespaces", "-o", "wide"] },
    { file: "cluster/events.txt", argv: ["kubectl", "get", "events", "--all-namespaces", "--sort-by=.lastTimestamp"] },
    { file: "cluster/node-images.txt", argv: ["docker", "exec", nodeContainer(target.clusterName), "crictl", "images"] },
  ];
  const op = target.operator;
  if (op) {
    commands.push(
      { file: "operator/describe.txt", argv: ["kubectl", "describe", "deployment,pods", "-n", op.namespace] },
      { file: "operator/logs.txt", argv: ["kubectl", "logs", "-n", op.namespace, `deployment/${op.name}`, "--all-containers", "--tail=-1"] },
      { file: "operator/logs-previous.txt", argv: ["kubectl", "logs", "-n", op.namespace, `deployment/${op.name}`, "--all-containers", "--previous", "--tail=-1"] },
    );
  }
  for (const { framework, job } of target.jobs) {
    const ns = ["-n", job.namespace];
    commands.push(
      { file: `${framework}/job.yaml`, argv: ["kubectl", "get", job.resource, job.name, ...ns, "-o", "yaml"] },
      { file: `${framework}/job-describe.txt`, argv: ["kubectl", "describe", job.resource, job.name, ...ns] },
      { file: `${framework}/pods-describe.txt`, argv: ["kubectl", "describe", "pods", ...ns, "-l", job.selector] },
      { file: `${framework}/pods.log`, argv: ["kubectl", "logs", ...ns, "-l", job.selector, "--all-containers", "--prefix", "--tail=-1", "--max-log-requests=20"] },
    );
  }
  return commands;
}

/**
 * One best-effort script: every command runs bounded, its output and exit status go to
 * its file, and the script always succeeds so that one missing piece loses nothing else.
 */
export function diagnosticsScript(commands: DiagnosticCommand[], clusterName: string): string {
  const dirs = [...new Set(commands.map((c) => `${DIAGNOSTICS_DIR}/${c.file.split("/").slice(0, -1).join("/")}`))];
  const lines = [`mkdir -p ${dirs.map((d) => shellCommand([d])).join(" ")}`];
  for (const c of commands) {
    const out = shellCommand([`${DIAGNOSTICS_DIR}/${c.file}`]);
    lines.push(`${shellCommand(bounded(DIAGNOSTIC_COMMAND_TIMEOUT_SECONDS, c.argv))} > ${out} 2>&1 || echo "[exit $?: ${shellCommand(c.argv).replace(/["$`\\]/g, "")}]" >> ${out}`);
  }
  const kindLogs = shellCommand(bounded(120, ["kind", "export", "logs", `${DIAGNOSTICS_DIR}/kind`, "--name", clusterName]));
  lines.push(`${kindLogs} > ${DIAGNOSTICS_DIR}/kind-export.txt 2>&1 || echo "[exit $?]" >> ${DIAGNOSTICS_DIR}/kind-export.txt`);
  lines.push("exit 0");
  return lines.join("\n") + "\n";
}
