"""How to run the PyTorch payload as a local PyTorchJob: the payload and each replica's environment."""

from __future__ import annotations

from pathlib import Path

PAYLOAD = Path(__file__).resolve().parents[1] / "payload" / "pytorch_e2e.py"
DEFAULT_PROCESSES = 2  # Master 1 + Worker 1 in pytorchjob.yaml


def env(port: int, count: int, index: int) -> dict[str, str]:
    """What the Training Operator v1 injects into replica `index` (0 = master, then workers)."""
    return {
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
        "WORLD_SIZE": str(count),
        "RANK": str(index),
    }
