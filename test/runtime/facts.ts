// What Dagger's TypeScript module runtime does to this module, read from the dagger/dagger
// source. Every value names the file it came from. The module declares engine v0.21.8
// (dagger.json), the newest tag whose source is public, and the engine lab runs it on an
// engine built from that source. Bumping the engine means re-reading each of these files at
// the new tag.

export const SOURCE_TAG = "v0.21.8";

/** sdk/typescript/runtime/tsdistconsts/consts.go: DefaultNodeVersion (image node:24.13.1-alpine). */
export const NODE_VERSION = "24.13.1";

/**
 * sdk/typescript/runtime/config.go: NpmDefaultVersion, used when package-lock.json is
 * present and package.json has no packageManager; the node image ships it, so
 * runtime_node.go's `npm -v | grep -qx … || npm install -g npm@…` installs nothing.
 */
export const NPM_VERSION = "11.8.0";

/** toolchains/engine-dev/build/sdk.go: TypescriptSDKTSXVersion, the tsx the runtime mounts and runs the entrypoint with. */
export const TSX_VERSION = "4.15.6";

/**
 * sdk/typescript/runtime/tsdistconsts/consts.go: DefaultTypeScriptVersion. The runtime
 * writes it into dependencies.typescript when that key is absent
 * (tsutils/package_json_updator.go, setIfNotExists), and when dependencies.typescript equals it
 * mounts its own bundled TypeScript over node_modules/typescript (runtime_node.go,
 * NpmPkgManager.withInstalledDependencies) before `npm install`.
 */
export const RUNTIME_DEFAULT_TYPESCRIPT = "5.9.3";

/**
 * The TypeScript the SDK bundle and its introspector are built with: sdk/typescript/package.json
 * asks for ^6.0.3 (yarn.lock resolves 6.0.3, the newest 6.x on npm), and
 * toolchains/engine-dev/build/sdk.go bundles core.js with `--external=typescript`, so the
 * module's own node_modules must provide it.
 */
export const SDK_TYPESCRIPT = "6.0.3";

/** sdk/typescript/runtime/runtime_node.go: NpmPkgManager.withInstalledDependencies. */
export const INSTALL_COMMAND = ["npm", "install", "--omit=dev"] as const;
/** runtime_node.go: the files copied from the module source before the install. */
export const INSTALL_INPUTS = ["package-lock.json", ".npmrc"] as const;

/**
 * sdk/typescript/runtime/config.go: moduleConfigFiles. wrappedSourceCodeDirectory copies
 * the module source without these, `sdk` and `node_modules`; the runtime writes its own
 * package.json and tsconfig.json.
 */
export const CONFIG_FILES = [
  "package.json",
  "tsconfig.json",
  "pnpm-workspace.yaml",
  ".yarnrc.yml",
  "package-lock.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lockb",
  "bun.lock",
  "bunfig.toml",
  "deno.json",
  "deno.lock",
] as const;

/**
 * sdk/typescript/runtime/tsutils/module/index.ts: the only values and types the runtime's
 * bundled `@dagger.io/dagger` exports besides the generated client (`export * from
 * "./client.gen.js"`). Anything else the npm package exports (ExecError, GraphQLRequestError,
 * …) does not exist at run time.
 */
export const BUNDLE_VALUE_EXPORTS = [
  "connection",
  "connect",
  "Context",
  "func",
  "check",
  "generate",
  "argument",
  "object",
  "field",
  "enumType",
  "entrypoint",
] as const;
export const BUNDLE_TYPE_EXPORTS = ["ConnectOpts", "CallbackFct"] as const;

/**
 * cmd/codegen/generator/typescript/templates/src/header.ts.gtpl: in bundle mode the
 * generated client.gen.ts imports only `Context`, from "./core.js".
 */
export const CLIENT_GEN_BUNDLE_IMPORT = `import { Context } from "./core.js"`;

/**
 * sdk/typescript/runtime/tsutils/bin/__dagger.entrypoint.ts: the runtime mounts its entrypoint
 * at src/__dagger.entrypoint.ts and runs `tsx --no-deprecation --tsconfig <module>/tsconfig.json`
 * on it (runtime_node.go). The entrypoint imports `entrypoint` from "@dagger.io/dagger",
 * lists every .ts and .mts file under src/ (itself included) plus sdk/client.gen.ts, and
 * the SDK then scans them with the module's name, which imports every file
 * (src/module/introspector/index.ts: scan(files, moduleName, loadModule = true)). Only
 * after that does registration need the engine (src/module/entrypoint/register.ts).
 */
export const ENTRYPOINT_PATH = "src/__dagger.entrypoint.ts";
export const ENTRYPOINT_EXTENSIONS = [".ts", ".mts"] as const;

/** sdk/typescript/runtime/tsutils/tsconfig_updator.go: UpdateTSConfigForModule. */
export const TSCONFIG_PATHS = {
  "@dagger.io/dagger": ["./sdk/index.ts"],
  "@dagger.io/dagger/telemetry": ["./sdk/telemetry.ts"],
} as const;
