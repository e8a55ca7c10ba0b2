import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { SourceReader } from "./reader.js";

/** SourceReader over the local file system, rooted at `root`. */
export function fsReader(root: string): SourceReader {
  const kind = async (path: string) => stat(join(root, path)).catch(() => undefined);
  return {
    entries: async (dir) => (await readdir(join(root, dir))).sort(),
    isDirectory: async (path) => (await kind(path))?.isDirectory() ?? false,
    isFile: async (path) => (await kind(path))?.isFile() ?? false,
    readText: (path) => readFile(join(root, path), "utf8"),
  };
}
