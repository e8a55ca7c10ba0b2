"""The MLX payload, run for real: a launcher whose mpirun (Open MPI 4) starts local MLX ranks."""

from __future__ import annotations

import local_job
import pytest
from e2e_support import RESULT_PREFIX
from launcher import Launch, free_port, launch
from mpi_launch import rank_results

RANK_RESULT = "rank result "


def run(count: int, extra: dict[str, str] | None = None, timeout: float = 120) -> Launch:
    return launch(local_job.PAYLOAD, [{**local_job.env(free_port(), count, 0), **(extra or {})}], timeout=timeout)


def shown_rank_results(job: Launch) -> list[dict]:
    """The ranks' results the launcher showed (renamed "rank result")."""
    shown = job.outcomes[0].stdout.replace(RANK_RESULT, RESULT_PREFIX)
    return [result for line in shown.splitlines() for _, result in rank_results(line)]


@pytest.mark.parametrize("count", [1, 2, 3])
def test_every_rank_agrees_over_mlx_mpi_and_the_launcher_reports_them(count: int) -> None:
    job = run(count)
    outcome = job.outcomes[0]
    assert outcome.returncode == 0, job.describe()
    result = outcome.result
    assert result["ok"] is True and result["framework"] == "mlx" and result["process_count"] == count
    assert result["collective_value"] == result["expected_collective_value"] == count * (count + 1) / 2
    assert result["last_loss"] < 0.1 * result["first_loss"]
    assert result["backend"] == "mpi" and result["mlx_version"] == "0.30.6"
    ranks = shown_rank_results(job)
    assert sorted(r["process_id"] for r in ranks) == list(range(count))
    assert len({(r["first_loss"], r["last_loss"]) for r in ranks}) == 1
    # One result line only, the launcher's: the module reads the last one in the pod log.
    assert sum(line.startswith(RESULT_PREFIX) for line in outcome.stdout.splitlines()) == 1


def test_missing_hostfile_variable_names_both_contracts() -> None:
    job = launch(local_job.PAYLOAD, [{}], timeout=30)
    outcome = job.outcomes[0]
    assert outcome.returncode == 2, job.describe()
    assert "missing OMPI_MCA_orte_default_hostfile" in outcome.result["error"] and "OMPI_COMM_WORLD_RANK" in outcome.result["error"]


def test_empty_hostfile_is_named() -> None:
    job = launch(local_job.PAYLOAD, [{"OMPI_MCA_orte_default_hostfile": local_job.hostfile("")}], timeout=30)
    assert job.outcomes[0].returncode == 2, job.describe()
    assert "lists no hosts" in job.outcomes[0].result["error"]


def test_a_rank_outside_mpirun_fails_readably() -> None:
    # The environment says rank 0 of 2, but no mpirun started this process: MLX's MPI is a group of one.
    job = launch(local_job.PAYLOAD, [{"OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "2"}], timeout=60)
    outcome = job.outcomes[0]
    assert outcome.returncode == 1, job.describe()
    assert "the environment says 0 of 2" in outcome.result["error"] or "did not start" in outcome.result["error"]


def test_a_host_that_never_resolves_fails_the_launcher_within_the_init_timeout() -> None:
    # A node whose DNS record never appears: the launcher waits E2E_INIT_TIMEOUT_SECONDS, then names it.
    env = {"OMPI_MCA_orte_default_hostfile": local_job.hostfile("localhost slots=1\nnode-that-never-comes.invalid slots=1\n"), "E2E_INIT_TIMEOUT_SECONDS": "2"}
    job = launch(local_job.PAYLOAD, [env], timeout=60)
    outcome = job.outcomes[0]
    assert outcome.returncode == 1, job.describe()
    assert "host node-that-never-comes.invalid from the hostfile did not resolve within 2s" in outcome.result["error"]
    assert job.wall_seconds < 15


def test_a_host_that_never_answers_fails_the_launcher_readably() -> None:
    # A node that resolves but runs no sshd on 2222: mpirun cannot start its daemon there and gives up by itself.
    job = launch(local_job.PAYLOAD, [{"OMPI_MCA_orte_default_hostfile": local_job.hostfile("localhost slots=1\n127.0.0.2 slots=1\n"), "OMPI_MCA_plm_rsh_agent": "false"}], timeout=60)
    outcome = job.outcomes[0]
    assert not outcome.timed_out, "the payload itself must bound the wait"
    assert outcome.returncode == 1, job.describe()
    assert "mpirun ended with exit code" in outcome.result["error"]
