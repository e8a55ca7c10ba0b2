// The setup a `dagger call cluster terminal` session runs before handing over its shell.
// It runs inside the terminal's own exec so the cluster lives exactly as long as the shell.
import { shellCommand, withTimeout } from "../exec/shell.js";
import { clusterCommands, kubeconfigRewriteCommands, operatorInstallCommands, outerLimit, TIMEOUTS, type OperatorInstallSteps } from "./commands.js";

export interface InteractiveSetup {
  clusterName: string;
  apiServerPort: number;
  /** The node image's tarball in the container, and the name the kind config gives it. */
  nodeImage: { archive: string; reference: string };
  /** Tarballs mounted in the container, loaded in order. */
  archives: string[];
  /** What the operator install applies and waits for, and how it is called in the output. */
  operator: OperatorInstallSteps & { title: string };
  /** Folder holding the rendered job manifests. */
  jobsDir: string;
}

export function interactiveSetupScript(setup: InteractiveSetup): string {
  const c = clusterCommands(setup.clusterName);
  const run = (argv: string[], seconds: number) => shellCommand(withTimeout(seconds, argv));
  const say = (text: string) => `echo ${shellCommand([`== ${text}`])}`;
  const steps = [
    say("loading the node image into dockerd"),
    run(c.dockerReady, TIMEOUTS.dockerReady),
    run(c.loadNodeImage(setup.nodeImage.archive, setup.nodeImage.reference), TIMEOUTS.loadNodeImage),
    say(`creating Kind cluster "${setup.clusterName}"`),
    `{ ${run(c.deleteStale, TIMEOUTS.deleteStale)} >/dev/null 2>&1 || true; }`,
    run(c.ensureNetwork, TIMEOUTS.ensureNetwork),
    run(c.create, TIMEOUTS.createCluster),
    ...kubeconfigRewriteCommands(setup.clusterName, setup.apiServerPort).map((argv) => run(argv, TIMEOUTS.getKubeconfig)),
    run(c.waitNodes, outerLimit(TIMEOUTS.nodeReady)),
    say("loading images"),
    ...setup.archives.map((archive) => run(c.loadImage(archive), TIMEOUTS.loadImage)),
    say(`deploying ${setup.operator.title} (${setup.operator.deployments.map((d) => `${d.namespace}/${d.name}`).join(", ")})`),
    ...operatorInstallCommands(setup.operator).map((command) => run(command.argv, command.timeoutSeconds)),
  ];
  // Chained with &&: `set -e` would be ignored inside the condition of the `if` below.
  return [
    "setup() {",
    ...steps.map((line, i) => `  ${line}${i < steps.length - 1 ? " &&" : ""}`),
    "}",
    "if setup; then",
    `  ${say(`ready: kubectl talks to the cluster; job manifests are in ${setup.jobsDir} (kubectl apply -f ${setup.jobsDir}/<framework>.yaml)`)}`,
    "else",
    `  ${say("setup failed (see above); the shell stays open for debugging: docker ps, kind export logs, kubectl get pods -A")}`,
    "fi",
    "sh",
    // The run's Docker data folder itself is removed by a later run, once dockerd has stopped.
    say("deleting the cluster and pruning dockerd's images"),
    `${run(c.deleteStale, TIMEOUTS.deleteStale)} >/dev/null 2>&1`,
    `${run(["docker", "system", "prune", "--all", "--force", "--volumes"], TIMEOUTS.deleteStale)} >/dev/null 2>&1`,
    "exit 0",
  ].join("\n");
}
