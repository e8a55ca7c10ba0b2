"""A local MPI launcher's wiring for the payload tests: a hostfile naming this machine.

Locally mpirun starts every rank itself instead of through the operator's agent (v1's
`kubectl exec`, Trainer v2's ssh), so one launcher process with `count` slots on localhost
stands for the job.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

_HOSTFILES = Path(tempfile.mkdtemp(prefix="e2e-hostfiles-"))
atexit.register(shutil.rmtree, _HOSTFILES, True)


def hostfile(text: str) -> str:
    """A hostfile with `text`, removed when the tests end."""
    path = _HOSTFILES / f"hostfile-{abs(hash(text))}"
    path.write_text(text)
    return str(path)


def launcher_env(port: int, count: int, index: int) -> dict[str, str]:
    """What the operator gives the launcher (its hostfile variable), with `count` slots on this machine."""
    del port, index  # one launcher; mpirun picks its own ports
    return {"OMPI_MCA_orte_default_hostfile": hostfile(f"localhost slots={count}\n")}


def launcher_only(port: int, count: int) -> list[dict[str, str]]:
    """The processes a local run starts: the launcher alone (measure.py)."""
    return [launcher_env(port, count, 0)]
