"""`mixgrv understand AUDIO`: describe a song with the 5 Hz LM (how a dataset labels itself).

audio → VAE → the DiT's audio tokenizer (5 Hz FSQ codes: ``Generator.audio_codes_of``, the
posterior drawn with the seed's rule) → the LM's understand mode → caption, genres, bpm, key,
time signature, language, lyrics. Needs the DiT folder (for the tokenizer and VAE) and the LM.
"""

from __future__ import annotations

import argparse
import json

from mixgrv_app.commands.compose import add_lm_arguments, print_fields, seed_or_drawn

HELP = "Describe an audio file (caption, genres, BPM, key, lyrics) with the 5 Hz LM."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("audio", help="audio file (wav, flac, mp3, ...)")
    parser.add_argument("--variant", default="acestep-v15-turbo", help="DiT folder whose audio tokenizer makes the codes")
    parser.add_argument("--temperature", type=float, default=0.3, help="LM sampling temperature (0 = greedy; the labeller uses 0.7)")
    add_lm_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from mixgrv_app.core.lm.planner import open_planner
    from mixgrv_app.core.pipeline import Generator

    seed = seed_or_drawn(args.seed)
    generator = Generator(args.models, args.variant, backend=args.backend, device=args.device)
    codes = [int(c) for c in generator.audio_codes_of(args.audio, seed=seed)]
    info = generator.backend.info
    planner = open_planner(args.models, args.lm, backend=info.name, device=info.device)
    result = planner.understand(codes, temperature=args.temperature, seed=seed, max_new_tokens=args.max_tokens)
    fields = {k: result[k] for k in ("caption", "genres", "bpm", "keyscale", "timesignature", "duration", "language", "lyrics")}
    fields.update({"codes": len(codes), "lm": planner.name, "seed": seed, "backend": planner.backend})
    if args.json:
        print(json.dumps(fields, ensure_ascii=False, indent=2))
    else:
        print_fields(fields)
        print(f"\n({len(codes)} codes; {planner.name} on {planner.backend}, seed {seed})")
    return 0
