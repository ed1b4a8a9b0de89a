"""`mixgrv compose "idea"`: the 5 Hz LM turns a one-line idea into caption, lyrics and metas.

Upstream's "simple mode" (create_sample): one LM pass that writes the CoT (bpm, caption,
duration, genres, key, language, time signature) and then lyrics. Prints the result as text,
or as JSON with ``--json`` (ready to pass on to ``mixgrv generate``).
"""

from __future__ import annotations

import argparse
import json
import sys

HELP = "Write a caption, lyrics and metadata for a one-line song idea with the 5 Hz LM."


def add_lm_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by compose and understand: where the LM is and where it runs."""
    parser.add_argument("--models", required=True, metavar="DIR", help="folder with the ACE-Step checkpoints (holds acestep-5Hz-lm-*/)")
    parser.add_argument("--lm", default="0.6B", choices=("0.6B", "1.7B", "4B"), help="LM size (folder acestep-5Hz-lm-SIZE)")
    parser.add_argument("--backend", choices=("auto", "torch", "mlx"), default="auto", help="model framework (auto: MLX on Apple Silicon, else torch)")
    parser.add_argument("--device", choices=("auto", "cpu", "mps", "cuda"), default="auto", help="torch device")
    parser.add_argument("--seed", type=int, help="seed of the LM's sampling (same seed, same text)")
    parser.add_argument("--max-tokens", type=int, metavar="N", help="stop the LM after N tokens (default: its whole context)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("idea", help='what the song should be, e.g. "a soft Korean love song for a quiet evening"')
    parser.add_argument("--instrumental", action="store_true", help="no vocals (lyrics become [Instrumental])")
    parser.add_argument("--language", help="vocal language code to keep (en, ko, ja, ...; default: the LM chooses)")
    parser.add_argument("--temperature", type=float, default=0.85, help="LM sampling temperature (0 = greedy)")
    add_lm_arguments(parser)


def print_fields(fields: dict, out=None) -> None:
    out = out or sys.stdout
    for key in ("caption", "genres", "bpm", "keyscale", "timesignature", "duration", "language"):
        if fields.get(key) not in (None, ""):
            print(f"{key}: {fields[key]}", file=out)
    if fields.get("lyrics"):
        print("\nlyrics:\n" + str(fields["lyrics"]), file=out)


def seed_or_drawn(seed: int | None) -> int:
    import random

    return int(seed) if seed is not None else random.SystemRandom().randrange(2**31)


def run(args: argparse.Namespace) -> int:
    from mixgrv_app.core.lm.planner import open_planner

    seed = seed_or_drawn(args.seed)
    planner = open_planner(args.models, args.lm, backend=args.backend, device=args.device)
    result = planner.create_sample(args.idea, instrumental=args.instrumental, language=args.language,
                                   temperature=args.temperature, seed=seed, max_new_tokens=args.max_tokens)
    fields = dict(result["metadata"])
    fields.update({"lm": planner.name, "seed": seed, "backend": planner.backend})
    if args.json:
        print(json.dumps(fields, ensure_ascii=False, indent=2))
    else:
        print_fields(fields)
        print(f"\n({planner.name} on {planner.backend}, seed {seed})")
    return 0
