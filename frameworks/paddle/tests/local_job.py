"""How to run the Paddle payload as a local PaddleJob: one process per worker, each running launch."""

from __future__ import annotations

from pathlib import Path

PAYLOAD = Path(__file__).resolve().parents[1] / "payload" / "paddle_e2e.py"
DEFAULT_PROCESSES = 2  # Worker replicas in paddlejob.yaml
env_v2 = None  # Trainer v2.3.0 ships no Paddle runtime


def env(port: int, count: int, index: int) -> dict[str, str]:
    """What Training Operator v1 injects into PaddleJob worker `index` in collective mode
    (envvar.go): worker 0 gets its own address (its pod IP, here 127.0.0.1), the others worker
    0's by name (its service, here localhost). It sets no rank: launch's rendezvous assigns them."""
    host = "127.0.0.1" if index == 0 else "localhost"
    return {"PADDLE_MASTER": f"{host}:{port}", "PADDLE_NNODES": str(count), "PADDLE_JOB_ID": "paddle-e2e"}
