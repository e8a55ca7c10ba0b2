// The GitHub workflows: every catalog framework has an e2e job, the Dagger version
// matches dagger.json, actions are pinned by commit SHA, every job is bounded.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { fsReader } from "../src/catalog/fsReader.js";
import { listFrameworks, loadCatalog, runsOn } from "../src/catalog/loader.js";
import { DEFAULT_KUBERNETES_VERSION, SUPPORTED_KUBERNETES_VERSIONS } from "../src/versions/pins.js";
import { OPERATOR_LINES } from "../src/versions/lines.js";
import { REPO_ROOT } from "./helpers/catalogFixture.js";

const WORKFLOWS = join(REPO_ROOT, ".github", "workflows");
const workflows = readdirSync(WORKFLOWS)
  .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
  .map((file) => {
    const text = readFileSync(join(WORKFLOWS, file), "utf8");
    return { file, text, doc: parse(text) as any };
  });
const e2e = workflows.find((w) => w.file === "e2e.yml")!.doc;

describe("e2e workflow", () => {
  it("has a matrix entry for every framework in the catalog, and no other", async () => {
    const catalog = await listFrameworks(fsReader(REPO_ROOT));
    expect([...e2e.jobs.e2e.strategy.matrix.framework].sort()).toEqual(catalog);
  });

  it("excludes exactly the frameworks an operator line cannot run", async () => {
    const catalog = await loadCatalog(fsReader(REPO_ROOT));
    const excluded = (e2e.jobs.e2e.strategy.matrix.exclude ?? []).filter((x: any) => x.framework !== undefined);
    const expected = OPERATOR_LINES.flatMap((line) => catalog.filter((e) => !runsOn(e, line)).map((e) => ({ framework: e.name, operator: line })));
    expect(excluded).toEqual(expected);
  });

  it("runs both operator lines on the default minor on every change, and each line's minors nightly", () => {
    const matrix = e2e.jobs.e2e.strategy.matrix;
    expect(matrix.operator).toEqual([...OPERATOR_LINES]);
    const axis = String(matrix.kubernetes);
    const [nightly, everyChange] = [...axis.matchAll(/'(\[[^\]]*\])'/g)].map((m) => JSON.parse(m[1]!) as string[]);
    expect(axis).toContain("github.event_name == 'schedule'");
    expect(everyChange).toEqual([DEFAULT_KUBERNETES_VERSION]);
    expect(e2e.on.schedule).toHaveLength(1);
    // Nightly, each line runs exactly the minors it supports.
    for (const line of OPERATOR_LINES) {
      const excluded = (matrix.exclude ?? []).filter((x: any) => x.operator === line && x.kubernetes !== undefined).map((x: any) => String(x.kubernetes));
      expect(nightly!.filter((minor) => !excluded.includes(minor))).toEqual([...SUPPORTED_KUBERNETES_VERSIONS[line]]);
    }
  });

  it("uses the Dagger release that dagger.json pins", () => {
    const engine = JSON.parse(readFileSync(join(REPO_ROOT, "dagger.json"), "utf8")).engineVersion as string;
    expect(`v${e2e.env.DAGGER_VERSION}`).toBe(engine);
    const step = e2e.jobs.e2e.steps.find((s: any) => String(s.uses).startsWith("dagger/dagger-for-github@"));
    expect(step.with.version).toBe("${{ env.DAGGER_VERSION }}");
  });

  it("calls the module's test function with a per-PR tag and keeps the report", () => {
    const step = e2e.jobs.e2e.steps.find((s: any) => String(s.uses).startsWith("dagger/dagger-for-github@"));
    expect(step.with.call).toBe(
      "test --framework ${{ matrix.framework }} --operator ${{ matrix.operator }} --kubernetes-version ${{ matrix.kubernetes }} --tag ${{ env.IMAGE_TAG }} --revision ${{ github.event.pull_request.head.sha || github.sha }} report -o e2e-report",
    );
    expect(e2e.env.IMAGE_TAG).toContain("format('pr-{0}', github.event.pull_request.number)");
    expect(e2e.env.IMAGE_TAG).toContain("github.sha");
  });

  it("frees disk before the run, writes the summary and uploads the report on failure", () => {
    const names = e2e.jobs.e2e.steps.map((s: any) => s.name ?? s.uses);
    const index = (prefix: string) => names.findIndex((n: string) => n.startsWith(prefix));
    expect(index("Free runner disk")).toBeLessThan(index("dagger call test"));
    const summary = e2e.jobs.e2e.steps[index("Job summary")];
    expect(summary.if).toBe("always()");
    expect(summary.run).toContain("GITHUB_STEP_SUMMARY");
    const upload = e2e.jobs.e2e.steps[index("Upload diagnostics")];
    expect(upload.if).toBe("failure()");
    expect(upload.with.path).toBe("e2e-report");
  });

  it("skips documentation-only changes", () => {
    for (const event of ["pull_request", "push"]) expect(e2e.on[event]["paths-ignore"]).toContain("**.md");
  });
});

