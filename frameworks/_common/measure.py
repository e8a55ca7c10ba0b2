"""Measures a framework's payload as a local job: wall time and peak RSS per process tree
(the process and what it starts, as one container holds them).

Run it with the framework's own environment, e.g.
    .venv/jax/bin/python frameworks/_common/measure.py jax --runs 5
It prints the figures and the requests/limits they imply under the margin rule below,
which is how every framework.yaml's job.resources were derived (see the README).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import statistics
import sys
from pathlib import Path

from launcher import free_port, launch

MIB = 1024 * 1024
# Margin rule: request = peak + 35% rounded up to 32 Mi; limit = 2 x peak rounded up to
# 128 Mi, and never below 256 Mi (page cache of the framework's libraries counts too).
REQUEST_FACTOR, REQUEST_STEP = 1.35, 32
LIMIT_FACTOR, LIMIT_STEP, LIMIT_FLOOR = 2.0, 128, 256


def round_up(mib: float, step: int) -> int:
    return int(math.ceil(mib / step) * step)


def load_local_job(framework: str):
    path = Path(__file__).resolve().parents[1] / framework / "tests" / "local_job.py"
    if not path.is_file():
        sys.exit(f"measure: {path} not found: each framework describes its local job there")
    spec = importlib.util.spec_from_file_location(f"{framework}_local_job", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("framework")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--processes", type=int, default=None, help="default: the job template's replica count")
    args = parser.parse_args()
    job = load_local_job(args.framework)
    count = args.processes or job.DEFAULT_PROCESSES

    walls, peaks = [], []
    for run in range(1, args.runs + 1):
        port = free_port()
        # A job whose processes are not one per replica (MPI: one launcher starting the ranks) says which it starts.
        envs = job.local_envs(port, count) if hasattr(job, "local_envs") else [job.env(port, count, i) for i in range(count)]
        outcome = launch(job.PAYLOAD, envs, timeout=300)
        failed = [o for o in outcome.outcomes if o.returncode != 0]
        if failed:
            print(outcome.describe(), file=sys.stderr)
            return 1
        rss = [o.max_tree_rss_bytes / MIB for o in outcome.outcomes]
        walls.append(outcome.wall_seconds)
        peaks.extend(rss)
        print(f"run {run}: wall {outcome.wall_seconds:.2f}s, peak RSS per process tree {', '.join(f'{r:.0f}' for r in rss)} MiB")

    peak = max(peaks)
    print(f"\n{args.framework}: {count} processes x {args.runs} runs on this machine")
    print(f"  median wall time      {statistics.median(walls):.2f} s (max {max(walls):.2f} s)")
    print(f"  peak RSS per tree     median {statistics.median(peaks):.0f} MiB, max {peak:.0f} MiB")
    print(f"  memory request        {round_up(peak * REQUEST_FACTOR, REQUEST_STEP)}Mi  (peak x {REQUEST_FACTOR}, to {REQUEST_STEP} Mi)")
    limit = max(LIMIT_FLOOR, round_up(peak * LIMIT_FACTOR, LIMIT_STEP))
    print(f"  memory limit          {limit}Mi  (peak x {LIMIT_FACTOR}, to {LIMIT_STEP} Mi, at least {LIMIT_FLOOR} Mi)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
