"""Shared helpers for every framework payload: the operator's environment contract,
a hard deadline, and the one-line JSON result the module parses from the pod log.

Kept free of any framework import so every image can carry it unchanged.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping, NoReturn, Sequence

# Prefix of the result line, so the module can find it among framework log noise.
RESULT_PREFIX = "E2E_RESULT "

# Set in the supervised child; see _supervise.
_CHILD_FLAG = "E2E_SUPERVISED_CHILD"
DEFAULT_DEADLINE_SECONDS = 240.0

# Exit codes: 1 a check failed, 2 the environment contract is broken, 3 the deadline passed.
EXIT_CHECK_FAILED = 1
EXIT_BAD_CONTRACT = 2
EXIT_DEADLINE = 3


class ContractError(Exception):
    """The environment does not describe a distributed run the payload understands."""


class CheckFailed(Exception):
    """A distributed check produced a wrong result."""


@dataclass(frozen=True)
class Contract:
    """One way an operator describes the run: a name and the variables it sets."""

    name: str
    variables: Sequence[str]


def read_contract(contracts: Sequence[Contract], env: Mapping[str, str] | None = None) -> tuple[Contract, dict[str, str]]:
    """Returns the first contract whose variables are all set (non-empty), with their values.

    Raises ContractError naming, for each contract, the variables that are missing.
    """
    env = os.environ if env is None else env
    missing_by_contract = []
    for contract in contracts:
        values = {name: env.get(name, "").strip() for name in contract.variables}
        missing = [name for name, value in values.items() if value == ""]
        if not missing:
            return contract, values
        missing_by_contract.append(f"{contract.name}: missing {', '.join(missing)}")
    raise ContractError("no complete environment contract; " + "; ".join(missing_by_contract))


def int_var(values: Mapping[str, str], name: str, minimum: int, maximum: int | None = None) -> int:
    """Parses an integer variable, with a message naming the variable and the valid range."""
    raw = values[name]
    try:
        number = int(raw)
    except ValueError:
        raise ContractError(f"{name}={raw!r} is not an integer") from None
    if number < minimum or (maximum is not None and number > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise ContractError(f"{name}={number} must be at least {minimum}{upper}")
    return number


@dataclass(frozen=True)
class MasterRendezvous:
    """Where rank 0 listens and who this process is, whichever contract described it."""

    host: str
    port: int
    world_size: int
    rank: int
    contract: str


@dataclass(frozen=True)
class RendezvousContract:
    """The variables one operator line uses for the rank-0 address, the process count and the rank."""

    name: str
    host: str
    port: str
    world_size: str
    rank: str
    # A variable that must be 1: the payload runs one process per pod (no launcher in between).
    one_process_per_pod: str | None = None

    def as_contract(self) -> Contract:
        names = (self.host, self.port, self.world_size, self.rank)
        return Contract(self.name, names + ((self.one_process_per_pod,) if self.one_process_per_pod else ()))


def master_contract(job_kind: str) -> RendezvousContract:
    """MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK as the Training Operator v1 injects them into a
    PyTorchJob or XGBoostJob (RANK 0 for the master, then the workers)."""
    return RendezvousContract(f"Training Operator v1 ({job_kind})", "MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK")


def read_rendezvous(contracts: Sequence[RendezvousContract], env: Mapping[str, str] | None = None) -> MasterRendezvous:
    """The first complete contract's rendezvous, validated with messages naming each variable."""
    by_name = {c.name: c for c in contracts}
    contract, values = read_contract([c.as_contract() for c in contracts], env)
    chosen = by_name[contract.name]
    if chosen.one_process_per_pod and values[chosen.one_process_per_pod] != "1":
        name = chosen.one_process_per_pod
        raise ContractError(f"{name}={values[name]!r} must be 1: the payload is one process per pod (numProcPerNode: 1), not started by a launcher")
    world = int_var(values, chosen.world_size, 1)
    return MasterRendezvous(
        host=values[chosen.host],
        port=int_var(values, chosen.port, 1, 65535),
        world_size=world,
        rank=int_var(values, chosen.rank, 0, world - 1),
        contract=chosen.name,
    )


def env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment, or the default."""
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ContractError(f"{name}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise ContractError(f"{name}={raw!r} must be positive")
    return value


def wait_for_port(host: str, port: int, timeout: float) -> None:
    """Waits until host:port accepts TCP connections; raises CheckFailed after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=2):
                return
        except OSError as error:
            if time.monotonic() >= deadline:
                raise CheckFailed(f"{host}:{port} did not accept connections within {timeout:g}s (E2E_INIT_TIMEOUT_SECONDS): {error}") from None
            time.sleep(0.2)


