"""`mixgrv train DATASET --models DIR ...`: LoRA training in a child process with a progress bar.

Ctrl+C stops like the app's Stop button: the run saves a checkpoint and can be resumed with
``--resume RUN``.

Several processes: ``torchrun --nproc_per_node N [--nnodes M ...] -m mixgrv_app train ...``
runs this command once per rank (each trains in its own process; rank 0 shows the progress and
writes the run), and ``mixgrv train --nproc N ...`` starts that torchrun for this machine, waits
for it and reports how the run ended (with the step and checkpoint when a rank died).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys

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
    parser.add_argument("--nproc", type=int, default=1,
                        help="train with N processes on this machine through torchrun (one per GPU, or CPU processes)")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--config-json", dest="config_json", help=argparse.SUPPRESS)  # the --nproc launcher's settings
    parser.add_argument("--stop-after", type=int, dest="stop_after", help=argparse.SUPPRESS)  # tests: Stop after N steps


def run(args: argparse.Namespace) -> int:
    from mixgrv_app.commands.progress import TerminalProgress
    from mixgrv_app.core import distributed
    from mixgrv_app.core.errors import TrainingError
    from mixgrv_app.core.jobs import CancelToken, ignore_events
    from mixgrv_app.core.training import TrainingConfig, run_in_child, train

    if args.config_json:
        config = TrainingConfig.from_dict(json.loads(args.config_json))
    else:
        if not args.dataset and not args.resume:
            raise TrainingError("training.bad_setting", "Name the dataset to train on (or --resume RUN).",
                                setting="dataset", value="")
        config = _config_from_args(args)
    world = distributed.from_environment()
    if not world.distributed and args.nproc > 1 and not distributed.launched_by_torchrun():
        return _launch(args, config)
    progress = TerminalProgress() if world.is_main else ignore_events
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        if world.distributed or args.in_process or args.stop_after:
            result = train(config, progress, cancel, resume=args.resume, stop_after_steps=args.stop_after,
                           world=world)
        else:
            result = run_in_child(config, progress, cancel, resume=args.resume)
    finally:
        signal.signal(signal.SIGINT, previous)
        if world.is_main:
            progress.close()
    if not world.is_main:
        return 0
    if result.status == "stopped":
        print(f"stopped at step {result.global_step}; resume with: mixgrv train --models {config.models_dir} "
              f"--resume {result.run}" + (f" --nproc {world.size}" if world.distributed else ""))
    else:
        print(f"done: {result.final_adapter}")
    return 0


def _config_from_args(args: argparse.Namespace):
    from mixgrv_app.core.training import PRESETS, TrainingConfig

    values = dict(PRESETS.get(args.preset or "", {}))
    for key in ("epochs", "rank", "alpha", "dropout", "learning_rate", "batch_size", "grad_accum", "save_every",
                "save_every_minutes", "keep_last", "warmup_steps", "weight_decay", "max_grad_norm", "seed", "targets",
                "timesteps", "base_dtype"):
        if getattr(args, key) is not None:
            values[key] = getattr(args, key)
    if args.max_seconds:
        values["max_frames"] = int(args.max_seconds * 25)
    return TrainingConfig(dataset=args.dataset or "", models_dir=args.models, variant=args.variant, name=args.name,
                          device=args.device, render_samples=args.samples, **values)


def _launch(args: argparse.Namespace, config) -> int:
    """``--nproc N``: check what can be checked here, run torchrun for this machine, then report
    from the run folder how the job ended."""
    from dataclasses import asdict

    from mixgrv_app.core import device as device_policy, distributed
    from mixgrv_app.core.errors import TrainingError
    from mixgrv_app.core.fileio import read_json
    from mixgrv_app.core.training import crash_error, dataset_files, new_run_name
    from mixgrv_app.core.training_state import latest_checkpoint, read_metrics, recover, run_dir, set_status

    if sys.platform == "darwin":  # MPS exists only there; elsewhere spare this process the torch import
        distributed.refuse_mps(args.nproc, device_policy.select(config.device, None, purpose="train").device)
    if args.resume:
        name = args.resume
        if not (run_dir(name) / "run.json").is_file():
            raise TrainingError("training.no_such_run", f"There is no training run named '{name}'.", run=name)
    else:
        dataset_files(config.dataset)  # not preprocessed: say so before starting N processes
        config.name = name = config.name or new_run_name(config.dataset)
        if (run_dir(name) / "run.json").is_file():
            raise TrainingError("training.run_exists", f"A run named '{name}' already exists. Choose another name.",
                                run=name)
    module_args = ["train", "--models", config.models_dir, "--config-json", json.dumps(asdict(config))]
    if args.resume:
        module_args += ["--resume", args.resume]
    if args.stop_after:
        module_args += ["--stop-after", str(args.stop_after)]
    # Ctrl+C reaches the ranks directly (same terminal): they stop together and save; we wait for them.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code = subprocess.call(distributed.torchrun_command(args.nproc, module_args),
                               env=distributed.launch_environment(args.nproc))
    finally:
        signal.signal(signal.SIGINT, previous)
    run = run_dir(name)
    info = read_json(run / "run.json") if (run / "run.json").is_file() else {}
    status = info.get("status", "")
    if status in ("done", "stopped"):
        return 0  # rank 0 printed the outcome (after Ctrl+C torchrun itself exits non-zero)
    if status == "failed" and info.get("error_code"):
        raise TrainingError(info["error_code"], info.get("error", ""), **info.get("error_params", {}))
    if not info:
        raise TrainingError("training.ranks_failed", f"The {args.nproc} training processes ended (exit code {code}) "
                            "before the run started. Read the messages above, fix the cause and start again.",
                            nproc=args.nproc, code=code)
    recover(run)
    last = latest_checkpoint(run)
    rows = read_metrics(run)
    step = int(rows[-1]["step"]) if rows else 0
    error = crash_error(name, step, last.name if last else "", f"a training process ended, exit code {code}")
    set_status(run, status="crashed", error=error.message)
    raise error
