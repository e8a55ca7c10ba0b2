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

import subprocess
import sys
import time
from pathlib import Path

from e2e_support import (
    CheckFailed,
    Contract,
    env_seconds,
    int_var,
    log,
    read_contract,
    run_payload,
)
from mpi_launch import launch_ranks, launcher_result, read_hostfile

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


def launcher(values: dict[str, str]) -> dict[str, object]:
    hostfile = values["OMPI_MCA_orte_default_hostfile"]
    hosts = read_hostfile(hostfile)
    if DELIVERED_KUBECTL.exists():
        wait_for_workers([host for host, _ in hosts], env_seconds("E2E_INIT_TIMEOUT_SECONDS", 60))
    results = launch_ranks(hostfile, str(Path(__file__).resolve()), hosts)
    return launcher_result(results, hosts, ("collective_value", "expected_collective_value", "first_loss", "last_loss", "steps", "mpi_library"))


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
