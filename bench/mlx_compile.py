"""Time per DiT step on MLX: ``mx.compile``d vs plain, in the same process, same inputs.

The step is the backend's own (core/mlx_model/backend.DiTStep: fp32 x_t in, the decoder in the
weights' dtype, fp32 velocity out, LoRA scales as an input array). Calls alternate between the
two versions so other load on the machine hits both alike; the median of ``--repeats`` timed
calls each is printed, then the ratio compiled/plain (< 1: compiling helps), the time of the
first compiled call (trace + compile) and the max difference of the two outputs.

Models:
  default        the parity set's turbo DiT (tiny: hidden 48, 3 layers; per-op overhead dominates)
  --layers N     a random-init full-width DiT (hidden 2048, the real layer shape) with N layers
                 at ``--frames`` latent frames (750 = 30 s) and a 769-token condition

    .venv/bin/python bench/mlx_compile.py [--layers 2 --frames 250] [--dtype bfloat16] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PARITY = Path(os.environ.get("MIXGRV_PARITY_DIR", REPO.parent / "shared" / "parity" / "v1"))


def _decoder(args):
    import mlx.core as mx

    from mixgrv_app.core.configs import DiTConfig
    from mixgrv_app.core.mlx_model import loading

    if args.layers:
        from mixgrv_app.core.mlx_model.dit import DiTDecoder

        mx.random.seed(0)
        config = DiTConfig(num_hidden_layers=args.layers)
        decoder = DiTDecoder(config)
        if args.dtype != "float32":
            decoder.set_dtype(loading.DTYPES[args.dtype])
        mx.eval(decoder.parameters())
        return decoder, config, f"random full-width DiT, {args.layers} layers"
    model = loading.load_dit_model(PARITY / "checkpoints" / "acestep-v15-turbo", dtype=args.dtype)
    return model.decoder, model.config, "parity turbo DiT (tiny)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=0, help="random full-width DiT with N layers (0: parity DiT)")
    parser.add_argument("--frames", type=int, default=250, help="latent frames (25 per second)")
    parser.add_argument("--cond", type=int, default=769, help="condition tokens")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--lora-rank", type=int, default=0, help="attach a random adapter of this rank (0: none)")
    args = parser.parse_args(argv)

    import mlx.core as mx
    import numpy as np

    from mixgrv_app.core.mlx_model.backend import DiTStep
    from mixgrv_app.core.mlx_model.lora import AdapterTable, LoRALinear, get_module, linear_paths, set_module

    decoder, config, what = _decoder(args)
    table = AdapterTable()
    if args.lora_rank:
        rng = np.random.default_rng(0)
        for path, (out_f, in_f) in linear_paths(decoder).items():
            if path.split(".")[-1] in ("q_proj", "k_proj", "v_proj", "o_proj"):
                wrapped = LoRALinear(get_module(decoder, path), table)
                a = mx.array(rng.standard_normal((args.lora_rank, in_f), dtype=np.float32) * 0.01)
                b = mx.array(rng.standard_normal((out_f, args.lora_rank), dtype=np.float32) * 0.01)
                wrapped.add("bench", a, b, 1.0)
                set_module(decoder, path, wrapped)
        table.state["bench"] = (0.7, True)
    dtype = decoder.layers[0].mlp.up_proj.weight.dtype
    rng = np.random.default_rng(1)
    x = mx.array(rng.standard_normal((args.batch, args.frames, 64), dtype=np.float32))
    t = mx.full((args.batch,), 0.75, dtype=mx.float32)
    context_latents = mx.array(rng.standard_normal((args.batch, args.frames, 128), dtype=np.float32))
    context = mx.array(rng.standard_normal((args.batch, args.cond, config.hidden_size), dtype=np.float32)).astype(dtype)
    mx.eval(x, t, context_latents, context)

    plain = DiTStep(decoder, dtype, table, compiled=False)
    compiled = DiTStep(decoder, dtype, table, compiled=True)

    def run(step):
        start = time.perf_counter()
        out = step(x, t, t, context_latents, context)
        mx.eval(out)
        return time.perf_counter() - start, out

    warm_plain, reference = run(plain)
    first_compiled, out = run(compiled)
    diff = float(mx.abs(out - reference).max())
    times: dict[str, list[float]] = {"plain": [], "compiled": []}
    for _ in range(args.repeats):
        for name, step in (("plain", plain), ("compiled", compiled)):
            seconds, _out = run(step)
            times[name].append(seconds)
    plain_s, compiled_s = statistics.median(times["plain"]), statistics.median(times["compiled"])
    result = {
        "model": what, "device": str(mx.default_device()), "mlx": mx.__version__, "dtype": args.dtype,
        "frames": args.frames, "cond": args.cond, "batch": args.batch, "lora_rank": args.lora_rank,
        "plain_s": round(plain_s, 5), "compiled_s": round(compiled_s, 5),
        "ratio_compiled_over_plain": round(compiled_s / plain_s, 3),
        "first_plain_s": round(warm_plain, 4), "first_compiled_s (trace+compile)": round(first_compiled, 4),
        "traces": compiled.traces, "max_abs_diff": diff,
    }
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
