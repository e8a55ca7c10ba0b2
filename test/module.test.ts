// The module's public face, as the SDK's own introspector sees it: exactly what
// `dagger functions` and `dagger call <fn> --help` would show.
import { beforeAll, describe, expect, it } from "vitest";
import { introspectModule, type IntrospectedFunction, type IntrospectedModule } from "./helpers/introspect.js";

let module: IntrospectedModule;
let functions: Record<string, IntrospectedFunction>;

beforeAll(async () => {
  module = await introspectModule();
  functions = module.objects.TrainingOperatorCi!.methods;
}, 60_000);

/** name -> [argument name, default value as the CLI shows it] in declaration order, and return type. */
const EXPECTED: Record<string, { args: [string, unknown][]; returns: string; cache?: string }> = {
  frameworks: { args: [], returns: "STRING_KIND" },
  image: { args: [["framework", "jax"], ["tag", ""], ["revision", ""], ["mirrors", undefined]], returns: "Container" },
  tarball: { args: [["framework", "jax"], ["tag", ""], ["revision", ""], ["mirrors", undefined]], returns: "File" },
  imageRef: { args: [["framework", "jax"], ["tag", ""]], returns: "STRING_KIND" },
  promote: {
    args: [["registry", undefined], ["release", undefined], ["framework", "all"], ["username", ""], ["password", undefined], ["published", undefined], ["plainHttp", false]],
    returns: "STRING_KIND",
    cache: "never",
  },
  pruneImages: {
    args: [["registry", undefined], ["framework", "all"], ["keep", 5], ["username", ""], ["password", undefined], ["dryRun", true], ["plainHttp", false]],
    returns: "STRING_KIND",
    cache: "never",
  },
  publish: {
    args: [["registry", undefined], ["framework", "all"], ["username", ""], ["password", undefined], ["revision", ""], ["pr", 0], ["created", ""], ["source", ""], ["mirrors", undefined]],
    returns: "STRING_KIND",
    cache: "never",
  },
  testJax: { args: [["operatorSource", undefined], ["buildOperator", false], ["tag", ""], ["kubernetesVersion", ""], ["operator", ""], ["mirrors", undefined]], returns: "STRING_KIND", cache: "never" },
  testPytorch: { args: [["operatorSource", undefined], ["buildOperator", false], ["tag", ""], ["kubernetesVersion", ""], ["operator", ""], ["mirrors", undefined]], returns: "STRING_KIND", cache: "never" },
  testXgboost: { args: [["operatorSource", undefined], ["buildOperator", false], ["tag", ""], ["kubernetesVersion", ""], ["operator", ""], ["mirrors", undefined]], returns: "STRING_KIND", cache: "never" },
  test: {
    args: [
      ["framework", "jax"],
      ["tag", ""],
      ["revision", ""],
      ["operatorSource", undefined],
      ["buildOperator", false],
      ["nodeImage", ""],
      ["kubernetesVersion", ""],
      ["operator", ""],
      ["mirrors", undefined],
      ["imagesFrom", ""],
      ["registryUsername", ""],
      ["registryPassword", undefined],
      ["published", undefined],
      ["featureGates", ""],
    ],
    returns: "E2eRun",
    cache: "never",
  },
  cluster: {
    args: [["framework", "jax"], ["operatorSource", undefined], ["buildOperator", false], ["nodeImage", ""], ["kubernetesVersion", ""], ["operator", ""], ["mirrors", undefined], ["featureGates", ""]],
    returns: "Container",
    cache: "never",
  },
};

/** The object `test` returns, and what can be chained on it. */
const E2E_RUN: Record<string, string> = { check: "STRING_KIND" };
const E2E_RUN_FIELDS: Record<string, string> = { ok: "BOOLEAN_KIND", summary: "STRING_KIND", message: "STRING_KIND", report: "Directory" };

/** What each function's help must say (the CLI shows these descriptions). */
const SAYS: Record<string, RegExp> = {
  frameworks: /^List the frameworks in the catalog/,
  image: /^Build a framework's test image/,
  tarball: /^Export a framework's test image as an OCI tarball named with its full reference/,
  imageRef: /^Print the full reference a framework's image gets/,
  publish: /^Build the frameworks' test images and push them to a registry/,
  promote: /^Tag each framework's published image of these sources with a release tag, by digest and without rebuilding/,
  pruneImages: /^List a registry's published test images older than each framework's newest --keep versions.*Dry run by default/,
  testJax: /^Run the JAX end-to-end test with no arguments needed/,
  testPytorch: /^Run the PyTorch end-to-end test/,
  testXgboost: /^Run the XGBoost end-to-end test/,
  test: /^Run the end-to-end test of one or more catalog frameworks in one Kind cluster/,
  cluster: /^A shell on a fresh Kind cluster for interactive debugging/,
};

