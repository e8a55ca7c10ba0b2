"""How to run the TensorFlow payload as a local TFJob: the payload and each worker's TF_CONFIG."""

from __future__ import annotations

import json
from pathlib import Path

PAYLOAD = Path(__file__).resolve().parents[1] / "payload" / "tensorflow_e2e.py"
DEFAULT_PROCESSES = 2  # Worker replicas in tfjob.yaml
env_v2 = None  # Trainer v2.3.0 ships no TensorFlow runtime


def env(port: int, count: int, index: int) -> dict[str, str]:
    """What Training Operator v1 injects into TFJob worker `index` (genTFConfigJSONStr): every
    worker on 127.0.0.1, each on its own port from `port` up (pods share one port; processes cannot)."""
    workers = [f"127.0.0.1:{port + i}" for i in range(count)]
    config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}, "environment": "cloud"}
    return {"TF_CONFIG": json.dumps(config)}
