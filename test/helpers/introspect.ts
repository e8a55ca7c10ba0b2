// Runs the Dagger TypeScript SDK's own introspector over src/, as the module runtime does
// when it registers the module, and returns what `dagger functions` would list.
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "./catalogFixture.js";

export interface IntrospectedArgument {
  name: string;
  description: string;
  type: { kind: string; name?: string };
  isOptional: boolean;
  isNullable: boolean;
  defaultValue?: unknown;
}

export interface IntrospectedFunction {
  name: string;
  description: string;
  cache?: string;
  arguments: Record<string, IntrospectedArgument>;
  returnType: { kind: string; name?: string };
}

export interface IntrospectedModule {
  name: string;
  description: string;
  objects: Record<string, { name: string; description: string; methods: Record<string, IntrospectedFunction> }>;
}

const sdkDist = () => join(dirname(createRequire(import.meta.url).resolve("@dagger.io/dagger")));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f));
}

/**
 * The runtime hands the introspector the generated client as `client.gen.ts`; the npm
 * package ships the same declarations as `client.gen.d.ts`, so a copy under that name
 * stands in for it.
 */
export async function introspectModule(moduleName = "training-operator-ci"): Promise<IntrospectedModule> {
  const dist = sdkDist();
  const scratch = mkdtempSync(join(tmpdir(), "introspect-"));
  try {
    const clientGen = join(scratch, "client.gen.ts");
    copyFileSync(join(dist, "api", "client.gen.d.ts"), clientGen);
    const { scan } = (await import(pathToFileURL(join(dist, "module", "introspector", "index.js")).href)) as {
      scan: (files: string[], name: string, load: boolean) => Promise<unknown>;
    };
    const result = (await scan([...sourceFiles(join(REPO_ROOT, "src")), clientGen], moduleName, false)) as {
      objects: Record<string, { methods: Record<string, { cache?: string }> }>;
    };
    const json = JSON.parse(JSON.stringify(result)) as IntrospectedModule;
    // toJSON leaves out the cache policy; read it from the scanned functions.
    for (const [objectName, object] of Object.entries(result.objects)) {
      for (const [fnName, fn] of Object.entries(object.methods)) {
        json.objects[objectName]!.methods[fnName]!.cache = fn.cache;
      }
    }
    return json;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
