"""Tests every framework payload must pass, run for real as local processes.

A framework's tests subclass PayloadContract and set `job` to its tests/local_job.py
module; pytest then runs each test below against that payload. `job.env` wires the
processes as the Training Operator v1 does, `job.env_v2` (None if the framework has no
Trainer v2 runtime) as Trainer v2's runtime does; the tests run both.
"""

from __future__ import annotations

import time
from types import ModuleType

import pytest

from launcher import Launch, free_port, launch


class PayloadContract:
    job: ModuleType
    framework: str
    # Values that must be refused, with the message that names them (v1, then Trainer v2 wiring).
    invalid_values: list[tuple[dict[str, str], str]] = []
    invalid_values_v2: list[tuple[dict[str, str], str]] = []

    def run_job(self, count: int, extra: dict[str, str] | None = None, timeout: float = 120, v2: bool = False) -> Launch:
        port = free_port()
        env = self.v2_env() if v2 else self.job.env
        return launch(self.job.PAYLOAD, [{**env(port, count, i), **(extra or {})} for i in range(count)], timeout=timeout)

    def v2_env(self):
        if self.job.env_v2 is None:
            pytest.skip(f"{self.framework} declares no Trainer v2 runtime")
        return self.job.env_v2

    def assert_consistent(self, job: Launch, count: int) -> None:
        assert all(o.returncode == 0 for o in job.outcomes), job.describe()
        results = job.results
        assert len(results) == count, job.describe()
        assert sorted(r["process_id"] for r in results) == list(range(count))
        for r in results:
            assert r["ok"] is True and r["framework"] == self.framework
            assert r["process_count"] == count
            assert r["collective_value"] == r["expected_collective_value"]
            assert r["last_loss"] < r["first_loss"]
        # Every process saw the same global loss curve.
        assert len({(r["first_loss"], r["last_loss"]) for r in results}) == 1

    def test_two_processes_agree(self) -> None:
        self.assert_consistent(self.run_job(2), 2)

    def test_three_processes_agree(self) -> None:
        self.assert_consistent(self.run_job(3), 3)

    def test_single_process(self) -> None:
        self.assert_consistent(self.run_job(1), 1)

    def test_trainer_v2_two_processes_agree(self) -> None:
        self.assert_consistent(self.run_job(2, v2=True), 2)

    def assert_each_missing_variable_fails_at_once(self, env) -> None:
        for missing in env(1, 2, 0):
            wiring = env(free_port(), 2, 0)
            del wiring[missing]
            started = time.monotonic()
            job = launch(self.job.PAYLOAD, [wiring], timeout=30)
            outcome = job.outcomes[0]
            assert outcome.returncode == 2, job.describe()
            assert time.monotonic() - started < 10
            assert outcome.result is not None and outcome.result["ok"] is False
            assert f"missing {missing}" in outcome.result["error"], outcome.result

    def test_each_missing_variable_fails_at_once(self) -> None:
        self.assert_each_missing_variable_fails_at_once(self.job.env)

    def test_each_missing_trainer_v2_variable_fails_at_once(self) -> None:
        self.assert_each_missing_variable_fails_at_once(self.v2_env())

    def assert_invalid_values_are_named(self, env, invalid: list[tuple[dict[str, str], str]]) -> None:
        assert invalid, "list the values this payload must refuse"
        for override, message in invalid:
            job = launch(self.job.PAYLOAD, [{**env(free_port(), 2, 0), **override}], timeout=30)
            assert job.outcomes[0].returncode == 2, job.describe()
            assert message in job.outcomes[0].result["error"], job.outcomes[0].result

    def test_invalid_values_are_named(self) -> None:
        self.assert_invalid_values_are_named(self.job.env, self.invalid_values)

    def test_invalid_trainer_v2_values_are_named(self) -> None:
        self.assert_invalid_values_are_named(self.v2_env(), self.invalid_values_v2)

    def test_peer_that_never_comes_fails_within_the_init_timeout(self) -> None:
        # Two processes expected, only the first started: the wait must give up on its own.
        env = {**self.job.env(free_port(), 2, 0), "E2E_INIT_TIMEOUT_SECONDS": "5"}
        job = launch(self.job.PAYLOAD, [env], timeout=60)
        outcome = job.outcomes[0]
        assert not outcome.timed_out, "the payload itself must bound the wait"
        assert outcome.returncode != 0
        assert outcome.result is not None and outcome.result["ok"] is False, job.describe()
        assert job.wall_seconds < 30

    def test_process_without_its_coordinator_fails_within_the_init_timeout(self) -> None:
        env = {**self.job.env(free_port(), 2, 1), "E2E_INIT_TIMEOUT_SECONDS": "5"}
        job = launch(self.job.PAYLOAD, [env], timeout=60)
        assert not job.outcomes[0].timed_out
        assert job.outcomes[0].returncode != 0
        assert job.outcomes[0].result["ok"] is False, job.describe()
        assert job.wall_seconds < 30

    def test_deadline_ends_a_stuck_run(self) -> None:
        env = {**self.job.env(free_port(), 2, 0), "E2E_INIT_TIMEOUT_SECONDS": "120", "E2E_DEADLINE_SECONDS": "3"}
        job = launch(self.job.PAYLOAD, [env], timeout=60)
        outcome = job.outcomes[0]
        assert outcome.returncode == 3, job.describe()
        assert "deadline of 3s passed" in outcome.result["error"]
        assert job.wall_seconds < 15
