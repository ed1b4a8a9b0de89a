"""Training on several processes, GPUs or machines: torch.distributed glue for runs that torchrun starts.

torchrun (``torch.distributed.run``) starts one process per GPU (or per CPU slot) and tells each
its place through the environment (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR``…);
:func:`from_environment` reads that into a :class:`World`. The training loop (core/training.py)
stays one loop: with a world of one process every helper here is a no-op, so a Mac run is
exactly what it was. With more, the process group is NCCL for CUDA tensors and Gloo for CPU
tensors (``cpu:gloo,cuda:nccl`` where CUDA exists), gradients of the LoRA weights are averaged by
DistributedDataParallel, and rank 0 alone touches the run folder: the others receive the run's
settings, checkpoint and optimizer state from it and send it their RNG states to save.

Apple GPUs (MPS) have no collective backend in torch: a distributed run on ``mps`` is refused.

:func:`torchrun_command` builds the one-machine launch used by ``mixgrv train --nproc N``.
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from typing import Any, Callable

from mixgrv_app.core.errors import MixgrvError, TrainingError


@dataclass(frozen=True)
class World:
    """This process's place in the job. ``size == 1``: a plain single-process run."""

    size: int = 1
    rank: int = 0
    local_rank: int = 0
    local_size: int = 1

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


class PeerLost(Exception):
    """Another process of the job ended (killed, crashed) or this one was told to end."""


def from_environment() -> World:
    """The world torchrun describes in the environment (a single process when not launched by it)."""
    env = os.environ
    if "WORLD_SIZE" not in env or "RANK" not in env:
        return World()
    size = int(env["WORLD_SIZE"])
    return World(size=size, rank=int(env["RANK"]), local_rank=int(env.get("LOCAL_RANK", 0)),
                 local_size=int(env.get("LOCAL_WORLD_SIZE", size)))


def launched_by_torchrun() -> bool:
    return "TORCHELASTIC_RUN_ID" in os.environ or ("WORLD_SIZE" in os.environ and "RANK" in os.environ)


def refuse_mps(nproc: int, device: str) -> None:
    if nproc > 1 and device == "mps":
        raise TrainingError("training.mps_single_process",
                            f"Apple GPUs train in one process only, so {nproc} processes cannot share this Mac's "
                            "GPU. Start the run without --nproc (or torchrun), or use --device cpu.", nproc=nproc)


def start(world: World) -> None:
    """Join the job's process group (every rank calls this first). A SIGTERM (torchrun ending the
    job because another rank failed) becomes :class:`PeerLost` so rank 0 can close the run."""
    if not world.distributed:
        return
    import torch
    import torch.distributed as dist

    if dist.is_initialized():
        return
    backend = "cpu:gloo,cuda:nccl" if torch.cuda.is_available() else "gloo"
    if torch.cuda.is_available():
        torch.cuda.set_device(world.local_rank % max(1, torch.cuda.device_count()))
    dist.init_process_group(backend)

    def terminated(signum, _frame):
        raise PeerLost(f"the job was ended (signal {signum}), most likely because another process of it failed")

    if _in_main_thread():
        signal.signal(signal.SIGTERM, terminated)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def stop(world: World, clean: bool) -> None:
    """Leave the process group; after a clean end wait for every rank first (no rank exits while
    another still needs it)."""
    if not world.distributed:
        return
    import torch.distributed as dist

    if _in_main_thread():
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # training is over: a late SIGTERM just ends the process
    if dist.is_initialized():
        if clean:
            _collective(dist.barrier)
        dist.destroy_process_group()


def device_for(world: World, device: str) -> str:
    """The torch device of this rank: ``cuda:LOCAL_RANK`` on GPUs, refused on MPS."""
    if not world.distributed:
        return device
    refuse_mps(world.size, device)
    if device == "cuda":
        import torch

        count = torch.cuda.device_count()
        if world.local_rank >= count:
            raise TrainingError("training.not_enough_gpus",
                                f"This machine has {count} GPU(s) but {world.local_size} training processes were "
                                "started on it. Start one process per GPU (--nproc_per_node).",
                                gpus=count, nproc=world.local_size)
        return f"cuda:{world.local_rank}"
    return device


def backend_name(world: World, device: str) -> str:
    if not world.distributed:
        return "single process"
    return "nccl" if device.startswith("cuda") else "gloo"


