"""LoRA training step: our engine vs a plain PEFT + AdamW loop, and the full 24-layer peak.

1. A full-width DiT (hidden 2048; ``--layers`` of the 24, random weights), 30 s clips (T = 750),
   rank 64: seconds per step and peak RSS with our engine's settings (gradient checkpointing,
   bf16 frozen base, fp32 LoRA) next to a plain loop on the same module (no checkpointing,
   fp32 base). Each side runs in its own child process so peaks do not mix. Targets: time
   ratio ≤ 1.0, memory ratio ≤ 0.7.
2. Peak RSS of one engine step of the full 24-layer model (target ≤ 8 GB).

    .venv/bin/python bench/train_step.py [--layers 4] [--steps 2] [--skip-full]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import torch
from mixgrv_app.core.configs import DiTConfig
from mixgrv_app.core.torch_model.dit import DiTDecoder
from mixgrv_app.core.training import TrainingConfig, flow_matching_loss, inject_lora
layers, steps, mode = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.manual_seed(0)
dtype = torch.bfloat16 if mode == "engine" else torch.float32
with torch.device("meta"):
    decoder = DiTDecoder(DiTConfig(num_hidden_layers=layers))
decoder = decoder.to_empty(device="cpu").to(dtype)
for m in decoder.modules():
    if hasattr(m, "init_buffers"):
        m.init_buffers("cpu")
with torch.no_grad():
    for p in decoder.parameters():
        p.normal_(0, 0.02)
decoder.gradient_checkpointing = mode == "engine"
peft = inject_lora(decoder, TrainingConfig(rank=64, alpha=128, dropout=0.0))
decoder.train()
params = [p for p in peft.parameters() if p.requires_grad]
opt = torch.optim.AdamW(params, lr=1e-4)
x0, ctx = torch.randn(1, 750, 64, dtype=dtype), torch.randn(1, 750, 128, dtype=dtype)
enc, noise = torch.randn(1, 769, 2048, dtype=dtype), torch.randn(1, 750, 64, dtype=dtype)
t = torch.tensor([0.6])
times = []
for _ in range(steps + 1):
    start = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = flow_matching_loss(decoder, x0, noise, t, enc, ctx)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    times.append(time.perf_counter() - start)
print(json.dumps({"seconds": min(times[1:]), "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "loss": float(loss)}))
"""


def run(layers: int, steps: int, mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, ROOT, str(layers), str(steps), mode], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--skip-full", action="store_true")
    args = parser.parse_args()
    engine = run(args.layers, args.steps, "engine")
    plain = run(args.layers, args.steps, "plain")
    print(f"full-width DiT, {args.layers} of 24 layers, T=750, rank 64, CPU:")
    print(f"  engine (checkpointing, bf16 base): {engine['seconds']:.2f} s/step, peak {engine['peak_rss'] / 1e9:.2f} GB")
    print(f"  plain PEFT + AdamW (fp32 base):   {plain['seconds']:.2f} s/step, peak {plain['peak_rss'] / 1e9:.2f} GB")
    print(f"  time ratio {engine['seconds'] / plain['seconds']:.2f} (target <= 1.0), "
          f"memory ratio {engine['peak_rss'] / plain['peak_rss']:.2f} (target <= 0.7)")
    if not args.skip_full:
        full = run(24, 1, "engine")
        print(f"full 24-layer model, one engine step: peak RSS {full['peak_rss'] / 1e9:.2f} GB (target <= 8 GB), "
              f"{full['seconds']:.1f} s")


if __name__ == "__main__":
    main()
