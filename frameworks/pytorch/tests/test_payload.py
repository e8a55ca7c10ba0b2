"""The PyTorch payload, run for real: several local processes wired like PyTorchJob pods."""

from __future__ import annotations

import local_job
from payload_contract import PayloadContract


class TestPyTorchPayload(PayloadContract):
    job = local_job
    framework = "pytorch"
    invalid_values = [
        ({"RANK": "2"}, "RANK=2 must be at least 0 and at most 1"),
        ({"WORLD_SIZE": "two"}, "WORLD_SIZE='two' is not an integer"),
        ({"MASTER_PORT": "0"}, "MASTER_PORT=0 must be at least 1 and at most 65535"),
    ]
    invalid_values_v2 = [
        ({"PET_NODE_RANK": "2"}, "PET_NODE_RANK=2 must be at least 0 and at most 1"),
        ({"PET_NPROC_PER_NODE": "auto"}, "PET_NPROC_PER_NODE='auto' must be 1"),
        ({"PET_MASTER_PORT": "x"}, "PET_MASTER_PORT='x' is not an integer"),
    ]
