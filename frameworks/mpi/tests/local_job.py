"""How to run the MPI payload as a local MPIJob: one launcher process whose mpirun starts the ranks.

Locally the hostfile names this machine with one slot per rank, so mpirun starts the ranks
itself instead of through the operator's `kubectl exec` agent.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

PAYLOAD = Path(__file__).resolve().parents[1] / "payload" / "mpi_e2e.py"
DEFAULT_PROCESSES = 2  # Worker replicas in mpijob.yaml, one rank each (the launcher runs none)
env_v2 = None  # the MPI runtimes of Trainer v2 are their own frameworks
_HOSTFILES = Path(tempfile.mkdtemp(prefix="mpi-e2e-hostfiles-"))
atexit.register(shutil.rmtree, _HOSTFILES, True)


def hostfile(text: str) -> str:
    path = _HOSTFILES / f"hostfile-{abs(hash(text))}"
    path.write_text(text)
    return str(path)


def env(port: int, count: int, index: int) -> dict[str, str]:
    """What Training Operator v1 gives the launcher (newLauncher), with `count` slots on this machine."""
    del port, index  # one launcher; mpirun picks its own ports
    return {"OMPI_MCA_orte_default_hostfile": hostfile(f"localhost slots={count}\n")}


def local_envs(port: int, count: int) -> list[dict[str, str]]:
    """The processes a local run starts: the launcher alone (measure.py)."""
    return [env(port, count, 0)]
