// A person's session on the engine lab (test/engine-lab/engine up|down): starts the engine
// built here and the lab's mirrors and prints what to set, so any `dagger call` of the module
// runs against them; or stops them.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/catalogFixture.js";
import { LAB_CACHE } from "../lab/harness.js";
import { cliEnvironment, startEngine, stopEngine } from "./engine.js";
import { serveRunInputs, stopMirrors } from "./mirrorSet.js";

async function up(): Promise<void> {
  const work = join(LAB_CACHE, "engine-session");
  mkdirSync(work, { recursive: true });
  await startEngine(LAB_CACHE);
  const { mirrors, v1Tree, addKubernetes } = await serveRunInputs(LAB_CACHE, work);
  addKubernetes("1.34", "v1.34.10");
  const env = { ...cliEnvironment(LAB_CACHE), ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}) };
  console.log(`The engine lab's engine (Dagger v0.21.8 built here) and mirrors are up. In your shell:

${Object.entries(env).map(([k, v]) => (k === "PATH" ? `export PATH="${join(LAB_CACHE, "engine", "bin")}:$PATH"` : `export ${k}='${v}'`)).join("\n")}

then, from ${REPO_ROOT}:

dagger call test-jax --operator-source ${v1Tree} --mirrors ${mirrors}
dagger call test --framework jax,xgboost --operator v2 --mirrors ${mirrors} check
dagger call test-jax --kubernetes-version 1.34 --operator-source ${v1Tree} --mirrors ${mirrors}

(v1 runs need --operator-source: v1.9.4 has no git repository here, so its Go module tree stands
in; the PyTorch image cannot be built here, docs/engine-lab.md.) Stop it all with:

bash test/engine-lab/engine down`);
}

const command = process.argv[2];
if (command === "up") {
  up().catch((error: Error) => {
    console.error(`engine lab: ${error.message}`);
    process.exit(1);
  });
} else if (command === "down") {
  stopMirrors();
  stopEngine();
  console.log("engine lab: the engine, the Go proxy and the file and git servers are stopped");
} else {
  console.error(`usage: session.ts up|down (got ${command ?? "nothing"})`);
  process.exit(2);
}