# ------------------------------------------------------------------------------------ collectives
def _collective(fn: Callable, *args, **kwargs):
    """Run a collective; a lost peer (connection reset, a closed store) becomes PeerLost."""
    try:
        return fn(*args, **kwargs)
    except PeerLost:
        raise
    except RuntimeError as exc:  # gloo/NCCL report a dead peer as RuntimeError (DistBackendError)
        raise PeerLost(f"lost contact with another process of the job ({str(exc).splitlines()[0][:200]})") from exc


def is_peer_failure(exc: BaseException) -> bool:
    """Whether an error raised inside a step (DDP's all-reduce runs in backward) means a peer is gone."""
    import torch.distributed as dist

    if isinstance(exc, PeerLost) or isinstance(exc, getattr(dist, "DistError", ())):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and any(k in text for k in ("gloo", "NCCL", "Connection reset", "Connection closed"))


def agree(world: World, produce: Callable[[], Any]) -> Any:
    """Rank 0 computes a value (it may read the run folder); every rank returns it. A MixgrvError
    raised on rank 0 is raised on every rank, so all end with the same message."""
    if not world.distributed:
        return produce()
    import torch.distributed as dist

    box: list[Any] = [None]
    if world.is_main:
        try:
            box[0] = ("ok", produce())
        except MixgrvError as exc:
            box[0] = ("error", (type(exc), exc.code, exc.message, exc.params))
    _collective(dist.broadcast_object_list, box, src=0)
    kind, value = box[0]
    if kind == "error":
        cls, code, message, params = value
        raise cls(code, message, **params)
    return value


def broadcast(world: World, value: Any) -> Any:
    """Rank 0's ``value`` on every rank (any picklable object; tensors travel on the CPU)."""
    if not world.distributed:
        return value
    import torch.distributed as dist

    box = [value if world.is_main else None]
    _collective(dist.broadcast_object_list, box, src=0)
    return box[0]


def gather(world: World, value: Any) -> list[Any]:
    """Every rank's ``value``, in rank order, on every rank."""
    if not world.distributed:
        return [value]
    import torch.distributed as dist

    out: list[Any] = [None] * world.size
    _collective(dist.all_gather_object, out, value)
    return out


def sum_values(world: World, values: list[float], device) -> list[float]:
    """Element-wise sum over the ranks (float64; NaN stays NaN)."""
    if not world.distributed:
        return list(values)
    import torch
    import torch.distributed as dist

    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    _collective(dist.all_reduce, tensor)
    return tensor.tolist()


def broadcast_optimizer_state(world: World, optimizer, device) -> None:
    """AdamW moments and step counts from rank 0 (restored from the checkpoint) to every rank."""
    if not world.distributed:
        return
    import torch
    import torch.distributed as dist

    for group in optimizer.param_groups:
        for p in group["params"]:
            if world.is_main:
                st = optimizer.state[p]
            else:
                st = {"step": torch.tensor(0.0), "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p)}
            step = st["step"].to(device=device, dtype=torch.float64).reshape(1)
            for tensor in (st["exp_avg"], st["exp_avg_sq"], step):
                _collective(dist.broadcast, tensor, src=0)
            st["step"] = torch.tensor(float(step[0]))
            optimizer.state[p] = st


def wrap(decoder, world: World, device: str):
    """DistributedDataParallel over the trainable (LoRA) parameters only: the frozen base is loaded
    by every rank from the same files, so it is neither broadcast nor synchronised."""
    if not world.distributed:
        return decoder
    from torch.nn.parallel import DistributedDataParallel as DDP

    frozen = [n for n, p in decoder.named_parameters() if not p.requires_grad]
    frozen += [n for n, _b in decoder.named_buffers()]
    DDP._set_params_and_buffers_to_ignore_for_model(decoder, frozen)
    ids = [int(device.split(":")[1])] if device.startswith("cuda:") else None
    return _collective(DDP, decoder, device_ids=ids)  # buffers: ignored above, never synchronised


# ------------------------------------------------------------------------------------ launching
def torchrun_command(nproc: int, module_args: list[str]) -> list[str]:
    """``python -m torch.distributed.run --standalone --nproc_per_node N -m mixgrv_app ARGS``."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
            "-m", "mixgrv_app", *module_args]


def launch_environment(nproc: int) -> dict[str, str]:
    """The launch's environment: CPU threads shared out between the processes of this machine."""
    env = dict(os.environ)
    if "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // nproc))
    return env
