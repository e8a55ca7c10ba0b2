"""The Paddle payload, run for real: local processes wired like PaddleJob workers, each running
paddle.distributed.launch, whose trainers join over gloo on CPU."""

from __future__ import annotations

import local_job
from launcher import free_port, launch
from payload_contract import PayloadContract


class TestPaddlePayload(PayloadContract):
    job = local_job
    framework = "paddle"
    invalid_values = [
        ({"PADDLE_MASTER": "worker-0"}, "PADDLE_MASTER='worker-0' must be host:port"),
        ({"PADDLE_NNODES": "two"}, "PADDLE_NNODES='two' is not an integer"),
        ({"PADDLE_NNODES": "0"}, "PADDLE_NNODES=0 must be at least 1"),
    ]

    def test_one_result_line_per_process_the_nodes(self) -> None:
        # The trainer's line is shown renamed: the module reads the last result line of a pod's log.
        job = self.run_job(2)
        self.assert_consistent(job, 2)
        for outcome in job.outcomes:
            assert sum(line.startswith("E2E_RESULT ") for line in outcome.stdout.splitlines()) == 1
            assert "trainer result " in outcome.stdout

    def test_missing_variable_names_both_contracts(self) -> None:
        env = local_job.env(free_port(), 2, 0)
        del env["PADDLE_JOB_ID"]
        error = launch(local_job.PAYLOAD, [env], timeout=30).outcomes[0].result["error"]
        assert "missing PADDLE_JOB_ID" in error and "PADDLE_TRAINER_ID" in error
