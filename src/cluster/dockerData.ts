// Where each run's dockerd keeps its data: a folder of its own, named by the run's id, on
// one cache volume shared without a lock. Two runs on one engine (two terminals, or a
// `cluster terminal` left open) then run side by side and share nothing, and a run's folder
// is removed once its dockerd has stopped. Folders of runs that died are removed by later
// runs once they are a day old (every run is bounded well below that).
import { shellQuote } from "../run/shell.js";

export const DOCKER_RUNS_DIR = "/var/lib/docker-runs";
export const STALE_RUN_MINUTES = 24 * 60;
/** Touched when a run starts, so the age of a folder is the age of its run. */
const STARTED_MARK = ".started";

const RUN_ID = /^[a-z0-9][a-z0-9-]{7,63}$/;

export function runDataRoot(runId: string, base = DOCKER_RUNS_DIR): string {
  if (!RUN_ID.test(runId)) throw new Error(`run id "${runId}" must be 8 to 64 lowercase letters, digits or dashes`);
  return `${base}/${runId}`;
}

/** sh script: mark this run's folder as started, and remove the folders of runs started over a day ago. */
export function prepareRunDataScript(runId: string, base = DOCKER_RUNS_DIR): string {
  const root = runDataRoot(runId, base);
  const q = shellQuote;
  return [
    `mkdir -p ${q(root)} && touch ${q(`${root}/${STARTED_MARK}`)} || exit 1`,
    `for dir in ${q(base)}/*/; do`,
    `  [ -d "$dir" ] || continue`,
    `  [ "$dir" = ${q(`${root}/`)} ] && continue`,
    `  # Young if its start mark, or the folder itself (a run between mkdir and touch), is recent.
  if [ -z "$(find "$dir" "$dir${STARTED_MARK}" -maxdepth 0 -mmin -${STALE_RUN_MINUTES} 2>/dev/null)" ]; then echo "removing the Docker data of an old run: $dir"; rm -rf "$dir"; fi`,
    "done",
    "exit 0",
  ].join("\n");
}

/** sh script: remove this run's folder (after its dockerd stopped). */
export function removeRunDataScript(runId: string, base = DOCKER_RUNS_DIR): string {
  return `rm -rf ${shellQuote(runDataRoot(runId, base))}`;
}
