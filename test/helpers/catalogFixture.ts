// A throwaway copy of the real catalog that a test can break one way at a time.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { fsReader } from "../../src/catalog/fsReader.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface CatalogFixture {
  root: string;
  reader: ReturnType<typeof fsReader>;
  write(path: string, text: string): void;
  read(path: string): string;
  /** Parses a YAML file, lets `change` edit it, writes it back. */
  editYaml(path: string, change: (doc: any) => void): void;
  remove(path: string): void;
  dispose(): void;
}

export function catalogFixture(): CatalogFixture {
  const root = mkdtempSync(join(tmpdir(), "catalog-"));
  cpSync(join(REPO_ROOT, "frameworks"), join(root, "frameworks"), {
    recursive: true,
    filter: (src) => !src.includes("__pycache__") && !src.includes(".pytest_cache"),
  });
  const at = (path: string) => join(root, path);
  return {
    root,
    reader: fsReader(root),
    write: (path, text) => writeFileSync(at(path), text),
    read: (path) => readFileSync(at(path), "utf8"),
    editYaml(path, change) {
      const doc = parse(readFileSync(at(path), "utf8"));
      change(doc);
      writeFileSync(at(path), stringify(doc));
    },
    remove: (path) => rmSync(at(path), { recursive: true, force: true }),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}
