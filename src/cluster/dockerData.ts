// Where each run's dockerd keeps its data: a folder of its own, named by the run's id, on
// one cache volume shared without a lock. Two runs on one engine (two terminals, or a
// `cluster terminal` left open) then run side by side and share nothing, and a run's folder
// is removed once its dockerd has stopped. A later run removes the folders that no dockerd
// uses any more (runs that died, terminals closed), whatever their age.
import { shellQuote } from "../exec/shell.js";

export const DOCKER_RUNS_DIR = "/var/lib/docker-runs";
/**
 * A folder younger than this is kept even when no dockerd holds it: its run may be between
 * creating it and starting dockerd (a start is bounded to 5 minutes).
 */
export const UNUSED_GRACE_MINUTES = 30;
/** Touched when a run starts. */
const STARTED_MARK = ".started";
/**
 * A running dockerd's containerd keeps its metadata database open under an exclusive flock
 * (bbolt), in Docker 20.10 and 29 alike: whether that lock is free says whether the folder
 * is in use.
 */
export const IN_USE_LOCK = "containerd/daemon/io.containerd.metadata.v1.bolt/meta.db";

const RUN_ID = /^[a-z0-9][a-z0-9-]{7,63}$/;

export function runDataRoot(runId: string, base = DOCKER_RUNS_DIR): string {
  if (!RUN_ID.test(runId)) throw new Error(`run id "${runId}" must be 8 to 64 lowercase letters, digits or dashes`);
  return `${base}/${runId}`;
}

/** sh script: mark this run's folder as started, and remove the folders no dockerd uses any more. */
export function prepareRunDataScript(runId: string, base = DOCKER_RUNS_DIR): string {
  const root = runDataRoot(runId, base);
  const q = shellQuote;
  return [
    `mkdir -p ${q(root)} && touch ${q(`${root}/${STARTED_MARK}`)} || exit 1`,
    `for dir in ${q(base)}/*/; do`,
    `  [ -d "$dir" ] || continue`,
    `  [ "$dir" = ${q(`${root}/`)} ] && continue`,
    `  if [ -e "\${dir}${IN_USE_LOCK}" ] && ! flock -n "\${dir}${IN_USE_LOCK}" true 2>/dev/null; then continue; fi`,
    `  [ -n "$(find "$dir" "\${dir}${STARTED_MARK}" -maxdepth 0 -mmin -${UNUSED_GRACE_MINUTES} 2>/dev/null)" ] && continue`,
    `  echo "removing the Docker data of a run that ended: $dir"`,
    `  rm -rf "$dir"`,
    "done",
    "exit 0",
  ].join("\n");
}

/** sh script: remove this run's folder (after its dockerd stopped). */
export function removeRunDataScript(runId: string, base = DOCKER_RUNS_DIR): string {
  return `rm -rf ${shellQuote(runDataRoot(runId, base))}`;
}
