"""The TensorFlow payload, run for real: several local processes wired like TFJob workers."""

from __future__ import annotations

import json

import local_job
from launcher import free_port, launch
from payload_contract import PayloadContract


def tf_config(**change: object) -> dict[str, str]:
    config = json.loads(local_job.env(free_port(), 2, 0)["TF_CONFIG"])
    for path, value in change.items():
        section, key = path.split("__")
        config[section][key] = value
    return {"TF_CONFIG": json.dumps(config)}


class TestTensorflowPayload(PayloadContract):
    job = local_job
    framework = "tensorflow"
    invalid_values = [
        ({"TF_CONFIG": "{cluster"}, "TF_CONFIG is not JSON"),
        (tf_config(task__index=2), "TF_CONFIG task.index=2 must be at least 0 and at most 1"),
        (tf_config(task__type="ps"), "TF_CONFIG task.type='ps' must be 'worker'"),
        (tf_config(cluster__worker=["worker-0"]), "must be a non-empty list of host:port"),
        (tf_config(cluster__chief=["chief-0:2222"]), "TF_CONFIG cluster has chief; this payload runs Worker replicas only"),
    ]

    def test_missing_tf_config_names_it(self) -> None:
        job = launch(local_job.PAYLOAD, [{"TF_CONFIG": ""}], timeout=30)
        assert job.outcomes[0].returncode == 2, job.describe()
        assert "missing TF_CONFIG" in job.outcomes[0].result["error"]
