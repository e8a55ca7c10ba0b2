/**
 * Read-only view of the module source the catalog lives in. The Dagger runtime reads
 * through a Directory; tests read the working tree. Paths are relative to the source root.
 */
export interface SourceReader {
  /** Names directly under `dir`, without trailing slashes. */
  entries(dir: string): Promise<string[]>;
  isDirectory(path: string): Promise<boolean>;
  isFile(path: string): Promise<boolean>;
  readText(path: string): Promise<string>;
}

export function joinPath(...parts: string[]): string {
  return parts
    .filter((p) => p !== "" && p !== ".")
    .join("/")
    .replace(/\/+/g, "/");
}
