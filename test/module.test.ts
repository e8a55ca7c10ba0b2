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
  image: { args: [["framework", "jax"], ["tag", ""], ["revision", ""]], returns: "Container" },
  tarball: { args: [["framework", "jax"], ["tag", ""], ["revision", ""]], returns: "File" },
  imageRef: { args: [["framework", "jax"], ["tag", ""]], returns: "STRING_KIND" },
};

describe("module", () => {
  it("is named after dagger.json and described", () => {
    expect(module.name).toBe("TrainingOperatorCi");
    expect(Object.keys(module.objects)).toEqual(["TrainingOperatorCi"]);
    expect(module.objects.TrainingOperatorCi!.description).toMatch(/Kubeflow Training Operator/);
  });

  it("exposes exactly the documented functions", () => {
    expect(Object.keys(functions).sort()).toEqual(Object.keys(EXPECTED).sort());
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
