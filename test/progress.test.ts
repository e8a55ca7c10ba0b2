import { describe, expect, it } from "vitest";
import { progressSteps, ran, stepsMatching, summarySteps } from "./engine-lab/progress.js";

// Lines of dagger v0.21.8's plain progress, as the engine lab's engine printed them for one exec
// that ran, one that was a cache hit, and a file written anew.
const FIRST = `10  : Container.from(address: "10.213.77.10:5000/dagger-lab/python:3.11-bookworm@sha256:9fef"): Container!
11  : withExec sh -c 'sleep 2; echo probe'
11  : Container.withExec DONE [0.0s]
12  : withNewFile /payload.txt (contents: "one")
12  : Container.withNewFile DONE [0.0s]
10  : Container.from DONE [4.4s]
11  : Container.withExec DONE [2.2s]
11  : [6.5s] | probe
14  : ┆ export layers
14  : ┆ export layers DONE [0.0s]`;
const AGAIN = `11  : withExec sh -c 'sleep 2; echo probe'
11  : Container.withExec CACHED [0.0s]
20  : ┆ ┆ withExec python -m pip install --no-deps -r /tmp/e2e-requirements.txt
20  : ┆ ┆ Container.withExec DONE [0.0s]`;

describe("the CLI's plain progress", () => {
  it("tells an exec that ran (output, time) from one that did not", () => {
    const [exec] = stepsMatching(FIRST, /^withExec sh/);
    expect(exec).toMatchObject({ statuses: ["DONE", "DONE"], seconds: 2.2, outputLines: 1 });
    expect(ran(exec!)).toBe(true);
    const again = progressSteps(AGAIN);
    expect(again.map((s) => [s.call, ran(s)])).toEqual([
      ["withExec sh -c 'sleep 2; echo probe'", false],
      ["withExec python -m pip install --no-deps -r /tmp/e2e-requirements.txt", false],
    ]);
  });

  it("reads minutes and strips colours", () => {
    const [step] = progressSteps("\x1b[35m7   : \x1b[0mdeploy\n7   : deploy DONE [1m2.5s]");
    expect(step).toMatchObject({ call: "deploy", statuses: ["DONE"], seconds: 62.5 });
  });

  it("fails loudly when no step matches, so a changed output cannot pass a check", () => {
    expect(() => stepsMatching(FIRST, /pip install/)).toThrow(/no step of the CLI's output matches/);
  });

  it("reads the module's step timer from its summary, minutes included", () => {
    const summary = "steps:\n  ok         4.0s  check inputs\n  ok        2m11s  deploy operator\n  FAILED     6.7s  run jax job\n";
    expect([...summarySteps(summary)]).toEqual([["check inputs", 4], ["deploy operator", 131], ["run jax job", 6.7]]);
  });
});
