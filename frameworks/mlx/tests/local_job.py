"""How to run the MLX payload as a local mlx-distributed TrainJob: one launcher whose mpirun starts the ranks.

Locally the hostfile names this machine with one slot per rank, so mpirun starts the ranks
itself instead of over ssh to the runtime's nodes (in the runtime the launcher is a node too:
runLauncherAsNode).
"""

from __future__ import annotations

from pathlib import Path

from mpi_local import hostfile, launcher_env, launcher_only

PAYLOAD = Path(__file__).resolve().parents[1] / "payload" / "mlx_e2e.py"
DEFAULT_PROCESSES = 2  # trainjob.yaml numNodes: the launcher and one node, one slot each
env = launcher_env  # what Trainer v2's MPI plugin gives the launcher
local_envs = launcher_only
__all__ = ["PAYLOAD", "DEFAULT_PROCESSES", "env", "hostfile", "local_envs"]
