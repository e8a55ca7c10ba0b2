// Rebuilds, in a temporary folder, the container the Dagger TypeScript runtime makes for
// this module (facts.ts says where each step comes from), then runs an entrypoint that does
// what the runtime's does up to the first engine call: load the bundled SDK, list the
// module's files, scan them with the module's name (which imports every file).
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, matchesGlob } from "node:path";
import { build } from "esbuild";
import {
  BUNDLE_TYPE_EXPORTS,
  BUNDLE_VALUE_EXPORTS,
  CLIENT_GEN_BUNDLE_IMPORT,
  CONFIG_FILES,
  ENTRYPOINT_EXTENSIONS,
  ENTRYPOINT_PATH,
  INSTALL_COMMAND,
  INSTALL_INPUTS,
  NPM_VERSION,
  RUNTIME_DEFAULT_TYPESCRIPT,
  TSCONFIG_PATHS,
} from "./facts.js";
import { shellQuote } from "../../src/exec/shell.js";
import { npmCliFor, runtimeToolchain } from "./toolchain.js";

type Json = Record<string, any>;

/** package.json as tsutils/package_json_updator.go (UpdatePackageJSONForModule) rewrites it. */
export function runtimePackageJson(text: string): string {
  const pkg = JSON.parse(text) as Json;
  pkg.type = "module";
  pkg.dependencies ??= {};
  pkg.dependencies.typescript ??= RUNTIME_DEFAULT_TYPESCRIPT;
  delete pkg.dependencies["@dagger.io/dagger"];
  if (pkg.devDependencies) delete pkg.devDependencies["@dagger.io/dagger"];
  return JSON.stringify(pkg, null, 2) + "\n";
}

/** tsconfig.json as tsutils/tsconfig_updator.go (UpdateTSConfigForModule) rewrites it. */
export function runtimeTsconfig(text: string): string {
  const config = JSON.parse(text) as Json;
  config.compilerOptions ??= {};
  config.compilerOptions.paths = { ...(config.compilerOptions.paths ?? {}), ...TSCONFIG_PATHS };
  config.compilerOptions.experimentalDecorators = true;
  return JSON.stringify(config, null, 2) + "\n";
}

/**
 * The npm version the runtime runs (config.go detectPackageManager): packageManager when set,
 * otherwise NpmDefaultVersion because package-lock.json is present. Other managers are not
 * reproduced here.
 */
export function runtimeNpmVersion(packageJson: string, hasLockfile: boolean): string {
  const field = (JSON.parse(packageJson) as Json).packageManager as string | undefined;
  if (field) {
    const [manager, version] = field.split("@");
    if (manager !== "npm" || !version) throw new Error(`package.json packageManager "${field}": only npm is reproduced here`);
    return version;
  }
  if (!hasLockfile) throw new Error("no package-lock.json: the runtime would use yarn, which is not reproduced here");
  return NPM_VERSION;
}

/** dagger.json's `include` applied to a path: the last matching pattern decides; no match keeps it. */
export function includedByDaggerJson(path: string, patterns: string[]): boolean {
  const prefixes = path.split("/").map((_, i, parts) => parts.slice(0, i + 1).join("/"));
  let included = true;
  for (const pattern of patterns) {
    const negated = pattern.startsWith("!");
    const glob = negated ? pattern.slice(1) : pattern;
    if (prefixes.some((p) => matchesGlob(p, glob))) included = !negated;
  }
  return included;
}

/** The module files the engine hands the runtime: what git knows (tracked or not ignored), after dagger.json's include. */
export function moduleSourceFiles(repoRoot: string): string[] {
  const listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: repoRoot, encoding: "utf8" })
    .split("\0")
    .filter((f) => f !== "");
  const include = ((JSON.parse(readFileSync(join(repoRoot, "dagger.json"), "utf8")) as Json).include ?? []) as string[];
  return [...new Set(listed)].filter((f) => includedByDaggerJson(f, include));
}

/** sdk/index.ts with exactly the runtime's exports (tsutils/module/index.ts). */
export function bundleIndexTs(): string {
  return [
    `export { ${BUNDLE_VALUE_EXPORTS.join(", ")} } from "./core.js"`,
    `export type { ${BUNDLE_TYPE_EXPORTS.join(", ")} } from "./core.js"`,
    `export * from "./client.gen.js"`,
    "",
  ].join("\n");
}

/** Name under which the probe reaches the SDK's scan inside core.js; nothing under src/ can import it. */
const PROBE_SCAN_EXPORT = "__runtimeProbeScan";

