// The module loads in Dagger's TypeScript runtime: the runtime's container rebuilt from the
// dagger/dagger source (test/runtime/facts.ts), with its Node, npm, tsx, package.json and
// tsconfig rewrites, its mounts and its bundled SDK's exact exports; then registration up to
// the first engine call (load the SDK, scan and import every module file).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/catalogFixture.js";
import {
  CONFIG_FILES,
  NPM_VERSION,
  RUNTIME_DEFAULT_TYPESCRIPT,
  SDK_TYPESCRIPT,
  TSCONFIG_PATHS,
} from "./runtime/facts.js";
import {
  includedByDaggerJson,
  moduleSourceFiles,
  npmSdkRoot,
  runModuleInRuntime,
  runtimeNpmVersion,
  runtimePackageJson,
  runtimeTsconfig,
  type RuntimeRun,
} from "./runtime/reproduce.js";

const MODULE_NAME = JSON.parse(readFileSync(join(REPO_ROOT, "dagger.json"), "utf8")).name as string;
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));

describe("the runtime's rewrites, as facts.ts records them", () => {
  it("package.json: adds TypeScript only where absent and drops the SDK from both dependency lists", () => {
    const rewritten = JSON.parse(
      runtimePackageJson(JSON.stringify({ dependencies: { "@dagger.io/dagger": "./sdk" }, devDependencies: { "@dagger.io/dagger": "0.21.8", typescript: "6.0.3" } })),
    );
    expect(rewritten).toEqual({ type: "module", dependencies: { typescript: RUNTIME_DEFAULT_TYPESCRIPT }, devDependencies: { typescript: "6.0.3" } });
    expect(JSON.parse(runtimePackageJson(JSON.stringify({ dependencies: { typescript: "6.0.3" } }))).dependencies).toEqual({ typescript: "6.0.3" });
  });

  it("tsconfig.json: points @dagger.io/dagger at the generated sdk/ and turns on decorators", () => {
    const rewritten = JSON.parse(runtimeTsconfig(JSON.stringify({ compilerOptions: { strict: true } })));
    expect(rewritten.compilerOptions).toEqual({ strict: true, paths: TSCONFIG_PATHS, experimentalDecorators: true });
  });

  it("npm: packageManager decides, else the image's own npm because package-lock.json exists", () => {
    expect(runtimeNpmVersion("{}", true)).toBe(NPM_VERSION);
    expect(runtimeNpmVersion(JSON.stringify({ packageManager: "npm@10.9.0" }), true)).toBe("10.9.0");
    expect(() => runtimeNpmVersion(JSON.stringify({ packageManager: "yarn@4.1.0" }), true)).toThrow(/only npm/);
    expect(() => runtimeNpmVersion("{}", false)).toThrow(/yarn/);
  });

  it("dagger.json include: a negated pattern drops a folder and everything in it", () => {
    const include = ["!**/node_modules", "!test", "!.github"];
    expect(includedByDaggerJson("src/index.ts", include)).toBe(true);
    expect(includedByDaggerJson("test/runtime/facts.ts", include)).toBe(false);
    expect(includedByDaggerJson("frameworks/x/node_modules/a/b.js", include)).toBe(false);
    expect(includedByDaggerJson(".github/workflows/ci.yml", include)).toBe(false);
  });

  it("the module the engine hands over holds the sources, the catalog and the lockfile, not the tests", () => {
    const files = moduleSourceFiles(REPO_ROOT);
    expect(files).toContain("src/index.ts");
    expect(files).toContain("frameworks/jax/framework.yaml");
    expect(files).toContain("package-lock.json");
    expect(files.filter((f) => /^(test|scripts|\.ci|\.github)\//.test(f))).toEqual([]);
  });

});

describe("package.json as the runtime needs it", () => {
  it("lists TypeScript once, in dependencies, at the version the runtime's SDK bundle is built with", () => {
    expect(packageJson.dependencies.typescript).toBe(SDK_TYPESCRIPT);
    expect(packageJson.devDependencies.typescript).toBeUndefined();
    // Equal to the runtime's default, the runtime would mount its own TypeScript over the install.
    expect(SDK_TYPESCRIPT).not.toBe(RUNTIME_DEFAULT_TYPESCRIPT);
  });

  it("does not make the runtime reinstall npm (no packageManager, or the image's own npm)", () => {
    expect(runtimeNpmVersion(JSON.stringify(packageJson), true)).toBe(NPM_VERSION);
  });

  it("keeps the SDK as a dev dependency at the engine version, for type checks and tests (`dagger develop` drops it: see README)", () => {
    const engine = JSON.parse(readFileSync(join(REPO_ROOT, "dagger.json"), "utf8")).engineVersion as string;
    expect(`v${packageJson.devDependencies["@dagger.io/dagger"]}`).toBe(engine);
    expect(CONFIG_FILES).toContain("package.json");
  });
});

describe("loading in the runtime (Node 24, npm 11, tsx 4.15, the bundled SDK)", () => {
  let run: RuntimeRun;
  beforeAll(async () => {
    run = await runModuleInRuntime(REPO_ROOT, npmSdkRoot(), MODULE_NAME);
  }, 600_000);

  it("installs the dependencies with `npm install --omit=dev`", () => {
    expect(run.install.output, run.install.output).not.toMatch(/npm error/);
    expect(run.install.ok).toBe(true);
  });

  it("loads the SDK and imports every module file, as registration does before it needs the engine", () => {
    expect(run.probe?.status, run.probe?.output).toBe(0);
    expect(run.probe?.files).toBeGreaterThan(10);
  });

  it("registers the module's object and functions", () => {
    const objects = run.probe?.module?.objects ?? {};
    expect(Object.keys(objects).sort(), run.probe?.output).toEqual(["E2eRun", "TrainingOperatorCi"]);
    expect(Object.keys(objects.TrainingOperatorCi.methods).sort()).toEqual(
      ["cluster", "frameworks", "image", "imageRef", "promote", "pruneImages", "publish", "tarball", "test", "testJax", "testPytorch", "testXgboost"].sort(),
    );
  });
});
