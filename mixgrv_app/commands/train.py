"""`mixgrv train DATASET --models DIR ...`: LoRA training in a child process with a progress bar.

Ctrl+C stops like the app's Stop button: the run saves a checkpoint and can be resumed with
``--resume RUN``.
"""

from __future__ import annotations

import argparse
import signal

from mixgrv_app.core.models import TURBO

HELP = "Train a LoRA adapter on a preprocessed dataset (resumable)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", nargs="?", help="dataset name (not needed with --resume)")
    parser.add_argument("--models", required=True, help="ACE-Step checkpoints folder")
    parser.add_argument("--variant", default=TURBO)
    parser.add_argument("--name", default="", help="run name (default: dataset + time)")
    parser.add_argument("--preset", choices=("few", "some", "many"), help="start from a preset for this many songs")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--rank", type=int)
    parser.add_argument("--alpha", type=int)
    parser.add_argument("--dropout", type=float)
    parser.add_argument("--lr", type=float, dest="learning_rate")
    parser.add_argument("--batch-size", type=int, dest="batch_size")
    parser.add_argument("--grad-accum", type=int, dest="grad_accum")
    parser.add_argument("--save-every", type=int, dest="save_every", help="epochs between checkpoints")
    parser.add_argument("--save-minutes", type=float, dest="save_every_minutes", help="also checkpoint this often")
    parser.add_argument("--keep-last", type=int, dest="keep_last", help="checkpoints kept besides the best one")
    parser.add_argument("--warmup", type=int, dest="warmup_steps")
    parser.add_argument("--weight-decay", type=float, dest="weight_decay")
    parser.add_argument("--max-grad-norm", type=float, dest="max_grad_norm")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--targets", choices=("self", "cross", "both"))
    parser.add_argument("--timesteps", choices=("logit-normal", "turbo8"))
    parser.add_argument("--max-seconds", type=float, help="crop clips to this length while training")
    parser.add_argument("--base-dtype", choices=("auto", "float32", "bfloat16"), dest="base_dtype",
                        help="frozen base weights (auto: bf16 on CUDA/Apple GPU, fp32 on CPU; LoRA is always fp32)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "mps", "cuda"))
    parser.add_argument("--samples", action="store_true", help="render a short sample at each checkpoint")
    parser.add_argument("--resume", metavar="RUN", help="continue a stopped or crashed run")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from mixgrv_app.commands.progress import TerminalProgress
    from mixgrv_app.core.errors import TrainingError
    from mixgrv_app.core.jobs import CancelToken
    from mixgrv_app.core.training import PRESETS, TrainingConfig, run_in_child, train

    if not args.dataset and not args.resume:
        raise TrainingError("training.bad_setting", "Name the dataset to train on (or --resume RUN).",
                            setting="dataset", value="")
    values = dict(PRESETS.get(args.preset or "", {}))
    for key in ("epochs", "rank", "alpha", "dropout", "learning_rate", "batch_size", "grad_accum", "save_every",
                "save_every_minutes", "keep_last", "warmup_steps", "weight_decay", "max_grad_norm", "seed", "targets",
                "timesteps", "base_dtype"):
        if getattr(args, key) is not None:
            values[key] = getattr(args, key)
    if args.max_seconds:
        values["max_frames"] = int(args.max_seconds * 25)
    config = TrainingConfig(dataset=args.dataset or "", models_dir=args.models, variant=args.variant, name=args.name,
                            device=args.device, render_samples=args.samples, **values)
    progress = TerminalProgress()
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        runner = train if args.in_process else run_in_child
        result = runner(config, progress, cancel, resume=args.resume)
    finally:
        signal.signal(signal.SIGINT, previous)
        progress.close()
    if result.status == "stopped":
        print(f"stopped at step {result.global_step}; resume with: mixgrv train --models {args.models} --resume {result.run}")
    else:
        print(f"done: {result.final_adapter}")
    return 0
