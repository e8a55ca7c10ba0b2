// Small helpers for the few commands that must run as one shell script (diagnostics).

/** Quotes one argument for POSIX sh. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellCommand(argv: string[]): string {
  return argv.map(shellQuote).join(" ");
}

/** Wraps a command so it cannot run longer than `seconds` (coreutils/busybox timeout). */
export function bounded(seconds: number, argv: string[]): string[] {
  return ["timeout", String(seconds), ...argv];
}