describe("release workflow", () => {
  const release = workflows.find((w) => w.file === "release.yml")!.doc;
  const call = (job: string) => String(release.jobs[job].steps.find((s: any) => String(s.uses).startsWith("dagger/dagger-for-github@")).with.call);

  it("runs on version tags: publish, then every e2e job on those images, then the release only if all passed", () => {
    expect(release.on).toEqual({ push: { tags: ["v*"] } });
    expect(release.jobs.e2e.needs).toBe("images");
    expect(release.jobs.release.needs).toBe("e2e");
    expect(release.env.DAGGER_VERSION).toBe(e2e.env.DAGGER_VERSION);
    expect(call("images")).toMatch(/^-o published\.txt publish --registry \$\{\{ env\.REGISTRY \}\} .*--password env:REGISTRY_TOKEN --revision \$\{\{ github\.sha \}\} --created \$\{\{ steps\.commit\.outputs\.created \}\}/);
    // Every e2e job and the release tag exactly the digests publish pushed (its output, an artifact).
    expect(call("e2e")).toContain("--images-from ${{ env.REGISTRY }} --registry-username ${{ github.actor }} --registry-password env:REGISTRY_TOKEN --published published.txt");
    expect(call("release")).toMatch(/^-o released\.txt promote --registry \$\{\{ env\.REGISTRY \}\} --release "\$RELEASE" .* --published reports\/published\/published\.txt$/);
    const upload = release.jobs.images.steps.find((s: any) => String(s.uses).startsWith("actions/upload-artifact@"));
    expect(upload.with).toMatchObject({ name: "published", path: "published.txt" });
  });

  it("never pastes the tag name into a command (a tag may hold shell syntax)", () => {
    for (const [name, job] of Object.entries(release.jobs as Record<string, any>)) {
      for (const step of job.steps) expect(JSON.stringify(step.with ?? {}) + String(step.run ?? ""), `${name}: ${step.name}`).not.toContain("github.ref_name");
    }
  });

  it("tests what e2e.yml tests nightly: every framework and line on each minor the line supports", () => {
    const nightly = e2e.jobs.e2e.strategy.matrix;
    const matrix = release.jobs.e2e.strategy.matrix;
    expect(matrix.framework).toEqual(nightly.framework);
    expect(matrix.operator).toEqual(nightly.operator);
    expect(matrix.kubernetes).toEqual(JSON.parse(/'(\[[^\]]*\])'/.exec(String(nightly.kubernetes))![1]!));
    expect(matrix.exclude).toEqual(nightly.exclude);
  });

  it("gives each job only the permissions it needs", () => {
    expect(release.jobs.images.permissions).toEqual({ contents: "read", packages: "write" });
    expect(release.jobs.e2e.permissions).toEqual({ contents: "read", packages: "read" });
    expect(release.jobs.release.permissions).toEqual({ contents: "write", packages: "write" });
  });
});

describe.each(workflows)("$file", ({ doc, text }) => {
  const jobs = Object.entries(doc.jobs as Record<string, any>);

  it("grants only read access to the repository", () => {
    expect(doc.permissions).toEqual({ contents: "read" });
  });

  it("cancels superseded runs of the same ref", () => {
    expect(doc.concurrency).toEqual({ group: "${{ github.workflow }}-${{ github.ref }}", "cancel-in-progress": true });
  });

  it("bounds every job and pins its runner image", () => {
    for (const [name, job] of jobs) {
      expect(job["timeout-minutes"], name).toBeGreaterThan(0);
      expect(job["runs-on"], name).toMatch(/^ubuntu-\d+\.\d+$/);
    }
  });

  it("pins any job container by digest", () => {
    for (const [name, job] of jobs.filter(([, j]) => j.container)) {
      const image = typeof job.container === "string" ? job.container : job.container.image;
      expect(image, name).toMatch(/@sha256:[a-f0-9]{64}$/);
    }
  });

  it("pins every action to a full commit SHA, with its release tag in a comment", () => {
    const uses = text.split("\n").filter((line) => /^\s*(-\s+)?uses:/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[a-f0-9]{40} # v\d+\.\d+\.\d+$/);
  });
});
