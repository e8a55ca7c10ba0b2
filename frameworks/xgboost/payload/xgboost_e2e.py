"""Proves distributed XGBoost on CPU inside an XGBoostJob, in seconds and on little memory.

Rank 0 runs the collective's tracker; every rank joins it as the operator describes it:
an XGBoostJob's MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK (Training Operator v1, the
master is rank 0), or the DMLC_* variables of Trainer v2's xgboost-distributed runtime
(which starts no tracker itself). Every rank checks an
all-reduce, trains a small model on its own synthetic shard (histograms are
synchronised across ranks), checks that the training loss falls and that every rank
ends with the same model, and prints one result line. No downloads, no network beyond
the job's own peers.
"""

from __future__ import annotations

import hashlib

from e2e_support import CheckFailed, RendezvousContract, env_seconds, log, master_contract, read_rendezvous, run_payload, wait_for_port

FRAMEWORK = "xgboost"

# Trainer v2 (pkg/runtime/framework/plugins/xgboost): the tracker's host (node 0) and port,
# the number of workers (one per pod on CPU) and this pod's index.
TRAINER_V2 = RendezvousContract("Trainer v2 (xgboost-distributed)", "DMLC_TRACKER_URI", "DMLC_TRACKER_PORT", "DMLC_NUM_WORKER", "DMLC_TASK_ID")

FEATURES = 8
SAMPLES = 2000
ROUNDS = 10


def main() -> dict[str, object]:
    rendezvous = read_rendezvous([master_contract("XGBoostJob"), TRAINER_V2])
    host, port, world, rank = rendezvous.host, rendezvous.port, rendezvous.world_size, rendezvous.rank
    init_timeout = int(env_seconds("E2E_INIT_TIMEOUT_SECONDS", 60))

    import numpy as np
    import xgboost as xgb
    from xgboost import collective
    from xgboost.tracker import RabitTracker

    tracker = None
    if rank == 0:
        # Listens on every address; ranks are ordered by task id, i.e. by RANK.
        tracker = RabitTracker(n_workers=world, host_ip="0.0.0.0", port=port, sortby="task", timeout=init_timeout)
        tracker.start()
    # Every rank, rank 0 too, joins only once the tracker's name resolves and it listens: the
    # collective gives up at the first failed lookup, and under Trainer v2 the tracker's name is
    # node 0's own pod record, which the cluster's DNS serves a moment after the pod starts
    # (found in the lab); the collective's own retries also back off for seconds.
    wait_for_port(host, port, init_timeout)
    log(f"xgboost {xgb.__version__}: rank {rank} of {world} joining {host}:{port} as {rendezvous.contract} describes (timeout {init_timeout}s)")
    with collective.CommunicatorContext(
        dmlc_tracker_uri=host,
        dmlc_tracker_port=port,
        dmlc_task_id=str(rank),
        dmlc_timeout=init_timeout,
        dmlc_retry=3,
    ):
        if collective.get_world_size() != world or collective.get_rank() != rank:
            raise CheckFailed(f"xgboost sees rank {collective.get_rank()} of {collective.get_world_size()}, expected {rank} of {world}")

        # 1. An all-reduce every rank checks: each contributes rank + 1.
        total = float(collective.allreduce(np.array([rank + 1.0]), collective.Op.SUM)[0])
        expected = world * (world + 1) / 2
        if total != expected:
            raise CheckFailed(f"all-reduce sum is {total}, expected {expected}")
        log(f"collective ok: all-reduce over {world} ranks = {total}")

        # 2. Distributed training: each rank has its own shard of one synthetic problem.
        weights = np.random.default_rng(0).normal(size=FEATURES)
        rng = np.random.default_rng(1000 + rank)
        x = rng.normal(size=(SAMPLES, FEATURES))
        y = (x @ weights + 0.3 * rng.normal(size=SAMPLES) > 0).astype(np.float32)
        train = xgb.DMatrix(x, label=y)
        history: dict = {}
        booster = xgb.train(
            {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 3, "eta": 0.3, "nthread": 1, "eval_metric": "logloss"},
            train,
            num_boost_round=ROUNDS,
            evals=[(train, "train")],
            evals_result=history,
            verbose_eval=False,
        )
        losses = history["train"]["logloss"]
        first_loss, last_loss = float(losses[0]), float(losses[-1])
        if not last_loss < 0.8 * first_loss:
            raise CheckFailed(f"training loss did not fall enough: first {first_loss:.6f}, last {last_loss:.6f}")

        digest = np.frombuffer(hashlib.sha256(bytes(booster.save_raw("json"))).digest(), dtype=np.uint8).astype(np.float64)
        if not np.array_equal(collective.allreduce(digest, collective.Op.MAX), collective.allreduce(digest, collective.Op.MIN)):
            raise CheckFailed("the trained model differs between ranks")
        log(f"training ok: logloss {first_loss:.4f} -> {last_loss:.4f} in {ROUNDS} rounds; same model on {world} ranks")

    if tracker is not None:
        tracker.wait_for(init_timeout)
    return {
        "process_id": rank,
        "process_count": world,
        "collective_value": total,
        "expected_collective_value": expected,
        "first_loss": round(first_loss, 6),
        "last_loss": round(last_loss, 6),
        "rounds": ROUNDS,
        "model_sha256": hashlib.sha256(bytes(booster.save_raw("json"))).hexdigest()[:16],
        "xgboost_version": xgb.__version__,
    }


if __name__ == "__main__":
    run_payload(FRAMEWORK, main)
