// What to collect when a run fails after the cluster exists: cluster state, operator,
// each framework's job and pods (a folder per framework) and kind's own logs. A framework's
// folder can also be collected alone, the moment its job fails.
import { nodeContainer } from "../cluster/commands.js";
import { KIND_NETWORK } from "../cluster/network.js";
import { shellCommand, withTimeout } from "../exec/shell.js";
import type { RenderedJob } from "./manifest.js";

export const DIAGNOSTICS_DIR = "/diagnostics";
/** Written last by the script: `<size> ./<path>` for every collected file. */
export const DIAGNOSTICS_INDEX = ".index";
/** Files larger than this are left out of the report (named in it) rather than copied. */
export const MAX_DIAGNOSTIC_FILE_BYTES = 8 * 1024 * 1024;
/** No collection command may hang the failure path. */
export const DIAGNOSTIC_COMMAND_TIMEOUT_SECONDS = 60;
export const KIND_EXPORT_TIMEOUT_SECONDS = 120;
/** kubectl gives up on an unresponsive API server well before the command's own limit. */
const REQUEST_TIMEOUT = "--request-timeout=20s";

export interface DiagnosticsTarget {
  clusterName: string;
  /** The operator's Deployments (Trainer v2: the Trainer's and JobSet's controllers). */
  operator: { namespace: string; name: string }[];
  jobs: { framework: string; job: RenderedJob }[];
}

export interface DiagnosticCommand {
  /** Path under the diagnostics folder. */
  file: string;
  argv: string[];
}

/** What tells why the cluster, dockerd, Kind or the operator failed. */
function clusterCommands(target: DiagnosticsTarget): DiagnosticCommand[] {
  const node = nodeContainer(target.clusterName);
  const commands: DiagnosticCommand[] = [
    // When dockerd or Kind itself is the problem.
    { file: "docker/info.txt", argv: ["docker", "info"] },
    { file: "docker/ps.txt", argv: ["docker", "ps", "--all", "--no-trunc"] },
    { file: "docker/network-kind.json", argv: ["docker", "network", "inspect", KIND_NETWORK] },
    { file: "docker/node-inspect.json", argv: ["docker", "inspect", node] },
    { file: "docker/node.log", argv: ["docker", "logs", "--timestamps", node] },
    { file: "cluster/node-images.txt", argv: ["docker", "exec", node, "crictl", "images"] },
    { file: "cluster/nodes.txt", argv: ["kubectl", "get", "nodes", "-o", "wide"] },
    { file: "cluster/resources.txt", argv: ["kubectl", "get", "all", "--all-namespaces", "-o", "wide"] },
    { file: "cluster/events.txt", argv: ["kubectl", "get", "events", "--all-namespaces", "--sort-by=.lastTimestamp"] },
  ];
  for (const namespace of [...new Set(target.operator.map((d) => d.namespace))]) {
    commands.push({ file: `operator/describe-${namespace}.txt`, argv: ["kubectl", "describe", "deployment,pods", "-n", namespace] });
  }
  for (const op of target.operator) {
    commands.push(
      { file: `operator/${op.name}.log`, argv: ["kubectl", "logs", "-n", op.namespace, `deployment/${op.name}`, "--all-containers", "--tail=-1"] },
      { file: `operator/${op.name}-previous.log`, argv: ["kubectl", "logs", "-n", op.namespace, `deployment/${op.name}`, "--all-containers", "--previous", "--tail=-1"] },
    );
  }
  return commands;
}

/** One framework's job, its related objects and its pods (with the logs of containers that restarted), under `<framework>/`. */
export function jobDiagnosticCommands(framework: string, job: RenderedJob): DiagnosticCommand[] {
  const ns = ["-n", job.namespace];
  const previousLogs = [
    `for pod in $(${shellCommand(["kubectl", "get", "pods", ...ns, "-l", job.podSelector, "-o", "name", REQUEST_TIMEOUT])}); do`,
    `  echo "== $pod"; ${shellCommand(["kubectl", "logs", ...ns])} "$pod" --all-containers --previous --tail=-1 ${REQUEST_TIMEOUT} 2>&1`,
    "done",
  ].join("\n");
  return withRequestTimeout([
    { file: `${framework}/job.yaml`, argv: ["kubectl", "get", job.resource, job.name, ...ns, "-o", "yaml"] },
    { file: `${framework}/job-describe.txt`, argv: ["kubectl", "describe", job.resource, job.name, ...ns] },
    ...job.related.map((r) => ({ file: `${framework}/${r.resource.split(".")[0]}.yaml`, argv: ["kubectl", "get", r.resource, r.name, ...ns, "-o", "yaml"] })),
    { file: `${framework}/pods-describe.txt`, argv: ["kubectl", "describe", "pods", ...ns, "-l", job.podSelector] },
    { file: `${framework}/pods.log`, argv: ["kubectl", "logs", ...ns, "-l", job.podSelector, "--all-containers", "--prefix", "--tail=-1", "--max-log-requests=20"] },
    // A container the runtime restarted: the run that failed is the previous one.
    { file: `${framework}/pods-previous.log`, argv: ["sh", "-c", previousLogs] },
  ]);
}

