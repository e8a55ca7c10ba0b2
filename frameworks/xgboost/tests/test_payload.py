"""The XGBoost payload, run for real: several local processes wired like XGBoostJob pods."""

from __future__ import annotations

import local_job
from payload_contract import PayloadContract


class TestXGBoostPayload(PayloadContract):
    job = local_job
    framework = "xgboost"
    invalid_values = [
        ({"RANK": "2"}, "RANK=2 must be at least 0 and at most 1"),
        ({"WORLD_SIZE": "two"}, "WORLD_SIZE='two' is not an integer"),
        ({"MASTER_PORT": "0"}, "MASTER_PORT=0 must be at least 1 and at most 65535"),
    ]
    invalid_values_v2 = [
        ({"DMLC_TASK_ID": "2"}, "DMLC_TASK_ID=2 must be at least 0 and at most 1"),
        ({"DMLC_NUM_WORKER": "0"}, "DMLC_NUM_WORKER=0 must be at least 1"),
    ]
