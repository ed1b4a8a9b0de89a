"""One full-size turbo DiT forward at 30 s of audio (T = 750) on this machine's CPU.

Prints seconds and achieved GFLOP/s next to the GFLOP/s of a large matmul measured in the same
run (the machine's practical ceiling; target ratio ≥ 0.6), then the peak RSS of loading a
full-size bf16 ``model.safetensors`` written by this script, through our loader into fp32,
as a ratio to the file size (target ≤ 2.2: the fp32 copy itself is 2.0, so no extra copies).

    .venv/bin/python bench/dit_step.py [--frames 750] [--layers 24] [--skip-load]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def dit_flops(c, frames: int, cond_len: int) -> float:
    """Multiply-adds ×2 of one decoder forward (projections, attention, MLP, in/out convs)."""
    t = (frames + 1) // 2
    q, kv, h = c.num_attention_heads * c.head_dim, c.num_key_value_heads * c.head_dim, c.hidden_size
    per_layer = (
        2 * t * h * (q + 2 * kv + q)                       # self-attn projections
        + 2 * 2 * t * t * q                                 # self-attn scores and values
        + 2 * t * h * (q + q) + 2 * cond_len * h * 2 * kv   # cross-attn q/o and k/v
        + 2 * 2 * t * cond_len * q                          # cross-attn scores and values
        + 2 * t * 3 * h * c.intermediate_size               # SwiGLU MLP
    )
    return c.num_hidden_layers * per_layer + 2 * t * h * (192 * 2 + 64 * 2) + 2 * cond_len * h * h


def matmul_gflops(n: int = 4096, repeats: int = 5) -> float:
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def forward_bench(frames: int, layers: int, cond_len: int = 769) -> dict:
    import torch

    from mixgrv_app.core.configs import DiTConfig
    from mixgrv_app.core.torch_model.dit import DiTDecoder

    torch.manual_seed(0)
    config = DiTConfig(num_hidden_layers=layers)
    decoder = DiTDecoder(config).eval()
    with torch.no_grad():
        for p in decoder.parameters():
            p.normal_(0, 0.02)
    x = torch.randn(1, frames, 64)
    ctx = torch.randn(1, frames, 128)
    enc = torch.randn(1, cond_len, config.hidden_size)
    t = torch.tensor([0.5])
    with torch.inference_mode():
        decoder(x, t, t, enc, ctx)  # warm-up
        times = []
        for _ in range(2):
            start = time.perf_counter()
            decoder(x, t, t, enc, ctx)
            times.append(time.perf_counter() - start)
    seconds = min(times)
    return {"seconds": seconds, "gflops": dit_flops(config, frames, cond_len) / seconds / 1e9}


_LOAD_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from mixgrv_app.core.torch_model import loading
start = time.perf_counter()
model = loading.load_dit_model(sys.argv[1], device="cpu", dtype="float32")
print(json.dumps({"seconds": time.perf_counter() - start,
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def load_bench(layers: int) -> dict:
    import torch
    from safetensors.torch import save_file

    from mixgrv_app.core.configs import DiTConfig
    from mixgrv_app.core.torch_model.model import AceStepModel

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "acestep-v15-turbo"
        folder.mkdir()
        config = DiTConfig(num_hidden_layers=layers)
        with torch.device("meta"):
            model = AceStepModel(config)
        tensors = {k: torch.randn(v.shape, dtype=torch.bfloat16) * 0.02 for k, v in model.state_dict().items()}
        save_file(tensors, str(folder / "model.safetensors"))
        del tensors
        (folder / "config.json").write_text(json.dumps({**config.__dict__}))
        size = (folder / "model.safetensors").stat().st_size
        root = str(Path(__file__).resolve().parents[1])
        out = subprocess.run([sys.executable, "-c", _LOAD_CHILD, str(folder), root], capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(out.stderr[-2000:])
        result = json.loads(out.stdout.strip().splitlines()[-1])
        return {**result, "file_bytes": size, "ratio": result["peak_rss"] / size}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=750)
    parser.add_argument("--layers", type=int, default=24)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-forward", action="store_true")
    args = parser.parse_args()
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    if not args.skip_forward:
        ceiling = matmul_gflops()
        fwd = forward_bench(args.frames, args.layers)
        print(f"matmul ceiling: {ceiling:.1f} GFLOP/s")
        print(f"DiT forward, {args.layers} layers, T={args.frames}: {fwd['seconds']:.2f} s, {fwd['gflops']:.1f} GFLOP/s, "
              f"ratio {fwd['gflops'] / ceiling:.2f} of the ceiling (target >= 0.6)")
    if not args.skip_load:
        load = load_bench(args.layers)
        print(f"load {load['file_bytes'] / 1e9:.2f} GB bf16 file into fp32: peak RSS {load['peak_rss'] / 1e9:.2f} GB, "
              f"ratio {load['ratio']:.2f} (target <= 2.2), {load['seconds']:.1f} s")


if __name__ == "__main__":
    main()
