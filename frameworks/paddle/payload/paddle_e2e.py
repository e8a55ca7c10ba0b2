"""Proves a PaddleJob on CPU in collective mode: paddle.distributed.launch and gloo, in seconds.

Two roles in one script. As the node (Training Operator v1 sets PADDLE_MASTER, PADDLE_NNODES
and PADDLE_JOB_ID, pkg/controller.v1/paddlepaddle/envvar.go), it runs
`python -m paddle.distributed.launch` on itself, as Paddle's own images do, bounds the
rendezvous, and reports the trainer's result. As the trainer (launch sets PADDLE_TRAINER_ID and
PADDLE_TRAINERS_NUM; ranks follow the rendezvous, not the pod index), it joins the gloo process
group, checks an all-reduce whose result every trainer knows, trains a tiny linear model with
gradients averaged by all-reduce, checks that the loss falls and that every trainer ends with
identical weights, and prints its result line. No downloads, no network beyond the job's peers.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
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

FRAMEWORK = "paddle"

# Training Operator v1 (PaddleJob, collective mode: Worker replicas only).
V1 = Contract("Training Operator v1 (PaddleJob)", ("PADDLE_MASTER", "PADDLE_NNODES", "PADDLE_JOB_ID"))
# paddle.distributed.launch, in each trainer it starts.
TRAINER = Contract("paddle.distributed.launch trainer", ("PADDLE_TRAINER_ID", "PADDLE_TRAINERS_NUM"))

# The trainer prints this once its process group is up; the node's rendezvous watch ends there.
JOINED = "e2e: trainer joined"
TRAINER_RESULT = "trainer result "

FEATURES = 8
SAMPLES_PER_TRAINER = 256
STEPS = 30
LEARNING_RATE = 0.1


def node(values: dict[str, str]) -> dict[str, object]:
    host, _, port = values["PADDLE_MASTER"].rpartition(":")
    if not host or not port.isdigit():
        raise ContractError(f"PADDLE_MASTER={values['PADDLE_MASTER']!r} must be host:port")
    nodes = int_var(values, "PADDLE_NNODES", 1)
    init_timeout = env_seconds("E2E_INIT_TIMEOUT_SECONDS", 60)
    logs = tempfile.mkdtemp(prefix="paddle-launch-")
    # One trainer per node on CPU, no restarts: a retry must not hide a flake.
    argv = [sys.executable, "-m", "paddle.distributed.launch", "--log_dir", logs, "--max_restart", "0", "--nproc_per_node", "1", str(Path(__file__).resolve())]
    log(f"node of {nodes} joining {values['PADDLE_MASTER']} (job {values['PADDLE_JOB_ID']}, timeout {init_timeout:g}s)")
    # launch starts its trainer in a session of its own: stop launch, and through it the trainer,
    # however this ends (the supervisor's deadline sends SIGTERM first for the same reason).
    launch = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # The supervisor's SIGTERM (its deadline) must still run the cleanup below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"{FRAMEWORK}: stopped by SIGTERM"))
    try:
        return watch(launch, nodes, values["PADDLE_MASTER"], init_timeout)
    finally:
        if launch.poll() is None:
            launch.terminate()
            try:
                launch.wait(timeout=10)
            except subprocess.TimeoutExpired:
                launch.kill()
        shutil.rmtree(logs, ignore_errors=True)


def watch(launch: subprocess.Popen, nodes: int, master: str, init_timeout: float) -> dict[str, object]:
    """Shows launch's output, bounds the rendezvous and returns the trainer's result fields."""
    joined = threading.Event()
    results: list[dict] = []

    def pump() -> None:
        assert launch.stdout is not None
        for line in launch.stdout:
            # launch shows its local trainer's log; the trainer's result line is shown, not repeated as ours.
            text = line.rstrip("\n")
            if text.startswith(RESULT_PREFIX):
                results.append(json.loads(text[len(RESULT_PREFIX):]))
                text = TRAINER_RESULT + text[len(RESULT_PREFIX):]
            if JOINED in text:
                joined.set()
            print(f"launch: {text}", flush=True)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    if not joined.wait(init_timeout) and launch.poll() is None:
        raise CheckFailed(f"the {nodes} nodes did not all join {master} within {init_timeout:g}s (E2E_INIT_TIMEOUT_SECONDS)")
    code = launch.wait()
    reader.join(10)
    if results and not results[-1].get("ok"):
        raise CheckFailed(f"the trainer failed: {results[-1].get('error')}")
    if code != 0:
        raise CheckFailed(f"paddle.distributed.launch ended with exit code {code}; its output above says why")
    if not results:
        raise CheckFailed("the trainer reported no result; the launch output above says why")
    return {key: value for key, value in results[-1].items() if key not in ("framework", "ok", "seconds")}


def trainer(values: dict[str, str]) -> dict[str, object]:
    count = int_var(values, "PADDLE_TRAINERS_NUM", 1)
    rank = int_var(values, "PADDLE_TRAINER_ID", 0, count - 1)
    import numpy as np
    import paddle
    import paddle.distributed as dist

    paddle.set_device("cpu")
    dist.init_parallel_env()  # with one trainer, paddle makes no group: its collectives are the identity
    log(JOINED)

    def all_reduce(tensor):
        if count > 1:
            dist.all_reduce(tensor)
        return tensor
    if dist.get_world_size() != count or dist.get_rank() != rank:
        raise CheckFailed(f"paddle sees rank {dist.get_rank()} of {dist.get_world_size()}, launch said {rank} of {count}")

    # 1. A collective every trainer checks: each contributes (its rank + 1).
    expected_sum = float(count * (count + 1) // 2)
    value = all_reduce(paddle.to_tensor([float(rank + 1)], dtype="float64"))
    collective_value = float(value.numpy()[0])
    if collective_value != expected_sum:
        raise CheckFailed(f"all-reduce sum over {count} trainers is {collective_value}, expected {expected_sum}")

    # 2. Data-parallel training: each trainer its own shard, gradients averaged by all-reduce.
    true_weights = np.random.default_rng(0).normal(size=(FEATURES,))
    rng = np.random.default_rng(1000 + rank)
    x = paddle.to_tensor(rng.normal(size=(SAMPLES_PER_TRAINER, FEATURES)))
    y = paddle.to_tensor(x.numpy() @ true_weights + 0.01 * rng.normal(size=(SAMPLES_PER_TRAINER,)))
    weights = paddle.zeros([FEATURES], dtype="float64")
    weights.stop_gradient = False
    losses = []
    for _ in range(STEPS):
        loss = paddle.mean((paddle.matmul(x, weights) - y) ** 2)
        (grad,) = paddle.grad(loss, weights)
        packed = paddle.concat([grad, loss.reshape([1])])
        packed = all_reduce(packed) / count
        with paddle.no_grad():
            weights.set_value(weights - LEARNING_RATE * packed[:-1])
        losses.append(float(packed[-1].numpy()))
    first_loss, last_loss = losses[0], losses[-1]
    if not last_loss < 0.1 * first_loss:
        raise CheckFailed(f"loss did not fall enough: first {first_loss:.6f}, last {last_loss:.6f}")
    gathered: list = [weights.detach()]
    if count > 1:
        gathered = []
        dist.all_gather(gathered, weights.detach())
    if not all(np.array_equal(gathered[0].numpy(), w.numpy()) for w in gathered):
        raise CheckFailed("weights differ between trainers after training")
    log(f"training ok: loss {first_loss:.4f} -> {last_loss:.6f} in {STEPS} steps; weights identical on {count} trainers")
    return {
        "process_id": rank,
        "process_count": count,
        "collective_value": collective_value,
        "expected_collective_value": expected_sum,
        "first_loss": round(first_loss, 6),
        "last_loss": round(last_loss, 6),
        "steps": STEPS,
        "paddle_version": paddle.__version__,
    }


def main() -> dict[str, object]:
    contract, values = read_contract([TRAINER, V1])
    return trainer(values) if contract is TRAINER else node(values)


if __name__ == "__main__":
    run_payload(FRAMEWORK, main)
