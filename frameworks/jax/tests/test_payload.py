"""The JAX payload, run for real: several local processes wired like JAXJob pods."""

from __future__ import annotations

import local_job
from launcher import free_port, launch
from payload_contract import PayloadContract


class TestJaxPayload(PayloadContract):
    job = local_job
    framework = "jax"
    invalid_values = [
        ({"PROCESS_ID": "2"}, "PROCESS_ID=2 must be at least 0 and at most 1"),
        ({"NUM_PROCESSES": "two"}, "NUM_PROCESSES='two' is not an integer"),
        ({"COORDINATOR_PORT": "70000"}, "COORDINATOR_PORT=70000 must be at least 1 and at most 65535"),
    ]
    invalid_values_v2 = [
        ({"JAX_PROCESS_ID": "2"}, "JAX_PROCESS_ID=2 must be at least 0 and at most 1"),
        ({"JAX_COORDINATOR_ADDRESS": "node-0"}, "JAX_COORDINATOR_ADDRESS='node-0' must be host:port"),
    ]

    def test_several_devices_per_process(self) -> None:
        job = self.run_job(2, {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
        self.assert_consistent(job, 2)
        assert all(r["device_count"] == 4 and r["collective_value"] == 6.0 for r in job.results)

    def test_missing_variable_names_both_contracts(self) -> None:
        env = local_job.env(free_port(), 2, 0)
        del env["PROCESS_ID"]
        error = launch(local_job.PAYLOAD, [env], timeout=30).outcomes[0].result["error"]
        assert "missing PROCESS_ID" in error and "JAX_COORDINATOR_ADDRESS" in error

    def test_v2_address_without_port_is_refused(self) -> None:
        env = {"JAX_COORDINATOR_ADDRESS": "worker-0", "JAX_NUM_PROCESSES": "1", "JAX_PROCESS_ID": "0"}
        job = launch(local_job.PAYLOAD, [env], timeout=30)
        assert job.outcomes[0].returncode == 2, job.describe()
        assert "must be host:port" in job.outcomes[0].result["error"]

    def test_native_abort_is_reported_readably(self) -> None:
        # jax aborts (SIGABRT) when its coordinator wait times out; the supervisor says so.
        env = {**local_job.env(free_port(), 2, 0), "E2E_INIT_TIMEOUT_SECONDS": "5"}
        result = launch(local_job.PAYLOAD, [env], timeout=60).outcomes[0].result
        assert "signal SIGABRT" in result["error"] and "E2E_INIT_TIMEOUT_SECONDS" in result["error"]
