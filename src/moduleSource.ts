// The module's own source tree inside the Dagger runtime, read through the catalog's
// SourceReader so the same loader runs here and in the tests.
import { dag, Directory, ExistsType } from "@dagger.io/dagger";
import type { SourceReader } from "./catalog/reader.js";

/** The module source as loaded by the engine (dagger.json's folder, filtered by `include`). */
export function moduleSource(): Directory {
  return dag.currentModule().source();
}

export function directoryReader(dir: Directory): SourceReader {
  return {
    entries: async (path) => (await dir.entries({ path })).map((e) => e.replace(/\/$/, "")).sort(),
    isDirectory: (path) => dir.exists(path, { expectedType: ExistsType.DirectoryType }),
    isFile: (path) => dir.exists(path, { expectedType: ExistsType.RegularType }),
    readText: (path) => dir.file(path).contents(),
  };
}
