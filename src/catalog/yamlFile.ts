import { parseDocument } from "yaml";
import type { z } from "zod";
import { CatalogError } from "./errors.js";

/** Parses YAML text, reporting syntax errors with the file and line. */
export function parseYaml(file: string, text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const where = first.linePos?.[0] ? `line ${first.linePos[0].line}` : undefined;
    throw new CatalogError(file, where, `invalid YAML: ${first.message.split("\n")[0]}`);
  }
  return doc.toJS();
}

/** Validates parsed YAML with a zod schema; every issue names the file and the field path. */
export function validate<T extends z.ZodType>(file: string, schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => new CatalogError(file, issue.path.length ? issue.path.join(".") : "(top level)", issue.message),
  );
  throw problems.length === 1 ? problems[0]! : new CatalogError(file, undefined, problems.map((p) => `${p.field}: ${p.detail}`).join("; "));
}
