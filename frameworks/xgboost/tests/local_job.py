"""How to run the xgboost payload as a local XGBoostJob: the payload and each replica's environment."""

from __future__ import annotations

from pathlib import Path

from launcher import master_worker_env as env  # noqa: F401 - the local job's environment (v1)
from launcher import xgboost_v2_env as env_v2  # noqa: F401 - the same under Trainer v2

PAYLOAD = Path(__file__).resolve().parents[1] / "payload" / "xgboost_e2e.py"
DEFAULT_PROCESSES = 2  # Master 1 + Worker 1 in xgboostjob.yaml