def arm_join_watchdog(seconds: float) -> Callable[[], None]:
    """Ends this process with SIGALRM after `seconds` unless the returned function is called first.

    For frameworks whose join blocks in native code holding the GIL, where no Python thread
    or handler can run: the default SIGALRM action needs neither, and the supervisor reports it.
    """
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(max(1, int(seconds)))
    return lambda: signal.alarm(0)


def log(message: str) -> None:
    print(f"[e2e +{time.monotonic() - _STARTED:.1f}s] {message}", file=sys.stderr, flush=True)


def emit_result(framework: str, ok: bool, **fields: object) -> None:
    """Prints the single result line: RESULT_PREFIX followed by compact JSON."""
    record = {"framework": framework, "ok": ok, **fields}
    print(RESULT_PREFIX + json.dumps(record, sort_keys=True, separators=(",", ":")), flush=True)


def fail(framework: str, message: str, code: int = EXIT_CHECK_FAILED, **fields: object) -> NoReturn:
    log(f"FAILED: {message}")
    emit_result(framework, False, error=message, **fields)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # skip interpreter teardown: framework runtimes can hang there after a failure


def _signal_group(leader: int, sig: signal.Signals) -> None:
    """Signals the child's process group, if anything of it is left."""
    try:
        os.killpg(leader, sig)
    except ProcessLookupError:
        pass


def _supervise(framework: str) -> int:
    """Runs this same script as a child and watches it.

    The child does the framework work; this parent stays small and framework-free, so it
    can enforce the deadline with SIGKILL (a thread cannot interrupt native code), forward
    SIGTERM from the kubelet, and report a readable failure when the child dies without
    a result line (native frameworks abort() on a missing peer).
    """
    try:
        deadline = env_seconds("E2E_DEADLINE_SECONDS", DEFAULT_DEADLINE_SECONDS)
    except ContractError as error:
        fail(framework, f"environment contract: {error}", EXIT_BAD_CONTRACT)
    child = subprocess.Popen(
        [sys.executable, *sys.argv],
        env={**os.environ, _CHILD_FLAG: "1"},
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
        # Its own process group, so the deadline also ends what it started (e.g. mpirun).
        start_new_session=True,
    )
    reported: list[str] = []

    def pump() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if line.startswith(RESULT_PREFIX):
                reported.append(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda received, _frame: child.send_signal(received))
    try:
        code = child.wait(timeout=deadline)
    except subprocess.TimeoutExpired:
        # SIGTERM first, so a launcher can stop what it started in sessions of their own
        # (paddle.distributed.launch's trainers); then SIGKILL whatever is left of the group.
        _signal_group(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        _signal_group(child.pid, signal.SIGKILL)
        child.wait()
        reader.join(5)
        fail(framework, f"deadline of {deadline:g}s passed (E2E_DEADLINE_SECONDS); a peer or a collective is stuck", EXIT_DEADLINE)
    # Nothing the payload started outlives it (e.g. a launcher's trainers after a failed rendezvous);
    # they would also hold the output pipe open.
    _signal_group(child.pid, signal.SIGKILL)
    reader.join(5)
    if not reported and code == -signal.SIGALRM:
        fail(framework, "the peers did not all join within E2E_INIT_TIMEOUT_SECONDS (the join watchdog fired)", EXIT_CHECK_FAILED)
    if not reported:
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        fail(
            framework,
            f"payload ended with {how} without reporting a result; the log above says why "
            "(a peer that never joined aborts after E2E_INIT_TIMEOUT_SECONDS)",
            code if code > 0 else EXIT_CHECK_FAILED,
        )
    return code


def run_payload(framework: str, main: Callable[[], dict[str, object]]) -> NoReturn:
    """Runs `main` under a supervising parent and turns its outcome into the result line and exit code."""
    if os.environ.get(_CHILD_FLAG) != "1":
        sys.stdout.flush()
        os._exit(_supervise(framework))
    try:
        fields = main()
    except ContractError as error:
        fail(framework, f"environment contract: {error}", EXIT_BAD_CONTRACT)
    except CheckFailed as error:
        fail(framework, str(error), EXIT_CHECK_FAILED)
    except Exception as error:  # noqa: BLE001 - any other failure is reported, with its type
        fail(framework, f"{type(error).__name__}: {error}", EXIT_CHECK_FAILED)
    emit_result(framework, True, seconds=round(time.monotonic() - _STARTED, 3), **fields)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


_STARTED = time.monotonic()
