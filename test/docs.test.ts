// The documentation: a README a newcomer reads in minutes, links that resolve, and a function
// reference that is exactly what `dagger functions` and `--help` show (generated, never drifting).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cliName, REFERENCE_FILE, renderReference } from "../scripts/reference.js";
import { REPO_ROOT } from "./helpers/catalogFixture.js";
import { introspectModule, type IntrospectedModule } from "./helpers/introspect.js";

const DOCS = join(REPO_ROOT, "docs");
const pages = [join(REPO_ROOT, "README.md"), ...readdirSync(DOCS).filter((f) => f.endsWith(".md")).map((f) => join(DOCS, f))];
const text = (file: string) => readFileSync(file, "utf8");

/** GitHub's anchor for a heading: lower case, punctuation but hyphens and spaces dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, "")
    .replace(/[^\p{L}\p{N} -]/gu, "")
    .replace(/ /g, "-");
}

/** Markdown links outside code: [text](target). */
function links(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

function anchors(file: string): Set<string> {
  const headings = text(file).replace(/```[\s\S]*?```/g, "").match(/^#{1,6} .+$/gm) ?? [];
  return new Set(headings.map((h) => anchorOf(h.replace(/^#+ /, ""))));
}

describe("README", () => {
  it("stays short: under 10 KB", () => {
    expect(statSync(join(REPO_ROOT, "README.md")).size).toBeLessThan(10 * 1024);
  });

  it("links every page in docs/", () => {
    const linked = new Set(links(text(join(REPO_ROOT, "README.md"))).map((l) => l.split("#")[0]));
    for (const page of pages.slice(1)) expect(linked, relative(REPO_ROOT, page)).toContain(`docs/${relative(DOCS, page)}`);
  });
});

describe("every link in README.md and docs/", () => {
  it("finds anchors the way GitHub makes them", () => {
    expect(anchorOf("How the lab differs from a real run")).toBe("how-the-lab-differs-from-a-real-run");
    expect(anchorOf("The lab: a real Kind cluster")).toBe("the-lab-a-real-kind-cluster");
    expect(anchorOf("`test-jax`")).toBe("test-jax");
  });

  it.each(pages.map((p) => [relative(REPO_ROOT, p), p]))("%s: each relative link names a file (and heading) that exists", (_, page) => {
    for (const link of links(text(page))) {
      if (/^[a-z]+:/i.test(link)) continue; // a web address: not checked here
      const [path, anchor] = link.split("#") as [string, string | undefined];
      const target = path === "" ? page : join(dirname(page), path);
      expect(existsSync(target), `${relative(REPO_ROOT, page)} links ${link}: no ${relative(REPO_ROOT, target)}`).toBe(true);
      if (anchor && target.endsWith(".md")) expect(anchors(target), `${relative(REPO_ROOT, page)} links ${link}`).toContain(anchor);
    }
  });
});

describe("the function reference", () => {
  let module: IntrospectedModule;
  beforeAll(async () => {
    module = await introspectModule();
  }, 60_000);

  it("is exactly what the module's doc comments generate (npx tsx scripts/reference.ts rewrites it)", () => {
    expect(text(REFERENCE_FILE)).toBe(renderReference(module));
  });

  it("names every function and argument as the CLI does", () => {
    const reference = text(REFERENCE_FILE);
    for (const [name, fn] of Object.entries(module.objects.TrainingOperatorCi!.methods)) {
      expect(reference).toContain(`### \`${cliName(name)}\``);
      for (const arg of Object.keys(fn.arguments)) expect(reference).toContain(`\`--${cliName(arg)}\``);
    }
    expect(cliName("kubernetesVersion")).toBe("kubernetes-version");
  });
});
