"""How to run the MPI payload as a local MPIJob: one launcher process whose mpirun starts the ranks.

Locally the hostfile names this machine with one slot per rank, so mpirun starts the ranks
itself instead of through the operator's `kubectl exec` agent.
"""

from __future__ import annotations

from pathlib import Path

from mpi_local import hostfile, launcher_env, launcher_only

PAYLOAD = Path(__file__).resolve().parents[1] / "payload" / "mpi_e2e.py"
DEFAULT_PROCESSES = 2  # Worker replicas in mpijob.yaml, one rank each (the launcher runs none)
env_v2 = None  # the MPI runtimes of Trainer v2 are their own frameworks (mlx)
env = launcher_env  # what Training Operator v1 gives the launcher (newLauncher)
local_envs = launcher_only
__all__ = ["PAYLOAD", "DEFAULT_PROCESSES", "env", "env_v2", "hostfile", "local_envs"]
