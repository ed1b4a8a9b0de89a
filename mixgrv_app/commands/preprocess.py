"""`mixgrv preprocess NAME --models DIR`: turn a dataset into training tensors (resumable).

Runs core/preprocess.py with a terminal progress bar; a second run skips tracks whose audio,
labels and models are unchanged. Ctrl-C leaves every written file complete.
"""

from __future__ import annotations

import argparse
import json

from mixgrv_app.core.models import TURBO

HELP = "Encode a dataset into training tensors (VAE latents + conditions), resumable."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="dataset name")
    parser.add_argument("--models", required=False, help="model folder (ACE-Step checkpoints/); default: the app's models folder")
    parser.add_argument("--variant", default=TURBO, help="DiT folder whose condition encoder is used")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="cut longer tracks to this length")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument("--dtype", default="float32", choices=("float32", "bfloat16"),
                        help="stored tensor dtype (MPS always uses float32)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--labeled-only", action="store_true", help="skip tracks without a caption (upstream's rule)")
    parser.add_argument("--force", action="store_true", help="redo every track")
    parser.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    parser.add_argument("--quiet", action="store_true")


def run(args: argparse.Namespace) -> int:
    from mixgrv_app import paths
    from mixgrv_app.commands.progress import TerminalProgress
    from mixgrv_app.core import preprocess
    from mixgrv_app.core.jobs import CancelToken

    request = preprocess.PreprocessRequest(
        dataset=args.name, models_dir=args.models or str(paths.models_dir()), variant=args.variant,
        max_seconds=args.max_seconds, device=args.device, dtype=args.dtype, seed=args.seed,
        labeled_only=args.labeled_only, force=args.force)
    progress = TerminalProgress(quiet=args.quiet or args.json)
    try:
        result = preprocess.run(request, progress, CancelToken())
    finally:
        progress.close()
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        for t in result.tracks:
            extra = f"{t.frames} frames" if t.status == "done" else (t.message if t.status == "failed" else "")
            print(f"{t.status:<9} {t.filename}  {extra}")
        print(f"{len(result.processed)} preprocessed, {len(result.unchanged)} unchanged, {len(result.failed)} failed "
              f"-> {result.out_dir} ({result.device}, {result.dtype})")
    return 0 if not result.failed else 1
