"""How to run the XGBoost payload as a local XGBoostJob: the payload and each replica's environment."""

from __future__ import annotations

from pathlib import Path

PAYLOAD = Path(__file__).resolve().parents[1] / "payload" / "xgboost_e2e.py"
DEFAULT_PROCESSES = 2  # Master 1 + Worker 1 in xgboostjob.yaml


def env(port: int, count: int, index: int) -> dict[str, str]:
    """What the Training Operator v1 injects into replica `index` (0 = master, then workers)."""
    return {
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
        "WORLD_SIZE": str(count),
        "RANK": str(index),
    }
