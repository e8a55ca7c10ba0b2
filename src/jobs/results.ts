// The payloads' result lines (frameworks/_common/e2e_support.py): "E2E_RESULT {json}".

export const RESULT_PREFIX = "E2E_RESULT ";

export interface PayloadResult {
  framework?: string;
  ok: boolean;
  error?: string;
  [field: string]: unknown;
}

/** The last result line of a log, parsed; undefined when the payload never reported. */
export function parseResultLine(log: string): PayloadResult | undefined {
  const line = log
    .split("\n")
    .reverse()
    .find((l) => l.startsWith(RESULT_PREFIX));
  if (!line) return undefined;
  try {
    const parsed = JSON.parse(line.slice(RESULT_PREFIX.length)) as PayloadResult;
    return typeof parsed.ok === "boolean" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** One line per pod: what it reported, for the summary. */
export function describeResults(results: Record<string, PayloadResult | undefined>): string[] {
  return Object.entries(results).map(([pod, result]) => {
    if (!result) return `${pod}: no result line`;
    if (!result.ok) return `${pod}: FAILED: ${result.error ?? "no error given"}`;
    const { framework: _f, ok: _ok, ...fields } = result;
    return `${pod}: ok ${Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
      .join(" ")}`;
  });
}
