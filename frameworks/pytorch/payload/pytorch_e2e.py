"""Proves distributed PyTorch on CPU inside a PyTorchJob, in seconds and on little memory.

Joins the job over gloo from the operator's environment: a PyTorchJob's MASTER_ADDR,
MASTER_PORT, WORLD_SIZE and RANK (Training Operator v1), or the PET_* variables Trainer v2's
torch-distributed runtime sets for torchrun, read directly with one process per pod. Checks an all-reduce on every rank, trains a tiny linear model with
DistributedDataParallel on synthetic data generated in-process, checks that the global
loss falls and that every rank ends with identical parameters, and prints one result
line. No downloads, no network beyond the job's own peers.
"""

from __future__ import annotations

from datetime import timedelta

from e2e_support import CheckFailed, RendezvousContract, env_seconds, log, master_contract, read_rendezvous, run_payload

FRAMEWORK = "pytorch"

# Trainer v2 (pkg/runtime/framework/plugins/torch): PET_MASTER_ADDR is the host of node 0,
# PET_MASTER_PORT its port, PET_NODE_RANK the pod's index; the payload stands in for torchrun.
TRAINER_V2 = RendezvousContract(
    "Trainer v2 (torch-distributed)", "PET_MASTER_ADDR", "PET_MASTER_PORT", "PET_NNODES", "PET_NODE_RANK", one_process_per_pod="PET_NPROC_PER_NODE"
)

FEATURES = 8
SAMPLES = 256
STEPS = 30
LEARNING_RATE = 0.1


def main() -> dict[str, object]:
    rendezvous = read_rendezvous([master_contract("PyTorchJob"), TRAINER_V2])
    world, rank = rendezvous.world_size, rendezvous.rank
    address = f"{rendezvous.host}:{rendezvous.port}"
    init_timeout = env_seconds("E2E_INIT_TIMEOUT_SECONDS", 60)

    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    log(f"torch {torch.__version__}: rank {rank} of {world} joining tcp://{address} as {rendezvous.contract} describes (timeout {init_timeout:g}s)")
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://{address}",
        world_size=world,
        rank=rank,
        timeout=timedelta(seconds=init_timeout),
    )
    if dist.get_world_size() != world or dist.get_rank() != rank:
        raise CheckFailed(f"torch sees rank {dist.get_rank()} of {dist.get_world_size()}, expected {rank} of {world}")

    # 1. An all-reduce every rank checks: each contributes rank + 1.
    total = torch.tensor([rank + 1.0])
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    expected = world * (world + 1) / 2
    if total.item() != expected:
        raise CheckFailed(f"all-reduce sum is {total.item()}, expected {expected}")
    log(f"collective ok: all-reduce over {world} ranks = {total.item()}")

    # 2. DDP training: each rank holds its own shard; DDP averages the gradients.
    torch.manual_seed(0)  # same initial parameters and true weights on every rank
    true_weights = torch.randn(FEATURES, 1)
    model = DistributedDataParallel(torch.nn.Linear(FEATURES, 1))
    generator = torch.Generator().manual_seed(1000 + rank)
    x = torch.randn(SAMPLES, FEATURES, generator=generator)
    y = x @ true_weights + 0.01 * torch.randn(SAMPLES, 1, generator=generator)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        global_loss = loss.detach().clone()
        dist.all_reduce(global_loss, op=dist.ReduceOp.SUM)
        losses.append(global_loss.item() / world)
    first_loss, last_loss = losses[0], losses[-1]
    if not last_loss < 0.1 * first_loss:
        raise CheckFailed(f"loss did not fall enough: first {first_loss:.6f}, last {last_loss:.6f}")

    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    gathered = [torch.empty_like(flat) for _ in range(world)]
    dist.all_gather(gathered, flat)
    if not all(torch.equal(gathered[0], other) for other in gathered):
        raise CheckFailed("parameters differ between ranks after training")
    log(f"training ok: loss {first_loss:.4f} -> {last_loss:.6f} in {STEPS} steps; parameters identical on {world} ranks")

    dist.destroy_process_group()
    return {
        "process_id": rank,
        "process_count": world,
        "collective_value": total.item(),
        "expected_collective_value": expected,
        "first_loss": round(first_loss, 6),
        "last_loss": round(last_loss, 6),
        "steps": STEPS,
        "torch_version": torch.__version__,
    }


if __name__ == "__main__":
    run_payload(FRAMEWORK, main)
