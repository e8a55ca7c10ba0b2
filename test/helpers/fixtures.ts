import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

/** Captured or source-shaped command output (test/fixtures). */
export const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8");
