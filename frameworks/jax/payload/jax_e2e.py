"""Proves distributed JAX on CPU inside a JAXJob, in seconds and on little memory.

Reads the coordinator from the operator's environment (Training Operator v1 or
Trainer v2), joins the job with gloo CPU collectives, checks one collective's result
on every process, trains a tiny linear model data-parallel on synthetic data, checks
that the loss falls and that every process ends with identical parameters, and prints
one result line. No downloads, no network beyond the job's own peers.
"""

from __future__ import annotations

import os

# Must be set before jax is imported: CPU only, no accelerator probing.
os.environ.setdefault("JAX_PLATFORMS", "cpu")

from e2e_support import (  # noqa: E402
    CheckFailed,
    Contract,
    ContractError,
    env_seconds,
    int_var,
    log,
    read_contract,
    run_payload,
)

FRAMEWORK = "jax"

# Training Operator v1 (JAXJob): COORDINATOR_ADDRESS is the bare host of worker 0.
V1 = Contract("Training Operator v1 (JAXJob)", ("COORDINATOR_ADDRESS", "COORDINATOR_PORT", "NUM_PROCESSES", "PROCESS_ID"))
# Trainer v2 JAX runtime: JAX_COORDINATOR_ADDRESS is host:port.
V2 = Contract("Trainer v2 (JAX runtime)", ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID"))

FEATURES = 8
SAMPLES_PER_DEVICE = 256
STEPS = 30
LEARNING_RATE = 0.1


def coordinator() -> tuple[str, int, int]:
    """Returns (host:port, number of processes, this process's id) from the environment."""
    contract, values = read_contract([V1, V2])
    if contract is V1:
        port = int_var(values, "COORDINATOR_PORT", 1, 65535)
        address = f"{values['COORDINATOR_ADDRESS']}:{port}"
        count = int_var(values, "NUM_PROCESSES", 1)
        process = int_var(values, "PROCESS_ID", 0, count - 1)
    else:
        address = values["JAX_COORDINATOR_ADDRESS"]
        host, _, port_text = address.rpartition(":")
        if not host or not port_text.isdigit():
            raise ContractError(f"JAX_COORDINATOR_ADDRESS={address!r} must be host:port")
        count = int_var(values, "JAX_NUM_PROCESSES", 1)
        process = int_var(values, "JAX_PROCESS_ID", 0, count - 1)
    return address, count, process


def main() -> dict[str, object]:
    address, count, process = coordinator()
    init_timeout = int(env_seconds("E2E_INIT_TIMEOUT_SECONDS", 60))

    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.experimental import multihost_utils
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    log(f"jax {jax.__version__}: process {process} of {count} joining {address} (timeout {init_timeout}s)")
    jax.distributed.initialize(
        coordinator_address=address,
        num_processes=count,
        process_id=process,
        cluster_detection_method="deactivate",
        initialization_timeout=init_timeout,
        heartbeat_timeout_seconds=init_timeout,
        shutdown_timeout_seconds=init_timeout,
    )
    if jax.process_count() != count or jax.process_index() != process:
        raise CheckFailed(f"jax sees process {jax.process_index()} of {jax.process_count()}, expected {process} of {count}")

    local_devices = jax.local_device_count()
    mesh = Mesh(np.array(jax.devices()), ("data",))
    sharded = NamedSharding(mesh, PartitionSpec("data"))
    replicated = NamedSharding(mesh, PartitionSpec())

    # 1. A collective every process checks: each device contributes (its process id + 1).
    counts = multihost_utils.process_allgather(np.array([process, local_devices], np.int32))
    if sorted(int(p) for p in counts[:, 0]) != list(range(count)):
        raise CheckFailed(f"all-gather of process ids returned {counts[:, 0].tolist()}, expected 0..{count - 1}")
    expected_sum = float(sum((int(p) + 1) * int(n) for p, n in counts))
    contributions = jax.make_array_from_process_local_data(sharded, np.full((local_devices,), process + 1.0, np.float32))
    total = jax.jit(jnp.sum, out_shardings=replicated)(contributions)
    collective_value = float(np.asarray(total.addressable_data(0)))
    if collective_value != expected_sum:
        raise CheckFailed(f"sum over all devices is {collective_value}, expected {expected_sum}")
    log(f"collective ok: sum over {jax.device_count()} devices = {collective_value}")

    # 2. Data-parallel training: the global batch is sharded by process, the parameters are
    # replicated, so XLA averages the gradients across processes on every step.
    true_weights = np.random.default_rng(0).normal(size=(FEATURES,)).astype(np.float32)
    rng = np.random.default_rng(1000 + process)
    x_local = rng.normal(size=(local_devices * SAMPLES_PER_DEVICE, FEATURES)).astype(np.float32)
    y_local = (x_local @ true_weights + 0.01 * rng.normal(size=(x_local.shape[0],))).astype(np.float32)
    x = jax.make_array_from_process_local_data(sharded, x_local)
    y = jax.make_array_from_process_local_data(sharded, y_local)
    params = jax.device_put(jnp.zeros((FEATURES,), jnp.float32), replicated)

    def loss_fn(w, xb, yb):
        return jnp.mean((xb @ w - yb) ** 2)

    @jax.jit
    def step(w, xb, yb):
        loss, grad = jax.value_and_grad(loss_fn)(w, xb, yb)
        return w - LEARNING_RATE * grad, loss

    losses = []
    for _ in range(STEPS):
        params, loss = step(params, x, y)
        losses.append(float(np.asarray(loss.addressable_data(0))))
    first_loss, last_loss = losses[0], losses[-1]
    if not last_loss < 0.1 * first_loss:
        raise CheckFailed(f"loss did not fall enough: first {first_loss:.6f}, last {last_loss:.6f}")

    local_params = np.asarray(params.addressable_data(0))
    every_process = multihost_utils.process_allgather(local_params)
    if not all(np.array_equal(every_process[0], row) for row in every_process):
        raise CheckFailed("parameters differ between processes after training")
    log(f"training ok: loss {first_loss:.4f} -> {last_loss:.6f} in {STEPS} steps; parameters identical on {count} processes")

    jax.distributed.shutdown()
    return {
        "process_id": process,
        "process_count": count,
        "device_count": jax.device_count(),
        "collective_value": collective_value,
        "expected_collective_value": expected_sum,
        "first_loss": round(first_loss, 6),
        "last_loss": round(last_loss, 6),
        "steps": STEPS,
        "jax_version": jax.__version__,
    }


if __name__ == "__main__":
    run_payload(FRAMEWORK, main)
