"""Distributed training: steps/s on 1 vs 2 ranks, the communication share of a step, scaling efficiency.

A scaled DiT decoder (random weights, ``--hidden``/``--layers``) with the engine's training set-up
(``core.training.prepare_decoder``: LoRA ``--rank`` on a frozen base, checkpointing) is wrapped
the way a distributed run wraps it (``core.distributed.wrap``: DDP over the LoRA weights only)
and trained for ``--steps`` timed steps (after one warm-up) under ``torchrun`` with 1 and with 2
ranks, each rank with batch 1 of ``--frames`` latent frames (weak scaling: the 2-rank job does
twice the work per step). Printed per world size: seconds per step and steps/s; for 2 ranks
also the same steps without gradient synchronisation (DDP ``no_sync``), whose difference is the
communication share of a step; and the scaling efficiency = samples/s on 2 ranks / (2 × samples/s
on 1 rank) = steps/s(2) / steps/s(1). Goal on 2 GPUs, full size (hidden 2048, 24 layers, 750
frames, rank 64, ``--device cuda``, NCCL): ≥ 0.85. On CPUs every rank gets ``--threads`` threads.

    .venv/bin/python bench/ddp.py [--hidden 512] [--layers 4] [--frames 250] [--rank 64] [--steps 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def worker(args: argparse.Namespace) -> None:
    """One rank: build, wrap, time synchronised and unsynchronised steps; rank 0 writes the result."""
    sys.path.insert(0, str(ROOT))
    import torch

    from mixgrv_app.core import distributed
    from mixgrv_app.core.configs import DiTConfig
    from mixgrv_app.core.torch_model.dit import DiTDecoder
    from mixgrv_app.core.training import TrainingConfig, flow_matching_loss, prepare_decoder

    world = distributed.from_environment()
    distributed.start(world)
    device = distributed.device_for(world, args.device)
    dtype = torch.bfloat16 if args.device == "cuda" else torch.float32
    torch.manual_seed(0)
    heads = max(1, args.hidden // 128)
    config = DiTConfig(hidden_size=args.hidden, intermediate_size=3 * args.hidden, num_hidden_layers=args.layers,
                       num_attention_heads=heads, num_key_value_heads=max(1, heads // 2), head_dim=128)
    with torch.device("meta"):
        decoder = DiTDecoder(config)
    decoder = decoder.to_empty(device=device).to(dtype)
    for m in decoder.modules():
        if hasattr(m, "init_buffers"):
            m.init_buffers(device)
    with torch.no_grad():
        for p in decoder.parameters():
            p.copy_(torch.randn(p.shape) / max(1, p[0].numel()) ** 0.5 if p.dim() >= 2 else 1 + 0.05 * torch.randn(p.shape))
    peft_model = prepare_decoder(decoder, TrainingConfig(rank=args.rank, alpha=2 * args.rank, dropout=0.0))
    trainable = [p for p in peft_model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    model = distributed.wrap(decoder, world, device)
    g = torch.Generator().manual_seed(world.rank)
    x0 = torch.randn(1, args.frames, 64, generator=g).to(device)
    ctx = torch.randn(1, args.frames, 128, generator=g).to(device, dtype)
    cond = torch.randn(1, 200, args.hidden, generator=g).to(device, dtype)
    noise = torch.randn(1, args.frames, 64, generator=g).to(device)
    t = torch.tensor([0.6], device=device)

    def step(sync: bool) -> None:
        optimizer.zero_grad(set_to_none=True)
        with model.no_sync() if (world.distributed and not sync) else _null():
            flow_matching_loss(model, x0, noise, t, cond, ctx).backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()

    def timed(sync: bool) -> float:
        step(sync)  # warm-up
        times = []
        for _ in range(args.steps):
            if args.device == "cuda":
                torch.cuda.synchronize()
            distributed.sum_values(world, [0.0], device)  # start together
            start = time.perf_counter()
            step(sync)
            if args.device == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
        return sorted(times)[len(times) // 2]

    synced = timed(True)
    unsynced = timed(False) if world.distributed else synced
    # the slowest rank sets the pace: take the max over ranks
    slowest = distributed.gather(world, (synced, unsynced))
    if world.is_main:
        Path(args.out).write_text(json.dumps({
            "world_size": world.size, "step_s": max(s for s, _ in slowest), "nosync_step_s": max(u for _, u in slowest),
            "lora_params": sum(p.numel() for p in trainable)}))
    distributed.stop(world, clean=True)


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def launch(nproc: int, args: argparse.Namespace, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": str(args.threads)}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
               str(Path(__file__).resolve()), "--worker", "--out", str(out)]
    for key in ("hidden", "layers", "frames", "rank", "steps", "device", "threads"):
        command += [f"--{key}", str(getattr(args, key))]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--frames", type=int, default=250)
    parser.add_argument("--rank", type=int, default=64)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per rank")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        one = launch(1, args, Path(tmp) / "one.json")
        two = launch(2, args, Path(tmp) / "two.json")
    print(f"scaled DiT: hidden {args.hidden}, {args.layers} layers, {args.frames} frames, LoRA rank {args.rank} "
          f"({one['lora_params'] / 1e6:.2f} M parameters), {args.device}, batch 1 per rank")
    for result in (one, two):
        print(f"  {result['world_size']} rank(s): {result['step_s']:.3f} s/step = {1 / result['step_s']:.2f} steps/s, "
              f"{result['world_size'] / result['step_s']:.2f} samples/s")
    comm = max(0.0, 1 - two["nosync_step_s"] / two["step_s"])
    print(f"  2 ranks without gradient sync: {two['nosync_step_s']:.3f} s/step -> communication share {comm:.1%}")
    print(f"scaling efficiency (2 ranks): {one['step_s'] / two['step_s']:.2f}")


if __name__ == "__main__":
    main()
