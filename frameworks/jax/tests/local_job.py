"""How to run the JAX payload as a local JAXJob: the payload and each worker's environment."""

from __future__ import annotations

from pathlib import Path

from launcher import jax_v2_env as env_v2  # noqa: F401 - the local job's environment under Trainer v2

PAYLOAD = Path(__file__).resolve().parents[1] / "payload" / "jax_e2e.py"
DEFAULT_PROCESSES = 2  # Worker replicas in jaxjob.yaml


def env(port: int, count: int, index: int) -> dict[str, str]:
    """What the Training Operator v1 injects into JAXJob worker `index` (coordinator on 127.0.0.1)."""
    return {
        "COORDINATOR_ADDRESS": "127.0.0.1",
        "COORDINATOR_PORT": str(port),
        "NUM_PROCESSES": str(count),
        "PROCESS_ID": str(index),
    }
