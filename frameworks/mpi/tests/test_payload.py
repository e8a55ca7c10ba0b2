"""The MPI payload, run for real: a launcher whose mpirun (Open MPI 4) starts local ranks."""

from __future__ import annotations

import local_job
import pytest
from e2e_support import RESULT_PREFIX
from launcher import Launch, free_port, launch

RANK_RESULT = "rank result "


def run(count: int, extra: dict[str, str] | None = None, timeout: float = 120) -> Launch:
    return launch(local_job.PAYLOAD, [{**local_job.env(free_port(), count, 0), **(extra or {})}], timeout=timeout)


from mpi_launch import rank_results as tagged_results  # the launcher's own parser of mpirun's tagged output


def rank_results(job: Launch) -> list[dict]:
    """The ranks' results the launcher showed (renamed "rank result"), however mpirun joined its lines."""
    shown = job.outcomes[0].stdout.replace(RANK_RESULT, RESULT_PREFIX)
    return [result for line in shown.splitlines() for _, result in tagged_results(line)]


@pytest.mark.parametrize("count", [1, 2, 3])
def test_every_rank_agrees_and_the_launcher_reports_them(count: int) -> None:
    job = run(count)
    outcome = job.outcomes[0]
    assert outcome.returncode == 0, job.describe()
    result = outcome.result
    assert result["ok"] is True and result["framework"] == "mpi" and result["process_count"] == count
    assert result["collective_value"] == result["expected_collective_value"] == count * (count + 1) / 2
    assert result["last_loss"] < result["first_loss"]
    assert result["mpi_library"].startswith("Open MPI v4."), result
    ranks = rank_results(job)
    assert sorted(r["process_id"] for r in ranks) == list(range(count))
    assert len({(r["first_loss"], r["last_loss"]) for r in ranks}) == 1
    # One result line only, the launcher's: the module reads the last one in the pod log.
    assert sum(line.startswith(RESULT_PREFIX) for line in outcome.stdout.splitlines()) == 1


def test_rank_results_are_found_where_mpirun_merges_lines() -> None:
    merged = '[1,0]<stdout>:E2E_RESULT {"ok":true,"a":1}[1,1]<stdout>:E2E_RESULT {"ok":true,"a":2}[1,1]<stdout>:\n'
    assert tagged_results(merged) == [(0, {"ok": True, "a": 1}), (1, {"ok": True, "a": 2})]
    assert tagged_results("[1,0]<stdout>:training\n") == []


def test_missing_hostfile_variable_names_both_contracts() -> None:
    job = launch(local_job.PAYLOAD, [{}], timeout=30)
    outcome = job.outcomes[0]
    assert outcome.returncode == 2, job.describe()
    assert "missing OMPI_MCA_orte_default_hostfile" in outcome.result["error"] and "OMPI_COMM_WORLD_RANK" in outcome.result["error"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "lists no hosts"),
        ("worker-0 slots=none\n", "slots='none' must be a whole number of at least 1"),
    ],
)
def test_bad_hostfiles_are_named(text: str, message: str) -> None:
    job = launch(local_job.PAYLOAD, [{"OMPI_MCA_orte_default_hostfile": local_job.hostfile(text)}], timeout=30)
    assert job.outcomes[0].returncode == 2, job.describe()
    assert message in job.outcomes[0].result["error"]


def test_unreadable_hostfile_is_named() -> None:
    job = launch(local_job.PAYLOAD, [{"OMPI_MCA_orte_default_hostfile": "/nonexistent/hostfile"}], timeout=30)
    assert job.outcomes[0].returncode == 2, job.describe()
    assert "cannot be read" in job.outcomes[0].result["error"]


def test_invalid_rank_environment_is_named() -> None:
    job = launch(local_job.PAYLOAD, [{"OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_SIZE": "2"}], timeout=30)
    assert job.outcomes[0].returncode == 2, job.describe()
    assert "OMPI_COMM_WORLD_RANK=2 must be at least 0 and at most 1" in job.outcomes[0].result["error"]


def test_a_host_that_never_answers_fails_the_launcher_readably() -> None:
    # A worker name nothing resolves: mpirun cannot start its daemon there and gives up by itself.
    job = launch(local_job.PAYLOAD, [{"OMPI_MCA_orte_default_hostfile": local_job.hostfile("worker-that-never-comes.invalid slots=1\n")}], timeout=60)
    outcome = job.outcomes[0]
    assert not outcome.timed_out, "the payload itself must bound the wait"
    assert outcome.returncode == 1, job.describe()
    assert "mpirun ended with exit code" in outcome.result["error"]


def test_deadline_ends_a_stuck_run(tmp_path) -> None:
    # A worker whose daemon never starts (its rsh agent hangs): mpirun waits until the deadline.
    agent = tmp_path / "hanging-agent"
    agent.write_text("#!/bin/sh\nexec sleep 20\n")
    agent.chmod(0o755)
    env = {"OMPI_MCA_orte_default_hostfile": local_job.hostfile("worker-0 slots=1\n"), "OMPI_MCA_plm_rsh_agent": str(agent), "E2E_DEADLINE_SECONDS": "3"}
    job = launch(local_job.PAYLOAD, [env], timeout=60)
    outcome = job.outcomes[0]
    assert outcome.returncode == 3, job.describe()
    assert "deadline of 3s passed" in outcome.result["error"]
    assert job.wall_seconds < 15