/**
 * The runtime's sdk/ folder: core.js, the SDK bundled with TypeScript left external
 * (toolchains/engine-dev/build/sdk.go), index.ts with the runtime's exports, and the
 * generated client in bundle mode (importing Context from ./core.js).
 */
async function writeSdkLibrary(sdkDir: string, npmSdkRoot: string): Promise<void> {
  mkdirSync(sdkDir, { recursive: true });
  const dist = join(npmSdkRoot, "dist", "src");
  await build({
    stdin: {
      contents: [
        `export * from ${JSON.stringify(join(dist, "index.js"))};`,
        `export { scan as ${PROBE_SCAN_EXPORT} } from ${JSON.stringify(join(dist, "module", "introspector", "index.js"))};`,
      ].join("\n"),
      resolveDir: dist,
      loader: "js",
    },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["typescript"],
    outfile: join(sdkDir, "core.js"),
    logLevel: "error",
    // CommonJS dependencies inside an ESM bundle need a real require.
    banner: { js: `import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);` },
  });
  const clientGen = readFileSync(join(dist, "api", "client.gen.js"), "utf8");
  const bundled = clientGen.replace(/^import \{ Context \} from "\.\.\/common\/context\.js";?$/m, CLIENT_GEN_BUNDLE_IMPORT);
  if (bundled === clientGen) throw new Error(`${join(dist, "api", "client.gen.js")}: the import of Context was not found; the SDK's layout changed`);
  writeFileSync(join(sdkDir, "client.gen.ts"), bundled);
  writeFileSync(join(sdkDir, "index.ts"), bundleIndexTs());
  writeFileSync(join(sdkDir, "telemetry.ts"), "export {}\n");
}

/** An entrypoint standing in for the runtime's: the same imports and file list, stopping where the engine is first needed. */
function probeEntrypoint(moduleName: string): string {
  return `import { entrypoint } from "@dagger.io/dagger"
import { ${PROBE_SCAN_EXPORT} } from "../sdk/core.js"
import { readdirSync, statSync } from "node:fs"
import { extname, join } from "node:path"

const extensions = ${JSON.stringify(ENTRYPOINT_EXTENSIONS)}
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return extensions.includes(extname(path)) ? [path] : []
  })
}

// No top-level await: the scan imports this file too, as the runtime's entrypoint does.
async function probe() {
  if (typeof entrypoint !== "function") throw new Error("@dagger.io/dagger has no entrypoint")
  const files = [join(import.meta.dirname, "../sdk/client.gen.ts"), ...sources(import.meta.dirname)]
  const scanned = await ${PROBE_SCAN_EXPORT}(files, ${JSON.stringify(moduleName)})
  console.log("PROBE_RESULT " + JSON.stringify({ files: files.length, module: scanned }))
}
probe().catch((error) => {
  console.error(error)
  process.exit(1)
})
`;
}

export interface RuntimeRun {
  /** The npm the runtime would run; anything but the image's own makes every cold container reinstall npm over the network. */
  npmVersion: string;
  /** package.json as the runtime rewrote it. */
  packageJson: Json;
  /** Whether the runtime mounts its bundled TypeScript over node_modules/typescript before installing. */
  typescriptMounted: boolean;
  install: { ok: boolean; output: string };
  /** Absent when the install failed. */
  probe?: ProbeOutcome;
}

export interface ProbeOutcome {
  status: number;
  output: string;
  /** The scanned module (as the SDK's toJSON gives it), when the probe got that far. */
  module?: Json;
  files?: number;
}

const SETUP_FAILED = 90;
const INSTALL_FAILED = 97;
const MARK = "@@runtime-step ";

/**
 * Lays the module out as the runtime does and runs, in one private mount namespace, what
 * runtime_node.go runs: its mounts (bind mounts here, as in the engine), `npm install
 * --omit=dev` with the runtime's Node and npm, then the entrypoint under the runtime's tsx.
 */
