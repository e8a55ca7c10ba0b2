"""Proves an MPIJob on CPU: Open MPI 4 started through the operator's launcher, in seconds.

Two roles in one script. As the launcher (Training Operator v1 sets
OMPI_MCA_orte_default_hostfile and an rsh agent that runs `kubectl exec`), it waits until
every worker in the hostfile is Running, starts one rank per slot with `mpirun`, and checks
that every rank reported the same good result. As a rank (mpirun sets OMPI_COMM_WORLD_RANK),
it checks an all-reduce whose result every rank knows, trains a tiny linear model with
gradients averaged by all-reduce, checks that the loss falls and that every rank ends with
identical weights, and prints its result line. No downloads, no network beyond the job's peers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from e2e_support import (
    RESULT_PREFIX,
    CheckFailed,
    Contract,
    ContractError,
    env_seconds,
    int_var,
    log,
    read_contract,
    run_payload,
)

FRAMEWORK = "mpi"

# Training Operator v1 (MPIJob launcher): the hostfile lists "<worker pod> slots=N" per worker.
V1 = Contract("Training Operator v1 (MPIJob launcher)", ("OMPI_MCA_orte_default_hostfile",))
# Open MPI 4 (ORTE) in every rank mpirun starts.
RANK = Contract("Open MPI rank (mpirun)", ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"))

# Where v1.9.4's kubectl-delivery init container puts kubectl for the rsh agent.
DELIVERED_KUBECTL = Path("/opt/kube/kubectl")

FEATURES = 8
SAMPLES_PER_RANK = 256
STEPS = 30
LEARNING_RATE = 0.1


def read_hostfile(path: str) -> list[tuple[str, int]]:
    """(host, slots) per line of an Open MPI hostfile, or ContractError naming the line."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as error:
        raise ContractError(f"OMPI_MCA_orte_default_hostfile={path!r} cannot be read: {error.strerror}") from None
    hosts = []
    for number, line in enumerate(lines, 1):
        words = line.split("#")[0].split()
        if not words:
            continue
        slots = 1
        for word in words[1:]:
            key, _, value = word.partition("=")
            if key == "slots":
                if not value.isdigit() or int(value) < 1:
                    raise ContractError(f"hostfile {path} line {number}: slots={value!r} must be a whole number of at least 1")
                slots = int(value)
        hosts.append((words[0], slots))
    if not hosts:
        raise ContractError(f"hostfile {path} lists no hosts")
    return hosts


def wait_for_workers(hosts: list[str], timeout: float) -> None:
    """The operator creates the launcher with the workers, not after them: wait until each is Running."""
    kubectl = str(DELIVERED_KUBECTL)
    deadline = time.monotonic() + timeout
    pending = list(hosts)
    while pending:
        left = max(1.0, deadline - time.monotonic())
        try:
            phase = subprocess.run([kubectl, "get", "pod", pending[0], "-o", "jsonpath={.status.phase}"], capture_output=True, text=True, timeout=min(30.0, left))
            said = phase.stdout.strip() or (phase.stderr.strip().splitlines() or ["no answer"])[-1]
            running = phase.returncode == 0 and said == "Running"
        except subprocess.TimeoutExpired:
            said, running = "kubectl get pod did not answer", False
        if running:
            pending.pop(0)
            continue
        if time.monotonic() > deadline:
            raise CheckFailed(f"worker {pending[0]} was not Running within {timeout:g}s (E2E_INIT_TIMEOUT_SECONDS): {said}")
        time.sleep(0.5)
    log(f"workers running: {', '.join(hosts)}")


# --tag-output prefixes each piece of a rank's output with "[<job>,<rank>]<stdout>:"; mpirun
# may put two ranks' pieces on one line ("...}[1,1]<stdout>:E2E_RESULT {...}").
RANK_TAG = re.compile(r"\[\d+,(\d+)\]<stdout>:")


def rank_results(line: str) -> list[tuple[int, dict]]:
    """The (rank, result) pairs in one line of `mpirun --tag-output`."""
    pieces = RANK_TAG.split(line.rstrip("\n"))
    found = []
    for rank_id, text in zip(pieces[1::2], pieces[2::2]):
        if text.startswith(RESULT_PREFIX):
            found.append((int(rank_id), json.JSONDecoder().raw_decode(text[len(RESULT_PREFIX):])[0]))
    return found


