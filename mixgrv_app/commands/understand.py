"""`mixgrv understand AUDIO`: describe a song with the 5 Hz LM (how a dataset labels itself).

audio → VAE (posterior mean, upstream's tiled encode) → the DiT's audio tokenizer (5 Hz FSQ
codes, ``Backend.audio_to_codes``) → the LM's understand mode → caption, genres, bpm, key,
time signature, language, lyrics. Needs the DiT folder (for the tokenizer and VAE) and the LM.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from mixgrv_app.commands.compose import add_lm_arguments, print_fields, seed_or_drawn

HELP = "Describe an audio file (caption, genres, BPM, key, lyrics) with the 5 Hz LM."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("audio", help="audio file (wav, flac, mp3, ...)")
    parser.add_argument("--variant", default="acestep-v15-turbo", help="DiT folder whose audio tokenizer makes the codes")
    parser.add_argument("--temperature", type=float, default=0.3, help="LM sampling temperature (0 = greedy; the labeller uses 0.7)")
    add_lm_arguments(parser)


class _PosteriorMean:
    """The VAE posterior's mean (no noise), so the same file always gives the same codes."""

    def draw(self, shape):
        return np.zeros(shape, dtype=np.float32)


def audio_codes(generator, path: str) -> list[int]:
    from mixgrv_app.core.audio import load_audio

    audio, _info = load_audio(path)
    latents = generator.encode_audio(audio, _PosteriorMean())
    return [int(c) for c in generator.backend.audio_to_codes(latents[None])[0]]


def run(args: argparse.Namespace) -> int:
    from mixgrv_app.core.lm.planner import open_planner
    from mixgrv_app.core.pipeline import Generator

    generator = Generator(args.models, args.variant, backend=args.backend, device=args.device)
    codes = audio_codes(generator, args.audio)
    info = generator.backend.info
    planner = open_planner(args.models, args.lm, backend=info.name, device=info.device)
    seed = seed_or_drawn(args.seed)
    result = planner.understand(codes, temperature=args.temperature, seed=seed, max_new_tokens=args.max_tokens)
    fields = {k: result[k] for k in ("caption", "genres", "bpm", "keyscale", "timesignature", "duration", "language", "lyrics")}
    fields.update({"codes": len(codes), "lm": planner.name, "seed": seed, "backend": planner.backend})
    if args.json:
        print(json.dumps(fields, ensure_ascii=False, indent=2))
    else:
        print_fields(fields)
        print(f"\n({len(codes)} codes; {planner.name} on {planner.backend}, seed {seed})")
    return 0
