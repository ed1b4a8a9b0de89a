"""Benchmark: the same generation request on the MLX backend and on the torch backend.

Each backend runs in its own child process (so neither pays for the other's imports or
memory), alternating, best of ``--repeats``. Printed per backend: the device it used, wall time
of ``Generator.generate`` with models already loaded (text + diffusion + decode), and peak
memory = peak RSS growth over the process's RSS after loading the models (working memory of
a generation), plus the framework's own peak
device memory where the device is not the CPU (Metal: ``mx.get_peak_memory``; MPS:
``torch.mps.driver_allocated_memory``; CUDA: ``max_memory_allocated``). Then the ratios
MLX/torch and the max difference of the two latents (same seed, so it should be ~1e-5).

Torch uses its best local device: MPS on a Mac, CUDA on Linux with a GPU, else CPU. On Linux
MLX runs on CPU with a reference BLAS, so the numbers there are a record, not a target; on
Apple Silicon the target is MLX time ≤ 0.5 × torch-MPS time.

Usage: ``.venv/bin/python bench/backends.py [--models DIR] [--variant V] [--duration 10]
[--lora DIR[:SCALE]] [--repeats 2]`` (default models: the parity set's tiny checkpoints).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PARITY = Path(os.environ.get("MIXGRV_PARITY_DIR", REPO.parent / "shared" / "parity" / "v1"))
CAPTION = "Dreamy K-pop ballad with soft piano, warm pads and a breathy female vocal"
LYRICS = "[verse]\n봄바람이 불어오면\n너의 이름을 불러 볼게\n[chorus]\n우리의 노래가 끝나지 않게"


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def torch_device() -> str:
    import torch

    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cuda" if torch.cuda.is_available() else "cpu"


def device_peak_mb(backend: str, device: str) -> float:
    if backend == "mlx" and device == "metal":
        import mlx.core as mx

        return mx.get_peak_memory() / 2**20
    if backend == "torch" and device == "mps":
        import torch

        return torch.mps.driver_allocated_memory() / 2**20
    if backend == "torch" and device == "cuda":
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    return 0.0  # CPU: everything is in the RSS already


def child(args: argparse.Namespace) -> dict:
    import numpy as np

    from mixgrv_app.core.pipeline import Generator
    from mixgrv_app.core.requests import AdapterSpec, GenerationRequest

    device = torch_device() if args.child == "torch" else "auto"
    generator = Generator(Path(args.models), args.variant, backend=args.child, device=device)
    info = generator.backend.info
    adapters = []
    if args.lora:
        folder, _, scale = args.lora.partition(":")
        adapters = [AdapterSpec(folder, float(scale or 1.0))]
    request = GenerationRequest(caption=CAPTION, lyrics=LYRICS, language="ko", duration=args.duration, variant=args.variant,
                                seed=args.seed, adapters=adapters)
    base = rss_mb()  # models loaded
    generator.generate(request)  # warm-up: kernels, caches, adapter load
    started = time.perf_counter()
    result = generator.generate(request)
    seconds = time.perf_counter() - started
    np.save(args.out, result.latents)
    return {"seconds": seconds, "peak_mb": max(0.0, peak_rss_mb() - base) + device_peak_mb(args.child, info.device),
            "loaded_rss_mb": base, "device": info.device, "dtype": info.dtype,
            "torch_imported": "torch" in sys.modules}


def run_child(which: str, args: argparse.Namespace, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", which, "--models", str(args.models), "--variant", args.variant,
           "--duration", str(args.duration), "--seed", str(args.seed), "--out", str(out)]
    if args.lora:
        cmd += ["--lora", args.lora]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"{which} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=str(PARITY / "checkpoints"))
    parser.add_argument("--variant", default="acestep-v15-turbo")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--lora", default=f"{PARITY / 'lora' / 'adapter'}:0.7", help="DIR[:SCALE]; '' for none")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", choices=("mlx", "torch"))
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return

    import numpy as np

    results: dict[str, list[dict]] = {"mlx": [], "torch": []}
    with tempfile.TemporaryDirectory(prefix="mixgrv-bench-backends-") as tmp:
        for i in range(args.repeats):
            for which in (("mlx", "torch") if i % 2 == 0 else ("torch", "mlx")):
                r = run_child(which, args, Path(tmp) / f"{which}.npy")
                results[which].append(r)
                print(f"  run {i + 1} {which:5s} on {r['device']:5s} {r['seconds']:.2f} s  peak +{r['peak_mb']:.0f} MB")
        diff = float(np.max(np.abs(np.load(Path(tmp) / "mlx.npy") - np.load(Path(tmp) / "torch.npy"))))
    best = {k: min(r["seconds"] for r in v) for k, v in results.items()}
    peak = {k: min(r["peak_mb"] for r in v) for k, v in results.items()}
    mlx_device, torch_dev = results["mlx"][0]["device"], results["torch"][0]["device"]
    print(f"request: {args.variant}, {args.duration:g} s, seed {args.seed}, LoRA {args.lora or 'none'}, models {args.models}")
    print(f"mlx   on {mlx_device:5s} {best['mlx']:.2f} s  peak +{peak['mlx']:.0f} MB  torch imported: {results['mlx'][0]['torch_imported']}")
    print(f"torch on {torch_dev:5s} {best['torch']:.2f} s  peak +{peak['torch']:.0f} MB")
    print(f"time ratio   mlx({mlx_device})/torch({torch_dev}) {best['mlx'] / best['torch']:.3f}"
          + ("  (target <= 0.5 on Apple Silicon)" if mlx_device == "metal" else "  (record only: MLX CPU uses a reference BLAS)"))
    ratio = peak["mlx"] / peak["torch"] if peak["torch"] > 0 else float("nan")
    print(f"memory ratio mlx/torch {ratio:.3f}")
    print(f"max |latent difference| {diff:.3g}  (same seed, same LoRA)")


if __name__ == "__main__":
    main()
