// Small helpers for the few commands that must run as one shell script (diagnostics).

/** Quotes one argument for POSIX sh. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellCommand(argv: string[]): string {
  return argv.map(shellQuote).join(" ");
}

/** Exit codes `bounded` reports: the time limit passed, or a signal (e.g. the OOM killer) ended the command. */
export const EXIT_TIMED_OUT = 124;
export const EXIT_KILLED = 125;

/** `timeout SECONDS cmd...` for lines of a shell script, where the exit code is only recorded. */
export function withTimeout(seconds: number, argv: string[]): string[] {
  return ["timeout", String(seconds), ...argv];
}

/**
 * Wraps a command so it cannot run longer than `seconds`. busybox `timeout` ends the
 * command with SIGTERM (exit 143), and Dagger treats exit codes 128-191 as the exec
 * itself failing rather than as a result, so those are mapped to 124 (timed out, from
 * SIGTERM) and 125 (another signal).
 */
export function bounded(seconds: number, argv: string[]): string[] {
  const script = `timeout "$0" "$@"; s=$?; [ $s -eq 143 ] && exit ${EXIT_TIMED_OUT}; [ $s -ge 128 ] && [ $s -le 191 ] && exit ${EXIT_KILLED}; exit $s`;
  return ["sh", "-c", script, String(seconds), ...argv];
}
