"""Proves Trainer v2's mlx-distributed runtime on CPU: MLX ranks over Open MPI 4, in seconds.

Two roles in one script. As the launcher (the runtime's MPI plugin sets
OMPI_MCA_orte_default_hostfile, listing the launcher itself and every node's sshd), it starts
one rank per slot with `mpirun` over ssh and checks that every rank reported the same good
result. As a rank (mpirun sets OMPI_COMM_WORLD_RANK), it joins MLX's MPI backend, checks an
all_sum whose result every rank knows, trains a tiny linear model with gradients averaged by
all_sum, checks that the loss falls and that every rank ends with identical weights, and
prints its result line. No downloads, no network beyond the job's peers.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

from e2e_support import CheckFailed, Contract, env_seconds, int_var, log, read_contract, run_payload
from mpi_launch import launch_ranks, launcher_result, read_hostfile, wait_until_resolvable

FRAMEWORK = "mlx"

# Trainer v2.3.0's MPI plugin (pkg/runtime/framework/plugins/mpi): the launcher's hostfile.
V2 = Contract("Trainer v2 (mlx-distributed launcher)", ("OMPI_MCA_orte_default_hostfile",))
# Open MPI 4 (ORTE) in every rank mpirun starts.
RANK = Contract("Open MPI rank (mpirun)", ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"))

# The name MLX's MPI backend opens (mlx/distributed/mpi): Debian ships it in libopenmpi-dev.
MLX_MPI_LIBRARY = "libmpi.so"

FEATURES = 8
SAMPLES_PER_RANK = 256
STEPS = 30
LEARNING_RATE = 0.1


def launcher(values: dict[str, str]) -> dict[str, object]:
    hostfile = values["OMPI_MCA_orte_default_hostfile"]
    hosts = read_hostfile(hostfile)
    # The runtime starts the launcher once the nodes are Ready, but its own name (it is a node
    # too) is published only as it starts.
    wait_until_resolvable([host for host, _ in hosts], env_seconds("E2E_INIT_TIMEOUT_SECONDS", 60))
    results = launch_ranks(hostfile, str(Path(__file__).resolve()), hosts)
    return launcher_result(results, hosts, ("collective_value", "expected_collective_value", "first_loss", "last_loss", "steps", "mlx_version", "backend"))


def rank(values: dict[str, str]) -> dict[str, object]:
    size = int_var(values, "OMPI_COMM_WORLD_SIZE", 1)
    me = int_var(values, "OMPI_COMM_WORLD_RANK", 0, size - 1)
    import mlx.core as mx

    # strict: fail here, naming the cause, rather than run alone as a group of one.
    try:
        group = mx.distributed.init(strict=True, backend="mpi")
    except RuntimeError as error:
        raise CheckFailed(f"MLX's MPI backend did not start ({error}): the image needs Open MPI's libmpi.so (libopenmpi-dev)") from None
    if group.size() != size or group.rank() != me:
        raise CheckFailed(f"MLX sees rank {group.rank()} of {group.size()}, the environment says {me} of {size}")
    log(f"mlx {mx.__version__}: rank {me} of {size} joined over MPI")

    # 1. A collective every rank checks: each contributes (its rank + 1).
    expected_sum = float(size * (size + 1) // 2)
    collective_value = mx.distributed.all_sum(mx.array(float(me + 1)), group=group).item()
    if collective_value != expected_sum:
        raise CheckFailed(f"all_sum over {size} ranks is {collective_value}, expected {expected_sum}")

    # 2. Data-parallel training: each rank its own shard, gradients averaged by all_sum.
    true_weights = mx.random.normal((FEATURES,), key=mx.random.key(0))
    x = mx.random.normal((SAMPLES_PER_RANK, FEATURES), key=mx.random.key(1000 + me))
    y = x @ true_weights + 0.01 * mx.random.normal((SAMPLES_PER_RANK,), key=mx.random.key(2000 + me))
    weights = mx.zeros((FEATURES,))

    def loss_fn(w: mx.array) -> mx.array:
        return mx.mean(mx.square(x @ w - y))

    loss_and_grad = mx.value_and_grad(loss_fn)
    losses = []
    for _ in range(STEPS):
        loss, grad = loss_and_grad(weights)
        total = mx.distributed.all_sum(mx.concatenate([grad, loss[None]]), group=group) / size
        weights = weights - LEARNING_RATE * total[:-1]
        mx.eval(weights, total)
        losses.append(total[-1].item())
    first_loss, last_loss = losses[0], losses[-1]
    if not last_loss < 0.1 * first_loss:
        raise CheckFailed(f"loss did not fall enough: first {first_loss:.6f}, last {last_loss:.6f}")
    everyone = mx.distributed.all_gather(weights[None], group=group)
    if not all(mx.array_equal(everyone[0], everyone[i]).item() for i in range(size)):
        raise CheckFailed("weights differ between ranks after training")
    # run_payload ends with os._exit, which skips MLX's own MPI_Finalize (a destructor at exit);
    # Open MPI counts a rank that exits without it as failed. Same library MLX opened.
    ctypes.CDLL(MLX_MPI_LIBRARY, mode=ctypes.RTLD_GLOBAL).MPI_Finalize()
    return {
        "process_id": me,
        "process_count": size,
        "collective_value": collective_value,
        "expected_collective_value": expected_sum,
        "first_loss": round(first_loss, 6),
        "last_loss": round(last_loss, 6),
        "steps": STEPS,
        "mlx_version": mx.__version__,
        "backend": "mpi",
    }


def main() -> dict[str, object]:
    contract, values = read_contract([RANK, V2])
    return rank(values) if contract is RANK else launcher(values)


if __name__ == "__main__":
    run_payload(FRAMEWORK, main)
