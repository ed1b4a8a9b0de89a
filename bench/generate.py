"""Benchmark: our generation pipeline vs diffusers' AceStepPipeline on the same weights.

What it does, in one run:

1. writes a *scaled* ACE-Step 1.5 checkpoint set with random weights in the official folder
   layout (DiT ``model.safetensors`` + ``config.json`` + ``silence_latent.pt``, ``vae/``,
   ``Qwen3-Embedding-0.6B/`` with the parity set's tokenizer). The scale is stated in the output
   (default: DiT hidden 1024 with 8 of the real 24 layers, the real head layout scaled down, a
   slimmer VAE and text encoder) so it runs on a laptop CPU;
2. runs a 30 s turbo text2music request (8 steps, shift 3, batch 1, float32) through
   ``mixgrv_app.core.pipeline.Generator`` and through ``diffusers.AceStepPipeline`` built from the
   same files by our own key mapping (official → diffusers names), each in its own child
   process, alternating, best of ``--repeats``;
3. prints wall time (text + diffusion + decode, models already loaded) and peak memory (peak
   RSS growth over the process's RSS after imports, weights included on both sides) and the
   ratios ours/diffusers (targets: time ≤ 0.8, memory ≤ 1.0).

Both sides start from the same initial noise (our numpy seed rule); the max latent difference
is printed for information only — diffusers formats the prompt and conditions the DiT its own
way, so the songs differ even though the two DiT forwards agree exactly on the same inputs.
Timings on a shared machine are noisy: the runs alternate and the best of each side counts.

Needs the bench-only packages: ``.venv/bin/pip install --no-deps -r requirements-bench.txt``.
Usage: ``.venv/bin/python bench/generate.py [--layers 8] [--hidden 1024] [--repeats 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PARITY = Path(os.environ.get("MIXGRV_PARITY_DIR", REPO.parent / "shared" / "parity" / "v1"))
VARIANT = "acestep-v15-turbo"
CAPTION = "Energetic funk pop with slap bass, tight disco drums, brass stabs and a soulful male vocal"
LYRICS = "[verse]\nStreetlights flicker on the boulevard\nEvery heartbeat sounds like a drum machine\n[chorus]\nTurn it up, turn it up"


# ---- our key mapping: official ACE-Step names -> diffusers names ---------------------------------

_ATTN = ((".q_proj.", ".to_q."), (".k_proj.", ".to_k."), (".v_proj.", ".to_v."), (".o_proj.", ".to_out.0."),
         (".q_norm.", ".norm_q."), (".k_norm.", ".norm_k."))


def official_to_diffusers(key: str) -> str:
    for a, b in _ATTN:
        key = key.replace(a, b)
    return key.replace("proj_in.1.", "proj_in_conv.").replace("proj_out.1.", "proj_out_conv.")


def diffusers_to_official(key: str) -> str:
    for a, b in _ATTN:
        key = key.replace(b, a)
    return key.replace("proj_in_conv.", "proj_in.1.").replace("proj_out_conv.", "proj_out.1.")


# ---- the scaled checkpoint set ---------------------------------------------------------------------

def dit_config(hidden: int, layers: int, heads: int, kv_heads: int, text_hidden: int) -> dict:
    config = json.loads((PARITY / "checkpoints" / VARIANT / "config.json").read_text())
    head_dim = hidden // heads
    config.update({
        "hidden_size": hidden, "intermediate_size": 3 * hidden, "num_hidden_layers": layers,
        "num_attention_heads": heads, "num_key_value_heads": kv_heads, "head_dim": head_dim,
        "num_lyric_encoder_hidden_layers": max(1, layers // 3), "num_timbre_encoder_hidden_layers": max(1, layers // 6),
        "num_attention_pooler_hidden_layers": 2, "sliding_window": 128, "fsq_dim": hidden, "text_hidden_dim": text_hidden,
        "layer_types": ["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(layers)],
    })
    return config


def diffusers_modules(config: dict):
    import torch
    from diffusers.models.transformers.ace_step_transformer import AceStepTransformer1DModel
    from diffusers.pipelines.ace_step.modeling_ace_step import (AceStepAudioTokenDetokenizer, AceStepAudioTokenizer,
                                                                AceStepConditionEncoder)

    common = {k: config[k] for k in ("hidden_size", "intermediate_size", "num_attention_heads", "num_key_value_heads",
                                     "head_dim", "sliding_window")}
    transformer = AceStepTransformer1DModel(num_hidden_layers=config["num_hidden_layers"], layer_types=config["layer_types"],
                                            is_turbo=bool(config.get("is_turbo")), **common)
    encoder = AceStepConditionEncoder(text_hidden_dim=config["text_hidden_dim"],
                                      num_lyric_encoder_hidden_layers=config["num_lyric_encoder_hidden_layers"],
                                      num_timbre_encoder_hidden_layers=config["num_timbre_encoder_hidden_layers"],
                                      layer_types=config["layer_types"], **common)
    tokenizer = AceStepAudioTokenizer(fsq_dim=config["fsq_dim"], fsq_input_levels=config["fsq_input_levels"],
                                      num_attention_pooler_hidden_layers=config["num_attention_pooler_hidden_layers"], **common)
    detokenizer = AceStepAudioTokenDetokenizer(num_attention_pooler_hidden_layers=config["num_attention_pooler_hidden_layers"], **common)
    return {"decoder": transformer.eval(), "encoder": encoder.eval(), "tokenizer": tokenizer.eval(), "detokenizer": detokenizer.eval()}, torch


def write_checkpoints(root: Path, args: argparse.Namespace) -> dict:
    """Random weights (fan-in scaled, so activations stay O(1)) in the official layout."""
    import torch
    from diffusers import AutoencoderOobleck
    from safetensors.torch import save_file
    from transformers import Qwen3Config, Qwen3Model

    torch.manual_seed(0)
    config = dit_config(args.hidden, args.layers, args.heads, args.kv_heads, args.text_hidden)
    modules, _ = diffusers_modules(config)
    state = {}
    for prefix, module in modules.items():
        buffers = {name for name, _ in module.named_buffers()}
        for key, value in module.state_dict().items():
            if key in buffers:  # FSQ levels/basis, the condition encoder's silence latent: not in the official file
                continue
            if value.ndim >= 2:
                value = torch.randn_like(value) / (value[0].numel() ** 0.5)
            elif key.endswith("weight") and "norm" in key:
                value = 1 + 0.1 * torch.randn_like(value)
            else:
                value = 0.05 * torch.randn_like(value)
            state[f"{prefix}.{diffusers_to_official(key)}"] = value.contiguous()
    state["null_condition_emb"] = state.pop("encoder.null_condition_emb")
    dit = root / VARIANT
    dit.mkdir(parents=True)
    save_file({k: v.to(torch.bfloat16) for k, v in state.items()}, str(dit / "model.safetensors"))
    (dit / "config.json").write_text(json.dumps(config, indent=1))
    torch.save(0.3 * torch.randn(1, 64, 15000), str(dit / "silence_latent.pt"))

    vae = AutoencoderOobleck(encoder_hidden_size=args.vae_channels, decoder_channels=args.vae_channels,
                             channel_multiples=[1, 2, 4, 8, 16], downsampling_ratios=[2, 4, 4, 6, 10],
                             decoder_input_channels=64, audio_channels=2, sampling_rate=48000)
    vae.save_pretrained(str(root / "vae"))

    text_dir = root / "Qwen3-Embedding-0.6B"
    shutil.copytree(PARITY / "checkpoints" / "Qwen3-Embedding-0.6B", text_dir)
    (text_dir / "model.safetensors").unlink()
    text_cfg = json.loads((text_dir / "config.json").read_text())
    text_cfg.update({"hidden_size": args.text_hidden, "intermediate_size": 3 * args.text_hidden, "num_hidden_layers": 4,
                     "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": args.text_hidden // 4,
                     "layer_types": ["full_attention"] * 4, "max_window_layers": 4})
    text = Qwen3Model(Qwen3Config(**{k: v for k, v in text_cfg.items() if k not in ("architectures",)}))
    save_file({k: v.to(torch.bfloat16).contiguous() for k, v in text.state_dict().items()}, str(text_dir / "model.safetensors"))
    (text_dir / "config.json").write_text(json.dumps(text_cfg, indent=1))
    return config


# ---- the two contenders, each run in a child process ---------------------------------------------

def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def child_ours(root: Path, seed: int, out: Path) -> dict:
    import numpy as np

    from mixgrv_app.core.pipeline import Generator
    from mixgrv_app.core.requests import GenerationRequest

    base = rss_mb()
    generator = Generator(root, VARIANT, backend="torch", device="cpu")
    request = GenerationRequest(caption=CAPTION, lyrics=LYRICS, language="en", duration=30.0, variant=VARIANT, shift=3.0, seed=seed)
    started = time.perf_counter()
    result = generator.generate(request)
    seconds = time.perf_counter() - started
    np.save(out, result.latents)
    return {"seconds": seconds, "peak_mb": peak_mb() - base, "timings": result.timings}


def child_diffusers(root: Path, seed: int, out: Path) -> dict:
    import numpy as np
    import torch
    from diffusers import AceStepPipeline, AutoencoderOobleck, FlowMatchEulerDiscreteScheduler
    from safetensors.torch import load_file
    from transformers import AutoModel, PreTrainedTokenizerFast

    from mixgrv_app.core.pipeline import seed_noise

    base = rss_mb()
    config = json.loads((root / VARIANT / "config.json").read_text())
    modules, _ = diffusers_modules(config)
    state = {k: v.float() for k, v in load_file(str(root / VARIANT / "model.safetensors")).items()}
    silence = torch.load(str(root / VARIANT / "silence_latent.pt")).float().transpose(1, 2)
    for prefix, module in modules.items():
        mapped = {official_to_diffusers(k[len(prefix) + 1:]): v for k, v in state.items() if k.startswith(prefix + ".")}
        if prefix == "encoder":
            mapped["null_condition_emb"] = state["null_condition_emb"]
            mapped["silence_latent"] = silence
        missing, unexpected = module.load_state_dict(mapped, strict=False)
        assert not unexpected and all("quantizer" in m for m in missing), (prefix, missing, unexpected)
    text_encoder = AutoModel.from_pretrained(str(root / "Qwen3-Embedding-0.6B"), torch_dtype=torch.float32).eval()
    tokenizer = PreTrainedTokenizerFast.from_pretrained(str(root / "Qwen3-Embedding-0.6B"))
    vae = AutoencoderOobleck.from_pretrained(str(root / "vae"), torch_dtype=torch.float32).eval()
    pipe = AceStepPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, transformer=modules["decoder"],
                           condition_encoder=modules["encoder"], scheduler=FlowMatchEulerDiscreteScheduler(),
                           audio_tokenizer=modules["tokenizer"], audio_token_detokenizer=modules["detokenizer"])
    latents = torch.from_numpy(seed_noise(seed, 1, 750))
    started = time.perf_counter()
    with torch.inference_mode():
        pipe(prompt=CAPTION, lyrics=LYRICS, audio_duration=30.0, vocal_language="en", num_inference_steps=8, guidance_scale=1.0,
             shift=3.0, latents=latents, output_type="pt")
    seconds = time.perf_counter() - started
    with torch.inference_mode():  # latents only, for the sanity comparison (not timed)
        lat = pipe(prompt=CAPTION, lyrics=LYRICS, audio_duration=30.0, vocal_language="en", num_inference_steps=8,
                   guidance_scale=1.0, shift=3.0, latents=latents, output_type="latent").audios
    np.save(out, lat.float().numpy())
    return {"seconds": seconds, "peak_mb": peak_mb() - base}


def run_child(which: str, root: Path, out: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", which, "--root", str(root), "--out", str(out)],
                          capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"{which} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=8, help="DiT layers (the real model has 24)")
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--kv-heads", type=int, default=4)
    parser.add_argument("--text-hidden", type=int, default=256)
    parser.add_argument("--vae-channels", type=int, default=32, help="VAE base channels (the real VAE has 128)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--child", choices=("ours", "diffusers"))
    parser.add_argument("--root")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        fn = child_ours if args.child == "ours" else child_diffusers
        print(json.dumps(fn(Path(args.root), args.seed, Path(args.out))))
        return

    import numpy as np

    with tempfile.TemporaryDirectory(prefix="mixgrv-bench-") as tmp:
        root = Path(tmp) / "checkpoints"
        config = write_checkpoints(root, args)
        print(f"scaled config: DiT hidden {config['hidden_size']}, {config['num_hidden_layers']}/24 layers, "
              f"{config['num_attention_heads']}/{config['num_key_value_heads']} heads x {config['head_dim']}; "
              f"text encoder hidden {args.text_hidden}, 4 layers; VAE channels {args.vae_channels} (real: 128); "
              f"request: 30 s turbo, 8 steps, shift 3, batch 1, float32, CPU, {os.cpu_count()} cores")
        results: dict[str, list[dict]] = {"ours": [], "diffusers": []}
        for i in range(args.repeats):
            for which in (("ours", "diffusers") if i % 2 == 0 else ("diffusers", "ours")):
                results[which].append(run_child(which, root, Path(tmp) / f"{which}.npy"))
                print(f"  run {i + 1} {which:9s} {results[which][-1]['seconds']:.2f} s  peak +{results[which][-1]['peak_mb']:.0f} MB")
        diff = float(np.max(np.abs(np.load(Path(tmp) / "ours.npy") - np.load(Path(tmp) / "diffusers.npy"))))
    best = {k: min(r["seconds"] for r in v) for k, v in results.items()}
    peak = {k: min(r["peak_mb"] for r in v) for k, v in results.items()}
    fastest = min(results["ours"], key=lambda r: r["seconds"])
    print(f"ours      {best['ours']:.2f} s  peak +{peak['ours']:.0f} MB   stages of that run {fastest.get('timings')}")
    print(f"diffusers {best['diffusers']:.2f} s  peak +{peak['diffusers']:.0f} MB")
    print(f"time ratio ours/diffusers   {best['ours'] / best['diffusers']:.3f}  (target <= 0.8)")
    print(f"memory ratio ours/diffusers {peak['ours'] / peak['diffusers']:.3f}  (target <= 1.0)")
    print(f"max |latent difference|     {diff:.3g}  (informational: diffusers' pipeline builds its prompt and "
          f"conditioning its own way; the DiT forward itself agrees exactly on the same inputs)")


if __name__ == "__main__":
    main()
