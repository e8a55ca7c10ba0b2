"""The JAX payload, run for real: several local processes wired like JAXJob pods."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from launcher import free_port, launch

from local_job import PAYLOAD
from local_job import env as v1_env


def run_job(count: int, extra: dict[str, str] | None = None):
    port = free_port()
    return launch(PAYLOAD, [{**v1_env(port, count, i), **(extra or {})} for i in range(count)], timeout=120)


def assert_consistent(results: list[dict], count: int, devices_per_process: int = 1) -> None:
    assert sorted(r["process_id"] for r in results) == list(range(count))
    expected_sum = devices_per_process * count * (count + 1) / 2
    for r in results:
        assert r["ok"] is True
        assert r["framework"] == "jax"
        assert r["process_count"] == count
        assert r["device_count"] == count * devices_per_process
        assert r["collective_value"] == expected_sum
        assert r["last_loss"] < 0.1 * r["first_loss"]
    # Data-parallel training: every process saw the same global loss curve.
    assert len({(r["first_loss"], r["last_loss"]) for r in results}) == 1


@pytest.mark.parametrize("count", [2, 3])
def test_processes_agree(count: int) -> None:
    job = run_job(count)
    assert all(o.returncode == 0 for o in job.outcomes), job.describe()
    assert len(job.results) == count, job.describe()
    assert_consistent(job.results, count)


def test_single_process() -> None:
    job = run_job(1)
    assert job.outcomes[0].returncode == 0, job.describe()
    assert_consistent(job.results, 1)


def test_several_devices_per_process() -> None:
    job = run_job(2, {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    assert all(o.returncode == 0 for o in job.outcomes), job.describe()
    assert_consistent(job.results, 2, devices_per_process=2)


def test_trainer_v2_contract() -> None:
    port = free_port()
    envs = [
        {"JAX_COORDINATOR_ADDRESS": f"127.0.0.1:{port}", "JAX_NUM_PROCESSES": "2", "JAX_PROCESS_ID": str(i)}
        for i in range(2)
    ]
    job = launch(PAYLOAD, envs, timeout=120)
    assert all(o.returncode == 0 for o in job.outcomes), job.describe()
    assert_consistent(job.results, 2)


@pytest.mark.parametrize("missing", ["COORDINATOR_ADDRESS", "COORDINATOR_PORT", "NUM_PROCESSES", "PROCESS_ID"])
def test_missing_variable_fails_at_once(missing: str) -> None:
    env = v1_env(free_port(), 2, 0)
    del env[missing]
    started = time.monotonic()
    job = launch(PAYLOAD, [env], timeout=30)
    outcome = job.outcomes[0]
    assert outcome.returncode == 2, job.describe()
    assert time.monotonic() - started < 10
    assert outcome.result is not None and outcome.result["ok"] is False
    assert f"missing {missing}" in outcome.result["error"]
    assert "JAX_COORDINATOR_ADDRESS" in outcome.result["error"], "names the other contract too"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"PROCESS_ID": "2"}, "PROCESS_ID=2 must be at least 0 and at most 1"),
        ({"NUM_PROCESSES": "two"}, "NUM_PROCESSES='two' is not an integer"),
        ({"COORDINATOR_PORT": "70000"}, "COORDINATOR_PORT=70000 must be at least 1 and at most 65535"),
    ],
)
def test_invalid_value_is_named(override: dict[str, str], message: str) -> None:
    job = launch(PAYLOAD, [{**v1_env(free_port(), 2, 0), **override}], timeout=30)
    assert job.outcomes[0].returncode == 2, job.describe()
    assert message in job.outcomes[0].result["error"]


def test_v2_address_without_port_is_refused() -> None:
    env = {"JAX_COORDINATOR_ADDRESS": "worker-0", "JAX_NUM_PROCESSES": "1", "JAX_PROCESS_ID": "0"}
    job = launch(PAYLOAD, [env], timeout=30)
    assert job.outcomes[0].returncode == 2, job.describe()
    assert "must be host:port" in job.outcomes[0].result["error"]


def test_peer_that_never_comes_fails_within_the_init_timeout() -> None:
    # Two processes expected, one started: the coordinator wait must give up on its own.
    env = {**v1_env(free_port(), 2, 0), "E2E_INIT_TIMEOUT_SECONDS": "5"}
    job = launch(PAYLOAD, [env], timeout=60)
    outcome = job.outcomes[0]
    assert not outcome.timed_out, "the payload itself must bound the wait"
    assert outcome.returncode != 0
    assert outcome.result is not None and outcome.result["ok"] is False, job.describe()
    assert "E2E_INIT_TIMEOUT_SECONDS" in outcome.result["error"]
    assert job.wall_seconds < 30


def test_worker_without_coordinator_fails_within_the_init_timeout() -> None:
    env = {**v1_env(free_port(), 2, 1), "E2E_INIT_TIMEOUT_SECONDS": "5"}
    job = launch(PAYLOAD, [env], timeout=60)
    assert not job.outcomes[0].timed_out
    assert job.outcomes[0].returncode != 0
    assert job.outcomes[0].result["ok"] is False, job.describe()
    assert job.wall_seconds < 30


def test_deadline_ends_a_stuck_run() -> None:
    env = {**v1_env(free_port(), 2, 0), "E2E_INIT_TIMEOUT_SECONDS": "120", "E2E_DEADLINE_SECONDS": "3"}
    job = launch(PAYLOAD, [env], timeout=60)
    outcome = job.outcomes[0]
    assert outcome.returncode == 3, job.describe()
    assert "deadline of 3s passed" in outcome.result["error"]
    assert job.wall_seconds < 15
