"""LoRA training step: our engine vs a plain PEFT + AdamW loop, and the full 24-layer peak.

1. A full-width DiT decoder (hidden 2048, ``--layers`` of the 24, random weights), 30 s clips
   (T = 750 latent frames), rank 64, batch 1: seconds per step and peak RSS with our engine's
   set-up (``core.training.prepare_decoder``: gradient checkpointing, contiguous residual
   stream, bf16 frozen base, fp32 LoRA) next to a plain loop on the same module (PEFT
   ``get_peft_model`` + AdamW, fp32 base, no checkpointing). Each side runs in its own child
   process so peaks do not mix; the best of ``--steps`` timed steps after one warm-up.
   Targets: time ratio ≤ 1.0, memory ratio ≤ 0.7.
2. The full 24-layer model through the real training path: a random-weight official-layout
   ``acestep-v15-turbo/`` folder (2.4 B parameters, bf16 file) and a one-song dataset of 30 s
   tensors are written, then ``core.training.train`` runs one optimizer step in a fresh child
   (load, drop the encoders, LoRA, step, checkpoint) with a bf16 base. Peak RSS of that child
   (target ≤ 8 GB) next to the engine's own estimate.

    .venv/bin/python bench/train_step.py [--layers 4] [--steps 2] [--skip-full]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])

_STEP = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import torch
import torch.nn.functional as F
from mixgrv_app.core.configs import DiTConfig
from mixgrv_app.core.torch_model.dit import DiTDecoder
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
    for name, p in decoder.named_parameters():
        p.copy_(torch.randn(p.shape) / max(1, p[0].numel()) ** 0.5 if p.dim() >= 2 else 1 + 0.05 * torch.randn(p.shape))
if mode == "engine":
    from mixgrv_app.core.training import TrainingConfig, flow_matching_loss, prepare_decoder
    model = prepare_decoder(decoder, TrainingConfig(rank=64, alpha=128, dropout=0.1))
    def loss_fn(x0, noise, t, enc, ctx):
        return flow_matching_loss(decoder, x0, noise, t, enc, ctx)
else:
    from peft import LoraConfig, get_peft_model
    model = get_peft_model(decoder, LoraConfig(r=64, lora_alpha=128, lora_dropout=0.1, bias="none",
                                               target_modules=["q_proj", "k_proj", "v_proj", "o_proj"]))
    model.train()
    def loss_fn(x0, noise, t, enc, ctx):
        x_t = t[:, None, None] * noise + (1 - t[:, None, None]) * x0
        return F.mse_loss(decoder(x_t, t, t, enc, ctx), noise - x0)
params = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.AdamW(params, lr=1e-4)
x0, noise = torch.randn(1, 750, 64), torch.randn(1, 750, 64)
ctx, enc = torch.randn(1, 750, 128, dtype=dtype), torch.randn(1, 769, 2048, dtype=dtype)
t = torch.tensor([0.6])
times = []
for _ in range(steps + 1):
    start = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(x0, noise, t, enc, ctx)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    times.append(time.perf_counter() - start)
print(json.dumps({"seconds": min(times[1:]), "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "loss": float(loss), "lora_params": sum(p.numel() for p in params)}))
"""

_WRITE_FULL = r"""
import json, sys
from dataclasses import asdict
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import torch
from safetensors.torch import save_file
from mixgrv_app.core.configs import DiTConfig
from mixgrv_app.core.torch_model.model import AceStepModel
from tests.support.training_data import write_tensor_dataset
folder = Path(sys.argv[2]) / "acestep-v15-turbo"
folder.mkdir(parents=True, exist_ok=True)
config = DiTConfig()
with torch.device("meta"):
    shapes = {k: v.shape for k, v in AceStepModel(config).state_dict().items()}
g = torch.Generator().manual_seed(0)
state = {}
for key, shape in shapes.items():
    if len(shape) >= 2:
        fan_in = 1
        for d in shape[1:]:
            fan_in *= d
        state[key] = (torch.randn(shape, generator=g, dtype=torch.bfloat16) * fan_in ** -0.5).contiguous()
    elif key.endswith("weight") and "norm" in key:
        state[key] = torch.ones(shape, dtype=torch.bfloat16)
    else:
        state[key] = (0.02 * torch.randn(shape, generator=g)).to(torch.bfloat16)
save_file(state, str(folder / "model.safetensors"))
(folder / "config.json").write_text(json.dumps({**asdict(config), "model_type": "acestep",
                                                "architectures": ["AceStepConditionGenerationModel"]}))
write_tensor_dataset("bench-30s", [750], hidden=config.hidden_size, rows=769)
print(json.dumps({"params": sum(v.numel() for v in state.values())}))
"""

_TRAIN_FULL = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import torch
from mixgrv_app.core.training import TrainingConfig, estimate_run_memory, read_metrics, run_dir, train
config = TrainingConfig(dataset="bench-30s", models_dir=sys.argv[2], name="bench", epochs=1, rank=64, alpha=128,
                        device="cpu", base_dtype="bfloat16", warmup_steps=1, save_every=1)
estimate = estimate_run_memory(config, "cpu")
start = time.perf_counter()
result = train(config)
total = time.perf_counter() - start
rows = read_metrics(run_dir("bench"))
print(json.dumps({"peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "estimate_gb": estimate.need_gb,
                  "step_seconds": rows[0]["seconds"], "total_seconds": total, "loss": rows[0]["loss"],
                  "status": result.status}))
"""


def _child(script: str, *args: str, env: dict | None = None) -> dict:
    import os

    out = subprocess.run([sys.executable, "-c", script, ROOT, *args], capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--skip-full", action="store_true")
    args = parser.parse_args()
    engine = _child(_STEP, str(args.layers), str(args.steps), "engine")
    plain = _child(_STEP, str(args.layers), str(args.steps), "plain")
    print(f"full-width DiT decoder (hidden 2048), {args.layers} of 24 layers, random weights, T=750 (30 s), "
          f"rank 64 ({engine['lora_params']:,} LoRA parameters), batch 1, CPU:")
    print(f"  engine (checkpointing, bf16 base, fp32 LoRA): {engine['seconds']:.2f} s/step, "
          f"peak RSS {engine['peak_rss'] / 1e9:.2f} GB")
    print(f"  plain PEFT + AdamW (fp32 base):              {plain['seconds']:.2f} s/step, "
          f"peak RSS {plain['peak_rss'] / 1e9:.2f} GB")
    print(f"  time ratio {engine['seconds'] / plain['seconds']:.2f} (target <= 1.0), "
          f"memory ratio {engine['peak_rss'] / plain['peak_rss']:.2f} (target <= 0.7)")
    if args.skip_full:
        return
    with tempfile.TemporaryDirectory(prefix="mixgrv-bench-") as tmp:
        env = {"MIXGRV_HOME": str(Path(tmp) / "home")}
        written = _child(_WRITE_FULL, str(Path(tmp) / "models"), env=env)
        full = _child(_TRAIN_FULL, str(Path(tmp) / "models"), env=env)
    print(f"full 24-layer model ({written['params'] / 1e9:.2f} B parameters, bf16 file) through core.training.train, "
          f"one optimizer step at T=750, rank 64, bf16 base, CPU:")
    print(f"  peak RSS {full['peak_rss'] / 1e9:.2f} GB (target <= 8 GB; the engine estimated {full['estimate_gb']:.2f} GB), "
          f"step {full['step_seconds']:.1f} s, whole run incl. load and checkpoint {full['total_seconds']:.1f} s, "
          f"status {full['status']}")


if __name__ == "__main__":
    main()
