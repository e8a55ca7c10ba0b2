"""Proves distributed TensorFlow on CPU inside a TFJob, in seconds and on little memory.

Reads TF_CONFIG as Training Operator v1 writes it (a worker list and this task), joins the
job with MultiWorkerMirroredStrategy over its gRPC collectives, checks one all-reduce's
result on every worker, trains a tiny linear model data-parallel on synthetic data, checks
that the loss falls and that every worker ends with identical weights, and prints one
result line. No downloads, no network beyond the job's own peers.
"""

from __future__ import annotations

import json
import os

# Before tensorflow is imported: CPU only, and quiet C++ logs (errors still show).
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

from e2e_support import (  # noqa: E402
    CheckFailed,
    Contract,
    ContractError,
    arm_join_watchdog,
    env_seconds,
    log,
    read_contract,
    run_payload,
)

FRAMEWORK = "tensorflow"

# Training Operator v1 (TFJob): TF_CONFIG = {"cluster": {"worker": [host:port, ...]}, "task": {"type", "index"}}.
V1 = Contract("Training Operator v1 (TFJob)", ("TF_CONFIG",))

FEATURES = 8
SAMPLES_PER_WORKER = 256
STEPS = 30
LEARNING_RATE = 0.1


def parse_tf_config(raw: str) -> tuple[list[str], int]:
    """Returns (the worker addresses, this worker's index) from TF_CONFIG, or raises ContractError."""
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ContractError(f"TF_CONFIG is not JSON: {error}") from None
    if not isinstance(config, dict):
        raise ContractError("TF_CONFIG must be a JSON object with cluster and task")
    cluster, task = config.get("cluster"), config.get("task")
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ContractError("TF_CONFIG must have a cluster object and a task object")
    workers = cluster.get("worker")
    if not isinstance(workers, list) or not workers or not all(isinstance(w, str) and w.rpartition(":")[2].isdigit() for w in workers):
        raise ContractError(f"TF_CONFIG cluster.worker={workers!r} must be a non-empty list of host:port")
    others = sorted(set(cluster) - {"worker"})
    if others:
        # A chief, PS or evaluator changes the strategy; this payload tests workers only (tfjob.yaml).
        raise ContractError(f"TF_CONFIG cluster has {', '.join(others)}; this payload runs Worker replicas only")
    if task.get("type") != "worker":
        raise ContractError(f"TF_CONFIG task.type={task.get('type')!r} must be 'worker'")
    index = task.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(workers):
        raise ContractError(f"TF_CONFIG task.index={index!r} must be at least 0 and at most {len(workers) - 1}")
    return workers, index


def main() -> dict[str, object]:
    _, values = read_contract([V1])
    workers, index = parse_tf_config(values["TF_CONFIG"])
    count = len(workers)
    init_timeout = int(env_seconds("E2E_INIT_TIMEOUT_SECONDS", 60))

    import numpy as np
    import tensorflow as tf
    from tensorflow.python.eager import context

    # The strategy's own coordination service waits for peers without a limit: bound it.
    context.context().configure_coordination_service(
        service_type="standalone",
        service_leader=f"/job:worker/replica:0/task:0",
        cluster_register_timeout_in_ms=init_timeout * 1000,
        heartbeat_timeout_in_ms=init_timeout * 1000,
        shutdown_barrier_timeout_in_ms=init_timeout * 1000,
    )
    log(f"tensorflow {tf.__version__}: worker {index} of {count} joining {workers[0]} (timeout {init_timeout}s)")
    # The leader waits for missing peers without a limit whatever those timeouts say, inside
    # native code that holds the GIL: a watchdog ends the run if the first collective is late.
    joined = arm_join_watchdog(init_timeout)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING,
            timeout_seconds=init_timeout,
        )
    )
    if strategy.num_replicas_in_sync != count:
        raise CheckFailed(f"the strategy has {strategy.num_replicas_in_sync} replicas in sync, expected {count}")

    # 1. A collective every worker checks: each contributes (its index + 1).
    expected_sum = float(count * (count + 1) // 2)
    contribution = strategy.run(lambda: tf.constant(index + 1.0))
    total = strategy.reduce(tf.distribute.ReduceOp.SUM, contribution, axis=None)
    collective_value = float(total.numpy())
    if collective_value != expected_sum:
        raise CheckFailed(f"all-reduce sum over {count} workers is {collective_value}, expected {expected_sum}")
    joined()
    log(f"collective ok: sum over {count} workers = {collective_value}")

    # 2. Data-parallel training: each worker its own shard, gradients all-reduced on every step.
    true_weights = np.random.default_rng(0).normal(size=(FEATURES, 1)).astype(np.float32)
    rng = np.random.default_rng(1000 + index)
    x_local = rng.normal(size=(SAMPLES_PER_WORKER, FEATURES)).astype(np.float32)
    y_local = (x_local @ true_weights + 0.01 * rng.normal(size=(SAMPLES_PER_WORKER, 1))).astype(np.float32)
    with strategy.scope():
        weights = tf.Variable(tf.zeros((FEATURES, 1)))

    @tf.function
    def step(x, y):
        def replica_step(x, y):
            with tf.GradientTape() as tape:
                local_loss = tf.reduce_mean((tf.matmul(x, weights) - y) ** 2)
            grad = tape.gradient(local_loss, weights)
            grad = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.MEAN, grad)
            weights.assign_sub(LEARNING_RATE * grad)
            return local_loss

        local_loss = strategy.run(replica_step, args=(x, y))
        return strategy.reduce(tf.distribute.ReduceOp.MEAN, local_loss, axis=None)

    x, y = tf.constant(x_local), tf.constant(y_local)
    losses = [float(step(x, y).numpy()) for _ in range(STEPS)]
    first_loss, last_loss = losses[0], losses[-1]
    if not last_loss < 0.1 * first_loss:
        raise CheckFailed(f"loss did not fall enough: first {first_loss:.6f}, last {last_loss:.6f}")

    # Identical weights everywhere: the all-reduced maximum of |mine - mean| must be zero.
    mine = tf.constant(weights.numpy())
    mean = strategy.reduce(tf.distribute.ReduceOp.MEAN, strategy.run(lambda: mine), axis=None)
    spread = strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(lambda: tf.reduce_max(tf.abs(mine - mean))), axis=None)
    if float(spread.numpy()) > 1e-6:
        raise CheckFailed(f"weights differ between workers after training (spread {float(spread.numpy()):g})")
    log(f"training ok: loss {first_loss:.4f} -> {last_loss:.6f} in {STEPS} steps; weights identical on {count} workers")

    return {
        "process_id": index,
        "process_count": count,
        "collective_value": collective_value,
        "expected_collective_value": expected_sum,
        "first_loss": round(first_loss, 6),
        "last_loss": round(last_loss, 6),
        "steps": STEPS,
        "tensorflow_version": tf.__version__,
    }


if __name__ == "__main__":
    run_payload(FRAMEWORK, main)
