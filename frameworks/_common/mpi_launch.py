"""What an MPI launcher does on either operator line: read the hostfile, start one rank per
slot with Open MPI's mpirun, relay their output and check that every rank reported the same
good result. The payload supplies the rank's work; this supplies the launch and the verdict.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from e2e_support import RESULT_PREFIX, CheckFailed, ContractError, env_seconds, log

# --tag-output prefixes each piece of a rank's output with "[<job>,<rank>]<stdout>:"; mpirun
# may put two ranks' pieces on one line ("...}[1,1]<stdout>:E2E_RESULT {...}").
RANK_TAG = re.compile(r"\[\d+,(\d+)\]<stdout>:")
# The image's Python settings (frameworks/defaults.yaml env), which a rank started over ssh lacks.
PASSED_ON = ("PYTHONPATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE")
# What the ranks must all agree on, when their results carry it.
AGREED = ("collective_value", "first_loss", "last_loss")


def read_hostfile(path: str) -> list[tuple[str, int]]:
    """(host, slots) per line of an Open MPI hostfile, or ContractError naming the line."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as error:
        raise ContractError(f"OMPI_MCA_orte_default_hostfile={path!r} cannot be read: {error.strerror}") from None
    hosts = []
    for number, line in enumerate(lines, 1):
        words = line.split("#")[0].split()
        if not words:
            continue
        slots = 1
        for word in words[1:]:
            key, _, value = word.partition("=")
            if key == "slots":
                if not value.isdigit() or int(value) < 1:
                    raise ContractError(f"hostfile {path} line {number}: slots={value!r} must be a whole number of at least 1")
                slots = int(value)
        hosts.append((words[0], slots))
    if not hosts:
        raise ContractError(f"hostfile {path} lists no hosts")
    return hosts


def wait_until_resolvable(hosts: list[str], timeout: float) -> None:
    """Waits, bounded, until every host name resolves: a pod's DNS record (its own too) appears
    a moment after the pod starts, and mpirun gives up on a name it cannot resolve."""
    started = time.monotonic()
    for host in hosts:
        while True:
            try:
                socket.getaddrinfo(host, None)
                break
            except socket.gaierror as error:
                if time.monotonic() - started > timeout:
                    raise CheckFailed(f"host {host} from the hostfile did not resolve within {timeout:g}s (E2E_INIT_TIMEOUT_SECONDS): {error.strerror}") from None
                time.sleep(0.2)
    log(f"every host resolves ({time.monotonic() - started:.1f}s): {', '.join(hosts)}")


def rank_results(line: str) -> list[tuple[int, dict]]:
    """The (rank, result) pairs in one line of `mpirun --tag-output`."""
    pieces = RANK_TAG.split(line.rstrip("\n"))
    found = []
    for rank_id, text in zip(pieces[1::2], pieces[2::2]):
        if text.startswith(RESULT_PREFIX):
            found.append((int(rank_id), json.JSONDecoder().raw_decode(text[len(RESULT_PREFIX):])[0]))
    return found


def launch_ranks(hostfile: str, script: str, hosts: list[tuple[str, int]]) -> dict[int, dict]:
    """Runs `script` as one rank per slot and returns each rank's result once all agree; CheckFailed names what did not."""
    ranks = sum(slots for _, slots in hosts)
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        raise ContractError("mpirun not found on PATH: the image needs Open MPI (openmpi-bin)")
    version = subprocess.run([mpirun, "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
    argv = [mpirun, "-np", str(ranks), "--hostfile", hostfile, "--bind-to", "none", "--tag-output"]
    if os.getuid() == 0:
        argv.append("--allow-run-as-root")  # v1's examples run as root; Trainer v2's MPI runtimes as uid 1000
    # The ranks run the script under the same interpreter; they must not wait longer than the launcher.
    os.environ.setdefault("E2E_INIT_TIMEOUT_SECONDS", str(int(env_seconds("E2E_INIT_TIMEOUT_SECONDS", 60))))
    os.environ.setdefault("E2E_DEADLINE_SECONDS", str(int(env_seconds("E2E_DEADLINE_SECONDS", 240))))
    argv += ["-x", "E2E_INIT_TIMEOUT_SECONDS", "-x", "E2E_DEADLINE_SECONDS"]
    # Ranks started over ssh get sshd's environment, not the image's: pass on its Python settings.
    argv += [arg for name in PASSED_ON if name in os.environ for arg in ("-x", name)]
    argv += [sys.executable, script]
    log(f"{' '.join(version)}: starting {ranks} ranks on {len(hosts)} hosts")
    # Every rank runs under its own supervisor, locally as through ssh or `kubectl exec`.
    rank_env = {name: value for name, value in os.environ.items() if name != "E2E_SUPERVISED_CHILD"}
    run = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=rank_env)
    results: dict[int, dict] = {}
    assert run.stdout is not None
    for line in run.stdout:
        # The ranks' result lines are shown, not repeated as ours (the module reads the last one).
        print(f"mpirun {line.rstrip()}".replace(RESULT_PREFIX, "rank result "), flush=True)
        for rank_id, result in rank_results(line):
            results[rank_id] = result
    code = run.wait()
    failed = {rank: r.get("error") for rank, r in results.items() if not r.get("ok")}
    if failed:
        raise CheckFailed(f"rank {min(failed)} failed: {failed[min(failed)]}")
    if code != 0:
        raise CheckFailed(f"mpirun ended with exit code {code}; its output above says why")
    if sorted(results) != list(range(ranks)):
        raise CheckFailed(f"ranks {sorted(results)} reported, expected 0..{ranks - 1}")
    outcomes = {tuple(r.get(field) for field in AGREED) for r in results.values()}
    if len(outcomes) != 1:
        raise CheckFailed(f"the ranks disagree: {sorted(outcomes, key=str)}")
    first = results[0]
    log(f"all {ranks} ranks ok: sum {first.get('collective_value')}, loss {first.get('first_loss')} -> {first.get('last_loss')}")
    return results


def launcher_result(results: dict[int, dict], hosts: list[tuple[str, int]], fields: tuple[str, ...]) -> dict[str, object]:
    """The launcher's own result line: the agreed ranks' `fields`, with how many ranks on how many hosts."""
    first = results[0]
    return {"process_id": 0, "process_count": len(results), "hosts": len(hosts), **{field: first[field] for field in fields}}
