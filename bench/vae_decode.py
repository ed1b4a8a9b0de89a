"""Benchmark: our torch VAE decode vs diffusers' AutoencoderOobleck on the same weights.

The decoder is where a CPU generation spends most of its time (bench/generate.py prints the
stages). Ours differs from the plain module in two inference-only ways, both in
``core/torch_model/vae.py``: Snake runs its five operations on one buffer, and the kernel-1
convolutions run as matrix products. This script builds diffusers' VAE with random weights,
loads the same weights into ours through the official key layout, decodes the same latents on
both (best of ``--repeats``, one process, alternating) and prints the time ratio ours/diffusers
and the largest difference of the audio.

Needs the bench-only packages: ``.venv/bin/pip install --no-deps -r requirements-bench.txt``.
Usage: ``.venv/bin/python bench/vae_decode.py [--channels 128] [--seconds 10] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=128, help="VAE base channels (the real VAE has 128)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch
    from diffusers import AutoencoderOobleck

    from mixgrv_app.core.configs import VAEConfig
    from mixgrv_app.core.torch_model.vae import OobleckVAE

    torch.manual_seed(0)
    theirs = AutoencoderOobleck(encoder_hidden_size=args.channels, decoder_channels=args.channels,
                                channel_multiples=[1, 2, 4, 8, 16], downsampling_ratios=[2, 4, 4, 6, 10],
                                decoder_input_channels=64, audio_channels=2, sampling_rate=48000).eval()
    with torch.no_grad():  # Snake parameters start at zero: give them the spread real weights have
        for name, p in theirs.named_parameters():
            if name.endswith(("alpha", "beta")):
                p.normal_(0.0, 0.3)
    config = VAEConfig(encoder_hidden_size=args.channels, decoder_channels=args.channels)
    ours = OobleckVAE.from_official_state_dict(dict(theirs.state_dict()), config)
    frames = int(args.seconds * 25)
    latents = torch.randn(1, 64, frames)
    timings: dict[str, list[float]] = {"ours": [], "diffusers": []}
    with torch.inference_mode():
        audio = {"ours": ours.decode(latents), "diffusers": theirs.decode(latents).sample}
        for _ in range(args.repeats):
            for name, run in (("ours", lambda: ours.decode(latents)), ("diffusers", lambda: theirs.decode(latents).sample)):
                started = time.perf_counter()
                run()
                timings[name].append(time.perf_counter() - started)
    best = {k: min(v) for k, v in timings.items()}
    diff = float((audio["ours"] - audio["diffusers"]).abs().max())
    print(f"VAE decode, channels {args.channels} (real: 128), {args.seconds:g} s of audio ({frames} latent frames), "
          f"float32, CPU, {torch.get_num_threads()} threads, best of {args.repeats}")
    print(f"ours      {best['ours']:.2f} s")
    print(f"diffusers {best['diffusers']:.2f} s")
    print(f"time ratio ours/diffusers {best['ours'] / best['diffusers']:.3f}")
    print(f"max |audio difference|    {diff:.3g} (peak |audio| {float(audio['diffusers'].abs().max()):.3g})")


if __name__ == "__main__":
    main()