export async function runModuleInRuntime(repoRoot: string, npmSdkRoot: string, moduleName: string): Promise<RuntimeRun> {
  const toolchain = runtimeToolchain();
  const root = mkdtempSync(join(tmpdir(), "dagger-runtime-"));
  // Removed whatever happens: the copies and the install are about 40 MB a run.
  try {
    const dir = join(root, "src"); // the runtime's module path
    const staged = join(root, "source"); // wrappedSourceCodeDirectory
    const sdk = join(root, "sdk-library"); // the generated bundle library
    const typescriptCopy = join(root, "typescript-library");
    mkdirSync(dir, { recursive: true });

    const excluded = new Set<string>([...CONFIG_FILES, "sdk", "node_modules"]);
    for (const file of moduleSourceFiles(repoRoot)) {
      if (excluded.has(file.split("/")[0]!)) continue;
      mkdirSync(dirname(join(staged, file)), { recursive: true });
      cpSync(join(repoRoot, file), join(staged, file));
    }
    mkdirSync(join(staged, "src"), { recursive: true });
    writeFileSync(join(staged, ENTRYPOINT_PATH), probeEntrypoint(moduleName));

    const packageJsonText = runtimePackageJson(readFileSync(join(repoRoot, "package.json"), "utf8"));
    writeFileSync(join(dir, "package.json"), packageJsonText);
    const tsconfig = join(root, "tsconfig.json");
    writeFileSync(tsconfig, runtimeTsconfig(readFileSync(join(repoRoot, "tsconfig.json"), "utf8")));
    const present = INSTALL_INPUTS.filter((f) => existsSync(join(repoRoot, f)));
    for (const f of present) cpSync(join(repoRoot, f), join(dir, f));
    const packageJson = JSON.parse(packageJsonText) as Json;
    const npmVersion = runtimeNpmVersion(packageJsonText, present.includes("package-lock.json"));
    const typescriptMounted = packageJson.dependencies.typescript === RUNTIME_DEFAULT_TYPESCRIPT;
    if (typescriptMounted) cpSync(toolchain.typescriptLibrary, typescriptCopy, { recursive: true });
    await writeSdkLibrary(sdk, npmSdkRoot);

    const q = shellQuote;
    const [command, ...installArgs] = INSTALL_COMMAND;
    if (command !== "npm") throw new Error(`unexpected install command ${command}`);
    const script = [
      `cd ${q(dir)}`,
      ...(typescriptMounted ? [`mkdir -p node_modules/typescript && mount --bind ${q(typescriptCopy)} node_modules/typescript || exit ${SETUP_FAILED}`] : []),
      `echo ${q(MARK + "install")}`,
      `${q(toolchain.node)} ${q(npmCliFor(toolchain, npmVersion))} ${installArgs.map((a) => q(a)).join(" ")} 2>&1 || exit ${INSTALL_FAILED}`,
      `echo ${q(MARK + "probe")}`,
      "mkdir -p sdk node_modules/@dagger.io/dagger && touch tsconfig.json || exit 90",
      `mount --bind ${q(sdk)} sdk && mount --bind ${q(sdk)} node_modules/@dagger.io/dagger && mount --bind ${q(tsconfig)} tsconfig.json || exit ${SETUP_FAILED}`,
      `cp -a ${q(staged)}/. . || exit ${SETUP_FAILED}`,
      `exec ${q(toolchain.node)} ${q(toolchain.tsxCli)} --no-deprecation --tsconfig ${q(join(dir, "tsconfig.json"))} ${q(join(dir, ENTRYPOINT_PATH))} 2>&1`,
    ].join("\n");
    const result = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], {
      encoding: "utf8",
      timeout: 600_000,
      env: { ...process.env, PATH: `${toolchain.binDir}:${process.env.PATH ?? ""}`, npm_config_update_notifier: "false" },
    });
    const status = result.status ?? -1;
    const output = (result.stdout ?? "") + (result.stderr ?? "") + (result.error ? String(result.error) : "");
    if (status === SETUP_FAILED || !output.includes(MARK + "install")) {
      throw new Error(`could not lay out the runtime's mounts (unshare --mount and mount --bind need root), exit ${status}:\n${output}`);
    }
    const afterInstall = output.slice(output.indexOf(MARK + "install\n") + MARK.length + "install\n".length);
    const probeAt = afterInstall.indexOf(MARK + "probe\n");
    const run: RuntimeRun = { npmVersion, packageJson, typescriptMounted, install: { ok: probeAt >= 0, output: probeAt >= 0 ? afterInstall.slice(0, probeAt) : afterInstall } };
    if (probeAt < 0) return run;
    const probeOutput = afterInstall.slice(probeAt + MARK.length + "probe\n".length);
    const line = probeOutput.split("\n").find((l) => l.startsWith("PROBE_RESULT "));
    const parsed = line ? (JSON.parse(line.slice("PROBE_RESULT ".length)) as { files: number; module: Json }) : undefined;
    run.probe = { status, output: probeOutput, module: parsed?.module, files: parsed?.files };
    return run;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The npm SDK installed for tests and type checks, the source of the bundle. */
export function npmSdkRoot(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve("@dagger.io/dagger");
  return join(dirname(entry), "..", "..");
}