/** Everything: the cluster's and operator's state, and every framework's job and pods. */
export function diagnosticCommands(target: DiagnosticsTarget): DiagnosticCommand[] {
  return [...withRequestTimeout(clusterCommands(target)), ...target.jobs.flatMap(({ framework, job }) => jobDiagnosticCommands(framework, job))];
}

function withRequestTimeout(commands: DiagnosticCommand[]): DiagnosticCommand[] {
  return commands.map((c) => (c.argv[0] === "kubectl" ? { ...c, argv: [...c.argv, REQUEST_TIMEOUT] } : c));
}

/** Upper bound of the whole collection: every command at its limit, plus kind's export when it runs. */
export function diagnosticsTimeoutSeconds(commands: DiagnosticCommand[], kindExport = true): number {
  return commands.length * DIAGNOSTIC_COMMAND_TIMEOUT_SECONDS + (kindExport ? KIND_EXPORT_TIMEOUT_SECONDS : 0) + 30;
}

/**
 * One best-effort script: every command runs bounded, its output and exit status go to
 * its file, and the script always succeeds so that one missing piece loses nothing else.
 * With `clusterName`, kind's own log export runs first.
 */
export function diagnosticsScript(commands: DiagnosticCommand[], clusterName?: string): string {
  const dirs = [...new Set(commands.map((c) => `${DIAGNOSTICS_DIR}/${c.file.split("/").slice(0, -1).join("/")}`))];
  const record = (argv: string[], seconds: number, file: string) => {
    const out = shellCommand([`${DIAGNOSTICS_DIR}/${file}`]);
    return `${shellCommand(withTimeout(seconds, argv))} > ${out} 2>&1 || echo "[exit $?]" >> ${out}`;
  };
  const lines = [
    // A fresh folder: a client that lives on (the lab's, or a terminal's) may hold an earlier collection.
    `rm -rf ${shellCommand([DIAGNOSTICS_DIR])} && mkdir -p ${dirs.map((d) => shellCommand([d])).join(" ")}`,
    // First: kind's export needs only docker, so it survives a dead API server.
    ...(clusterName ? [record(["kind", "export", "logs", `${DIAGNOSTICS_DIR}/kind`, "--name", clusterName], KIND_EXPORT_TIMEOUT_SECONDS, "kind-export.txt")] : []),
    ...commands.map((c) => record(c.argv, DIAGNOSTIC_COMMAND_TIMEOUT_SECONDS, c.file)),
    `(cd ${DIAGNOSTICS_DIR} && find . -type f ! -name ${DIAGNOSTICS_INDEX} -exec stat -c '%s %n' {} +) > ${DIAGNOSTICS_DIR}/${DIAGNOSTICS_INDEX} 2>&1`,
    "exit 0",
  ];
  return lines.join("\n") + "\n";
}

export interface DiagnosticsIndex {
  /** Paths (relative to the diagnostics folder) to copy. */
  copy: string[];
  /** Files left out for their size, with it. */
  tooLarge: { path: string; bytes: number }[];
}

/** Parses the index the script writes (`<size> ./<path>` lines). */
export function parseDiagnosticsIndex(text: string, maxBytes = MAX_DIAGNOSTIC_FILE_BYTES): DiagnosticsIndex {
  const index: DiagnosticsIndex = { copy: [], tooLarge: [] };
  for (const line of text.split("\n")) {
    const match = /^(\d+) \.\/(.+)$/.exec(line);
    if (!match) continue;
    const [, size, path] = match as unknown as [string, string, string];
    if (Number(size) > maxBytes) index.tooLarge.push({ path, bytes: Number(size) });
    else index.copy.push(path);
  }
  index.copy.sort();
  return index;
}