def launcher(values: dict[str, str]) -> dict[str, object]:
    hostfile = values["OMPI_MCA_orte_default_hostfile"]
    hosts = read_hostfile(hostfile)
    ranks = sum(slots for _, slots in hosts)
    init_timeout = env_seconds("E2E_INIT_TIMEOUT_SECONDS", 60)
    if DELIVERED_KUBECTL.exists():
        wait_for_workers([host for host, _ in hosts], init_timeout)
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        raise ContractError("mpirun not found on PATH: the image needs Open MPI (openmpi-bin)")
    version = subprocess.run([mpirun, "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
    argv = [mpirun, "-np", str(ranks), "--hostfile", hostfile, "--bind-to", "none", "--tag-output"]
    if os.getuid() == 0:
        argv.append("--allow-run-as-root")  # the image runs as root, as the operator's examples do
    # The ranks run this script under the same interpreter; ranks must not wait longer than the launcher.
    argv += ["-x", "E2E_INIT_TIMEOUT_SECONDS", "-x", "E2E_DEADLINE_SECONDS", sys.executable, str(Path(__file__).resolve())]
    log(f"{' '.join(version)}: starting {ranks} ranks on {len(hosts)} hosts")
    os.environ.setdefault("E2E_INIT_TIMEOUT_SECONDS", str(int(init_timeout)))
    os.environ.setdefault("E2E_DEADLINE_SECONDS", str(int(env_seconds("E2E_DEADLINE_SECONDS", 240))))
    # Every rank runs under its own supervisor, locally as through `kubectl exec`.
    rank_env = {name: value for name, value in os.environ.items() if name != "E2E_SUPERVISED_CHILD"}
    run = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=rank_env)
    results: dict[int, dict] = {}
    assert run.stdout is not None
    for line in run.stdout:
        # The ranks' result lines are shown, not repeated as ours (the module reads the last one).
        print(f"mpirun {line.rstrip()}".replace(RESULT_PREFIX, "rank result "), flush=True)
        for rank_id, result in rank_results(line):
            results[rank_id] = result
    code = run.wait()
    failed = {rank: r.get("error") for rank, r in results.items() if not r.get("ok")}
    if failed:
        raise CheckFailed(f"rank {min(failed)} failed: {failed[min(failed)]}")
    if code != 0:
        raise CheckFailed(f"mpirun ended with exit code {code}; its output above says why")
    if sorted(results) != list(range(ranks)):
        raise CheckFailed(f"ranks {sorted(results)} reported, expected 0..{ranks - 1}")
    outcomes = {(r["collective_value"], r["first_loss"], r["last_loss"]) for r in results.values()}
    if len(outcomes) != 1:
        raise CheckFailed(f"the ranks disagree: {sorted(outcomes)}")
    first = results[0]
    log(f"all {ranks} ranks ok: sum {first['collective_value']}, loss {first['first_loss']} -> {first['last_loss']}")
    return {
        "process_id": 0,
        "process_count": ranks,
        "hosts": len(hosts),
        "collective_value": first["collective_value"],
        "expected_collective_value": first["expected_collective_value"],
        "first_loss": first["first_loss"],
        "last_loss": first["last_loss"],
        "steps": first["steps"],
        "mpi_library": first["mpi_library"],
    }


def rank(values: dict[str, str]) -> dict[str, object]:
    size = int_var(values, "OMPI_COMM_WORLD_SIZE", 1)
    me = int_var(values, "OMPI_COMM_WORLD_RANK", 0, size - 1)
    import numpy as np
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    if comm.Get_size() != size or comm.Get_rank() != me:
        raise CheckFailed(f"MPI sees rank {comm.Get_rank()} of {comm.Get_size()}, the environment says {me} of {size}")

    # 1. A collective every rank checks: each contributes (its rank + 1).
    expected_sum = float(size * (size + 1) // 2)
    collective_value = float(comm.allreduce(float(me + 1), op=MPI.SUM))
    if collective_value != expected_sum:
        raise CheckFailed(f"all-reduce sum over {size} ranks is {collective_value}, expected {expected_sum}")

    # 2. Data-parallel training: each rank its own shard, gradients averaged by all-reduce.
    true_weights = np.random.default_rng(0).normal(size=(FEATURES,))
    rng = np.random.default_rng(1000 + me)
    x = rng.normal(size=(SAMPLES_PER_RANK, FEATURES))
    y = x @ true_weights + 0.01 * rng.normal(size=(SAMPLES_PER_RANK,))
    weights = np.zeros(FEATURES)
    losses = []
    for _ in range(STEPS):
        error = x @ weights - y
        local = np.concatenate([2.0 * x.T @ error / len(y), [np.mean(error**2)]])
        total = np.empty_like(local)
        comm.Allreduce(local, total, op=MPI.SUM)
        total /= size
        weights -= LEARNING_RATE * total[:-1]
        losses.append(float(total[-1]))
    first_loss, last_loss = losses[0], losses[-1]
    if not last_loss < 0.1 * first_loss:
        raise CheckFailed(f"loss did not fall enough: first {first_loss:.6f}, last {last_loss:.6f}")
    everyone = comm.allgather(weights)
    if not all(np.array_equal(everyone[0], w) for w in everyone):
        raise CheckFailed("weights differ between ranks after training")
    library = MPI.Get_library_version().split(",")[0].strip()
    # run_payload ends with os._exit, which skips mpi4py's own finalize; Open MPI counts a rank
    # that exits without it as failed.
    MPI.Finalize()
    return {
        "process_id": me,
        "process_count": size,
        "collective_value": collective_value,
        "expected_collective_value": expected_sum,
        "first_loss": round(first_loss, 6),
        "last_loss": round(last_loss, 6),
        "steps": STEPS,
        "mpi_library": library,
    }


def main() -> dict[str, object]:
    contract, values = read_contract([RANK, V1])
    return rank(values) if contract is RANK else launcher(values)


if __name__ == "__main__":
    run_payload(FRAMEWORK, main)
