"""Runs a payload as several local processes, wired the way the operator wires pods.

Used by every framework's payload tests and by measure.py. Each process gets its own
environment; the launcher collects exit code, output, the parsed result line and the
peak RSS of each process (from wait4, so it is the process's own figure).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from e2e_support import RESULT_PREFIX

COMMON_DIR = Path(__file__).resolve().parent


@dataclass
class Outcome:
    """What one process did."""

    index: int
    returncode: int
    stdout: str
    stderr: str
    max_rss_bytes: int
    timed_out: bool
    result: dict | None = field(default=None)
    # Peak of the summed RSS of the process and everything it started, sampled every 0.1 s:
    # what one container holds when a payload launches others (mpirun, paddle's launch).
    max_tree_rss_bytes: int = 0

    def describe(self) -> str:
        tail = "\n".join(self.stderr.strip().splitlines()[-15:])
        return f"process {self.index}: exit {self.returncode}, result {self.result}\n--- stderr (tail) ---\n{tail}"


@dataclass
class Launch:
    outcomes: list[Outcome]
    wall_seconds: float

    @property
    def results(self) -> list[dict]:
        return [o.result for o in self.outcomes if o.result is not None]

    def describe(self) -> str:
        return "\n\n".join(o.describe() for o in self.outcomes)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def master_worker_env(port: int, count: int, index: int) -> dict[str, str]:
    """What the Training Operator v1 injects into replica `index` of a PyTorchJob or
    XGBoostJob (0 = the master, then the workers), with the master on 127.0.0.1."""
    return {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "WORLD_SIZE": str(count), "RANK": str(index)}


def torch_v2_env(port: int, count: int, index: int) -> dict[str, str]:
    """What Trainer v2's torch-distributed runtime injects into node `index` with numProcPerNode 1
    (pkg/runtime/framework/plugins/torch), with node 0 on 127.0.0.1."""
    return {"PET_MASTER_ADDR": "127.0.0.1", "PET_MASTER_PORT": str(port), "PET_NNODES": str(count), "PET_NODE_RANK": str(index), "PET_NPROC_PER_NODE": "1"}


def xgboost_v2_env(port: int, count: int, index: int) -> dict[str, str]:
    """What Trainer v2's xgboost-distributed runtime injects into node `index` on CPU
    (pkg/runtime/framework/plugins/xgboost), with node 0 on 127.0.0.1."""
    return {"DMLC_TRACKER_URI": "127.0.0.1", "DMLC_TRACKER_PORT": str(port), "DMLC_NUM_WORKER": str(count), "DMLC_TASK_ID": str(index)}


def jax_v2_env(port: int, count: int, index: int) -> dict[str, str]:
    """What Trainer v2's jax-distributed runtime injects into node `index` (pkg/runtime/framework/plugins/jax):
    the coordinator as host:port, with node 0 on 127.0.0.1."""
    return {"JAX_COORDINATOR_ADDRESS": f"127.0.0.1:{port}", "JAX_NUM_PROCESSES": str(count), "JAX_PROCESS_ID": str(index)}


def parse_result(stdout: str) -> dict | None:
    """The last result line in the output, parsed; None if there is none."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    return None


def launch(
    script: Path,
    envs: Sequence[Mapping[str, str]],
    timeout: float = 120.0,
    python: str = sys.executable,
) -> Launch:
    """Starts one process per environment, waits for all (killing them all at `timeout`)."""
    base = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    base["PYTHONPATH"] = os.pathsep.join([str(COMMON_DIR), str(script.parent)])
    base["PYTHONUNBUFFERED"] = "1"
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        procs = []
        for index, env in enumerate(envs):
            out = open(Path(scratch, f"{index}.out"), "w+")
            err = open(Path(scratch, f"{index}.err"), "w+")
            proc = subprocess.Popen([python, str(script)], env={**base, **env}, stdout=out, stderr=err, start_new_session=True)
            procs.append((proc, out, err))
        tree_peaks = [0] * len(procs)
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(0.1):
                for i, (proc, _, _) in enumerate(procs):
                    tree_peaks[i] = max(tree_peaks[i], tree_rss_bytes(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        outcomes: list[Outcome | None] = [None] * len(procs)
        pending = {proc.pid: index for index, (proc, _, _) in enumerate(procs)}
        timed_out = False
        while pending:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
            if pid == 0:
                if time.monotonic() - started > timeout:
                    timed_out = True
                    for other in pending:
                        os.killpg(other, signal.SIGKILL)
                    timeout = float("inf")
                time.sleep(0.02)
                continue
            index = pending.pop(pid, None)
            if index is None:
                continue
            proc, out, err = procs[index]
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
            out.close()
            err.close()
            outcomes[index] = Outcome(
                index=index,
                returncode=proc.returncode,
                stdout=stdout,
                stderr=stderr,
                max_rss_bytes=usage.ru_maxrss * 1024,  # Linux reports KiB
                timed_out=timed_out,
                result=parse_result(stdout),
            )
        sampling.set()
        sampler.join()
        for outcome in outcomes:
            if outcome is not None:
                outcome.max_tree_rss_bytes = max(tree_peaks[outcome.index], outcome.max_rss_bytes)
    return Launch([o for o in outcomes if o is not None], time.monotonic() - started)


def tree_rss_bytes(root: int) -> int:
    """The summed RSS of `root` and its descendants now (0 once it is gone)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
    return total