describe("module", () => {
  it("describes every function in its help", () => {
    expect(Object.keys(SAYS).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [name, says] of Object.entries(SAYS)) expect(functions[name]!.description, name).toMatch(says);
  });

  it("documents the arguments users need to know about", () => {
    expect(functions.test!.arguments.framework!.description).toMatch(/comma-separated.*"all"/);
    expect(functions.test!.arguments.tag!.description).toMatch(/"latest" is refused/);
    expect(functions.testJax!.arguments.operatorSource!.description).toMatch(/Default: the pinned upstream release/);
    expect(functions.test!.arguments.nodeImage!.description).toMatch(/pinned by digest/);
  });

  it("is named after dagger.json and described", () => {
    expect(module.name).toBe("TrainingOperatorCi");
    expect(Object.keys(module.objects).sort()).toEqual(["E2eRun", "TrainingOperatorCi"]);
    expect(module.objects.TrainingOperatorCi!.description).toMatch(/Kubeflow Training Operator/);
  });

  it("exposes exactly the documented functions", () => {
    expect(Object.keys(functions).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it("needs no argument for the main job", () => {
    const testJax = functions.testJax!;
    expect(Object.values(testJax.arguments).every((a) => a.isOptional || a.defaultValue !== undefined)).toBe(true);
  });

  it("takes a mirror file, optional, wherever a run fetches from outside", () => {
    for (const name of ["image", "tarball", "publish", "testJax", "testPytorch", "testXgboost", "test", "cluster"]) {
      expect(functions[name]!.arguments.mirrors, name).toMatchObject({ isOptional: true, type: { kind: "OBJECT_KIND", name: "File" } });
      expect(functions[name]!.arguments.mirrors!.description, name).toMatch(/images by digest, binaries by sha256/);
    }
  });

  it("makes the operator source optional wherever it is taken", () => {
    for (const name of ["testJax", "testPytorch", "testXgboost", "test", "cluster"]) {
      expect(functions[name]!.arguments.operatorSource).toMatchObject({ isOptional: true, type: { kind: "OBJECT_KIND", name: "Directory" } });
    }
  });

  it("returns an E2eRun from test, with check and documented fields", () => {
    const run = module.objects.E2eRun! as unknown as {
      description: string;
      methods: Record<string, { description: string; returnType: { kind: string; name?: string } }>;
      properties: Record<string, { description: string; type: { kind: string; name?: string } }>;
    };
    expect(run.description).toMatch(/outcome of an end-to-end run/);
    for (const [name, type] of Object.entries(E2E_RUN)) {
      expect(run.methods[name]!.description.length).toBeGreaterThan(20);
      expect(run.methods[name]!.returnType.name ?? run.methods[name]!.returnType.kind).toBe(type);
    }
    expect(Object.keys(run.properties).sort()).toEqual(Object.keys(E2E_RUN_FIELDS).sort());
    for (const [name, type] of Object.entries(E2E_RUN_FIELDS)) {
      expect(run.properties[name]!.description.length, name).toBeGreaterThan(10);
      expect(run.properties[name]!.type.name ?? run.properties[name]!.type.kind).toBe(type);
    }
  });

  describe.each(Object.entries(EXPECTED))("%s", (name, expected) => {
    it("has a description for the CLI help", () => {
      expect(functions[name]!.description.length).toBeGreaterThan(20);
    });

    it("takes the documented arguments with their defaults", () => {
      const args = Object.values(functions[name]!.arguments);
      expect(args.map((a) => [a.name, a.defaultValue])).toEqual(expected.args);
      for (const arg of args) expect(arg.description, `${name} --${arg.name}`).not.toBe("");
    });

    it("returns the documented type", () => {
      const returned = functions[name]!.returnType;
      expect(returned.name ?? returned.kind).toBe(expected.returns);
    });

    it("has the documented cache policy", () => {
      expect(functions[name]!.cache).toBe(expected.cache);
    });
  });
});
