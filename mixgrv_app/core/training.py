"""LoRA training of the ACE-Step 1.5 DiT on preprocessed tensors.

What happens (upstream's recipe, made safe for Macs):

* PEFT LoRA on the decoder's attention projections (q/k/v/o of self- and/or cross-attention),
  so ``save_pretrained`` writes upstream's keys ``base_model.model.layers.N.…lora_{A,B}.weight``;
  base weights frozen (fp32, or bf16 on CUDA/MPS on request), LoRA weights always fp32; gradient
  checkpointing on; never fp16.
* Flow matching: x_t = t·noise + (1−t)·x0, target noise − x0, plain MSE. Timesteps from the
  model's logit-normal sampler (μ −0.4, σ 1, max of two draws, r = t) with 15 % condition
  dropout to ``null_condition_emb`` (default), or upstream's 8 discrete turbo timesteps.
* AdamW, linear warm-up from 0.1·lr, cosine down to 0.01·lr, gradient clipping and
  accumulation; the learning rate is a pure function of the optimizer step, so resuming needs
  only the step.
* A run lives in ``paths.runs_dir()/<name>/``: run.json, metrics.csv, checkpoints (every N
  epochs, on Stop, every M minutes; last K plus the best kept), ``final/adapter``. A checkpoint
  is the adapter plus ``training_state.safetensors`` (optimizer moments, RNG states) and
  ``training_state.json`` (step, epoch, position in the epoch, best loss) — no pickle — written
  to a temp folder and renamed, so a kill never leaves a half checkpoint. Resuming restores all
  of it and gives the same losses as a run that never stopped.
* Non-finite loss or gradients skip the step; too many in a row stop the run with a message
  naming the likely cause, keeping the last good checkpoint.

:func:`train` runs in the calling process; :func:`run_in_child` runs it in a child process
(an out-of-memory kill or a Metal crash cannot take the app with it) and relays its events.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Iterator

from mixgrv_app import paths
from mixgrv_app.core.errors import MixgrvError, TrainingError
from mixgrv_app.core.fileio import read_json, write_json, write_text
from mixgrv_app.core.jobs import (Artifact, CancelToken, Cancelled, Event, EventSink, Log, Metric, ProgressTracker,
                                  ignore_events)

TARGET_NAMES = ("q_proj", "k_proj", "v_proj", "o_proj")
TURBO8_TIMESTEPS = (1.0, 0.9545454545454546, 0.9, 0.8333333333333334, 0.75, 0.6428571428571429, 0.5, 0.3)
STATE_JSON, STATE_TENSORS, ADAPTER = "training_state.json", "training_state.safetensors", "adapter"
MAX_BAD_STEPS = 20


# ------------------------------------------------------------------------------------ config
@dataclass
class TrainingConfig:
    dataset: str = ""
    models_dir: str = ""
    variant: str = "acestep-v15-turbo"
    name: str = ""
    epochs: int = 100
    rank: int = 64
    alpha: int = 128
    dropout: float = 0.1
    learning_rate: float = 3e-4
    batch_size: int = 1
    grad_accum: int = 1
    save_every: int = 10              # epochs
    save_every_minutes: float = 30.0
    keep_last: int = 3
    warmup_steps: int = 100
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    seed: int = 42
    targets: str = "both"             # "both" | "self" | "cross"
    timesteps: str = "logit-normal"   # "logit-normal" | "turbo8"
    cfg_dropout: float = 0.15
    device: str = "auto"
    base_dtype: str = "float32"       # frozen base weights: "float32" | "bfloat16"
    gradient_checkpointing: bool = True
    max_frames: int | None = None     # crop clips (frames at 25 Hz) to bound memory
    render_samples: bool = False
    sample_caption: str = ""
    sample_seconds: float = 10.0

    def __post_init__(self) -> None:
        problems = []
        if self.targets not in ("both", "self", "cross"):
            problems.append(("targets", self.targets))
        if self.timesteps not in ("logit-normal", "turbo8"):
            problems.append(("timesteps", self.timesteps))
        for key, low in (("epochs", 1), ("rank", 1), ("alpha", 1), ("batch_size", 1), ("grad_accum", 1), ("save_every", 1)):
            if int(getattr(self, key)) < low:
                problems.append((key, getattr(self, key)))
        if not (0 < self.learning_rate < 1):
            problems.append(("learning_rate", self.learning_rate))
        if self.base_dtype not in ("float32", "bfloat16"):
            problems.append(("base_dtype", self.base_dtype))
        if problems:
            key, value = problems[0]
            raise TrainingError("training.bad_setting", f"The training setting {key} = {value!r} is not allowed.",
                                setting=key, value=str(value))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainingConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


#: Starting points by dataset size, for musicians who do not want to know what rank means.
PRESETS: dict[str, dict[str, Any]] = {
    "few": dict(epochs=200, rank=32, alpha=64, learning_rate=1e-4, save_every=50, dropout=0.1, warmup_steps=50),
    "some": dict(epochs=100, rank=64, alpha=128, learning_rate=1e-4, save_every=25, dropout=0.1, warmup_steps=100),
    "many": dict(epochs=40, rank=64, alpha=128, learning_rate=2e-4, save_every=10, dropout=0.05, warmup_steps=200),
}


def preset_for(song_count: int) -> str:
    return "few" if song_count <= 5 else "some" if song_count <= 20 else "many"


def target_modules(targets: str) -> list[str] | str:
    """PEFT ``target_modules``: names, or a regex restricted to one attention kind."""
    if targets == "both":
        return list(TARGET_NAMES)
    kind = "self_attn" if targets == "self" else "cross_attn"
    return rf".*\.{kind}\.(q_proj|k_proj|v_proj|o_proj)"


def learning_rate(step: int, total_steps: int, config: TrainingConfig) -> float:
    """Upstream's schedule as a function of the optimizer step (0-based)."""
    warmup = min(config.warmup_steps, max(1, total_steps // 10))
    if step < warmup:
        return config.learning_rate * (0.1 + 0.9 * step / warmup)
    span = max(1, total_steps - warmup)
    progress = min(1.0, (step - warmup) / span)
    floor = 0.01 * config.learning_rate
    return floor + (config.learning_rate - floor) * 0.5 * (1 + math.cos(math.pi * progress))


# ------------------------------------------------------------------------------------ objective
def flow_matching_loss(decoder, x0, noise, t, encoder_hidden_states, context_latents):
    """MSE between the predicted velocity at x_t = t·noise + (1−t)·x0 and noise − x0 (fp32)."""
    import torch.nn.functional as F

    tt = t.to(x0.dtype)[:, None, None]
    x_t = tt * noise + (1 - tt) * x0
    velocity = decoder(x_t, t, t, encoder_hidden_states, context_latents)
    return F.mse_loss(velocity.float(), (noise - x0).float())


def logit_normal_timesteps(n1, n2, mu: float = -0.4, sigma: float = 1.0):
    """t = max(σ(n1·s+μ), σ(n2·s+μ)) from two standard-normal draws (the model's own sampler)."""
    import torch

    return torch.maximum(torch.sigmoid(n1 * sigma + mu), torch.sigmoid(n2 * sigma + mu))


def drop_condition(encoder_hidden_states, null_condition_emb, keep):
    """Replace the whole condition of items with keep == False by the null embedding."""
    import torch

    null = null_condition_emb.to(encoder_hidden_states.dtype).expand_as(encoder_hidden_states)
    return torch.where(keep.to(torch.bool)[:, None, None], encoder_hidden_states, null)


def draw_step_noise(config: TrainingConfig, x0, null_condition_emb, encoder_hidden_states, generator):
    """The random part of one step, in upstream's draw order (rand, randn_like, randn, randn)."""
    import torch

    b = x0.shape[0]
    if config.timesteps == "turbo8":
        noise = torch.randn(x0.shape, generator=generator, dtype=torch.float32).to(x0)
        index = torch.randint(0, len(TURBO8_TIMESTEPS), (b,), generator=generator)
        t = torch.tensor(TURBO8_TIMESTEPS, dtype=torch.float32)[index]
        return noise, t.to(x0.device), encoder_hidden_states
    keep = torch.rand(b, generator=generator) >= config.cfg_dropout
    noise = torch.randn(x0.shape, generator=generator, dtype=torch.float32).to(x0)
    n1 = torch.randn(b, generator=generator)
    n2 = torch.randn(b, generator=generator)
    t = logit_normal_timesteps(n1, n2).to(x0.device)
    return noise, t, drop_condition(encoder_hidden_states, null_condition_emb, keep.to(x0.device))


# ------------------------------------------------------------------------------------ LoRA
def inject_lora(decoder, config: TrainingConfig):
    """Wrap the decoder with PEFT LoRA; returns the PeftModel (the decoder now runs LoRA)."""
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                      target_modules=target_modules(config.targets), bias="none", task_type="FEATURE_EXTRACTION",
                      init_lora_weights=True)
    peft_model = get_peft_model(decoder, lora)
    for name, param in peft_model.named_parameters():
        if "lora_" in name:
            param.data = param.data.float()
            param.requires_grad_(True)
        else:
            param.requires_grad_(False)
    return peft_model


def lora_parameters(peft_model) -> dict[str, Any]:
    """Trainable LoRA tensors keyed like adapter_model.safetensors (no adapter name)."""
    out = {}
    for name, param in peft_model.named_parameters():
        if param.requires_grad:
            out[name.replace(".default.", ".")] = param
    return out


def save_adapter(peft_model, folder: Path) -> Path:
    """PEFT ``save_pretrained`` into a temp folder renamed into place (atomic)."""
    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    peft_model.save_pretrained(str(tmp))
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    return folder


# ------------------------------------------------------------------------------------ data
@dataclass
class TrackTensors:
    name: str
    target_latents: Any
    encoder_hidden_states: Any
    encoder_attention_mask: Any
    context_latents: Any


def load_dataset_tensors(dataset: str, max_frames: int | None = None) -> list[TrackTensors]:
    """The preprocessed tracks of ``dataset`` (see core/preprocess.py), read into memory."""
    from mixgrv_app.core.preprocess import MANIFEST, load_tensors, tensors_dir

    folder = tensors_dir(dataset)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise TrainingError("training.not_preprocessed",
                            f"Dataset '{dataset}' has not been prepared for training yet. Run preprocessing first.",
                            dataset=dataset)
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise TrainingError("training.not_preprocessed",
                            f"Dataset '{dataset}' has no prepared songs. Run preprocessing first.", dataset=dataset)
    tracks = []
    for path in files:
        data = load_tensors(path)
        latents, context = data["target_latents"].float(), data["context_latents"].float()
        if max_frames:
            latents, context = latents[:max_frames], context[:max_frames]
        tracks.append(TrackTensors(path.stem, latents, data["encoder_hidden_states"].float(),
                                   data["encoder_attention_mask"].bool(), context))
    return tracks


def collate(items: list[TrackTensors]) -> dict[str, Any]:
    """Zero-pad latents/context to the longest clip and conditions to the longest, as upstream."""
    import torch

    t_max = max(i.target_latents.shape[0] for i in items)
    l_max = max(i.encoder_hidden_states.shape[0] for i in items)

    def pad(x, length):
        return torch.nn.functional.pad(x, (0, 0, 0, length - x.shape[0])) if x.dim() == 2 else \
            torch.nn.functional.pad(x, (0, length - x.shape[0]))

    return {
        "x0": torch.stack([pad(i.target_latents, t_max) for i in items]),
        "encoder_hidden_states": torch.stack([pad(i.encoder_hidden_states, l_max) for i in items]),
        "encoder_attention_mask": torch.stack([pad(i.encoder_attention_mask, l_max) for i in items]),
        "context_latents": torch.stack([pad(i.context_latents, t_max) for i in items]),
    }


def epoch_order(count: int, seed: int, epoch: int) -> list[int]:
    """The shuffled track order of one epoch: a pure function of (seed, epoch), so resume can
    rebuild it without saving it."""
    import torch

    g = torch.Generator().manual_seed(seed * 100003 + epoch)
    return torch.randperm(count, generator=g).tolist()


# ------------------------------------------------------------------------------------ memory
def estimate_memory_gb(model_params: int, config: TrainingConfig, frames: int, hidden: int, layers: int,
                       lora_params: int) -> float:
    """A deliberately generous estimate of peak memory for one step, in GB."""
    base_bytes = model_params * (2 if config.base_dtype == "bfloat16" else 4)
    lora_bytes = lora_params * 4 * 4  # weights, grads, two Adam moments
    tokens = config.batch_size * max(1, frames // 2)
    per_layer = tokens * hidden * 4 * 18  # activations a layer keeps for backward (fp32)
    activations = per_layer * (2 if config.gradient_checkpointing else layers) + tokens * hidden * 4 * layers
    return (base_bytes + lora_bytes + activations) * 1.25 / 1e9


def check_memory(estimate_gb: float, config: TrainingConfig) -> None:
    import psutil

    total_gb = psutil.virtual_memory().total / 1e9
    budget = total_gb * 0.75
    if estimate_gb > budget:
        setting = "batch size" if config.batch_size > 1 else "maximum clip length"
        raise TrainingError(
            "training.too_big",
            f"This run needs about {estimate_gb:.1f} GB but this Mac has {total_gb:.0f} GB. "
            f"Lower the {setting} (or the rank) and try again.",
            need_gb=round(estimate_gb, 1), have_gb=round(total_gb), setting=setting)


# ------------------------------------------------------------------------------------ run folder
def run_dir(name: str) -> Path:
    return paths.runs_dir() / name


def _new_run_name(dataset: str) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return f"{dataset}-{stamp}"


def _checkpoint_dirs(run: Path) -> list[Path]:
    folder = run / "checkpoints"
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.is_dir() and (p / STATE_JSON).is_file()),
                  key=lambda p: read_json(p / STATE_JSON).get("global_step", 0))


def latest_checkpoint(run: Path) -> Path | None:
    dirs = _checkpoint_dirs(run)
    return dirs[-1] if dirs else None


def list_runs() -> list[dict[str, Any]]:
    """Every run with its state: done, stopped (resumable), crashed (resumable) or running."""
    out = []
    for run in sorted(paths.runs_dir().iterdir()) if paths.runs_dir().is_dir() else []:
        info_path = run / "run.json"
        if not info_path.is_file():
            continue
        try:
            info = read_json(info_path)
        except (OSError, ValueError):
            continue
        last = latest_checkpoint(run)
        status = info.get("status", "unknown")
        if status == "running" and not _pid_alive(info.get("pid")):
            status = "crashed"
        out.append({
            "name": run.name, "status": status, "dataset": info.get("config", {}).get("dataset", ""),
            "final_adapter": str(run / "final" / ADAPTER) if (run / "final" / ADAPTER).is_dir() else "",
            "last_checkpoint": str(last) if last else "",
            "resumable": bool(last) and status in ("stopped", "crashed", "failed"),
            "crashed": status == "crashed",
            "step": read_json(last / STATE_JSON).get("global_step", 0) if last else 0,
        })
    return out


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _set_status(run: Path, **changes: Any) -> None:
    info = read_json(run / "run.json")
    info.update(changes)
    write_json(run / "run.json", info)


def read_metrics(run: Path) -> list[dict[str, float]]:
    path = run / "metrics.csv"
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(fh)]


METRIC_FIELDS = ("step", "epoch", "loss", "lr", "grad_norm", "seconds", "memory_gb")


class MetricsLog:
    """metrics.csv, appended one row per optimizer step and flushed (a kill loses nothing written)."""

    def __init__(self, path: Path, resume_step: int | None) -> None:
        rows = []
        if resume_step is not None and path.is_file():
            rows = [r for r in read_metrics(path.parent) if r.get("step", 0) <= resume_step]
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=METRIC_FIELDS)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: row.get(k, "") for k in METRIC_FIELDS})
        self._fh = open(path, "a", newline="", encoding="utf-8")
        self._writer = csv.DictWriter(self._fh, fieldnames=METRIC_FIELDS)

    def write(self, row: dict[str, float]) -> None:
        self._writer.writerow({k: row.get(k, "") for k in METRIC_FIELDS})
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


# ------------------------------------------------------------------------------------ checkpoint state
def save_checkpoint(run: Path, label: str, peft_model, optimizer, generator, state: dict[str, Any],
                    keep_last: int) -> Path:
    """Adapter + optimizer/RNG state into checkpoints/<label>/, atomically; prune old ones."""
    import torch
    from safetensors.torch import save_file

    final = run / "checkpoints" / label
    tmp = final.with_name(label + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    peft_model.save_pretrained(str(tmp / ADAPTER))
    tensors = {"rng.generator": generator.get_state(), "rng.torch": torch.get_rng_state()}
    names = {id(p): n for n, p in peft_model.named_parameters() if p.requires_grad}
    for group in optimizer.param_groups:
        for p in group["params"]:
            st = optimizer.state.get(p)
            if st:
                key = names[id(p)]
                tensors[f"adam.{key}.exp_avg"] = st["exp_avg"].contiguous()
                tensors[f"adam.{key}.exp_avg_sq"] = st["exp_avg_sq"].contiguous()
                tensors[f"adam.{key}.step"] = torch.as_tensor(st["step"], dtype=torch.float64).reshape(1)
    save_file({k: v.cpu() for k, v in tensors.items()}, str(tmp / STATE_TENSORS))
    write_json(tmp / STATE_JSON, state)
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    _prune(run, keep_last, state.get("best_label"))
    return final


def _prune(run: Path, keep_last: int, best_label: str | None) -> None:
    dirs = _checkpoint_dirs(run)
    keep = {d.name for d in dirs[-keep_last:]} | ({best_label} if best_label else set())
    for d in dirs:
        if d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)


def restore_checkpoint(checkpoint: Path, peft_model, optimizer, generator) -> dict[str, Any]:
    import torch
    from safetensors.torch import load_file

    adapter = load_file(str(checkpoint / ADAPTER / "adapter_model.safetensors"))
    params = lora_parameters(peft_model)
    with torch.no_grad():
        for key, value in adapter.items():
            if key not in params:
                raise TrainingError("training.bad_checkpoint", f"{checkpoint.name}: the adapter does not fit this run ({key}).",
                                    checkpoint=str(checkpoint))
            params[key].copy_(value)
    tensors = load_file(str(checkpoint / STATE_TENSORS))
    generator.set_state(tensors["rng.generator"])
    torch.set_rng_state(tensors["rng.torch"])
    names = {id(p): n for n, p in peft_model.named_parameters() if p.requires_grad}
    for group in optimizer.param_groups:
        for p in group["params"]:
            key = names[id(p)]
            if f"adam.{key}.exp_avg" in tensors:
                optimizer.state[p] = {
                    "step": torch.tensor(float(tensors[f"adam.{key}.step"][0])),
                    "exp_avg": tensors[f"adam.{key}.exp_avg"].to(p.device),
                    "exp_avg_sq": tensors[f"adam.{key}.exp_avg_sq"].to(p.device),
                }
    return read_json(checkpoint / STATE_JSON)


# ------------------------------------------------------------------------------------ the loop
@dataclass
class TrainingResult:
    run: str
    status: str                    # "done" | "stopped"
    global_step: int
    epoch: int
    final_adapter: str = ""
    last_checkpoint: str = ""
    losses: list[float] = field(default_factory=list)
    skipped_steps: int = 0


def _memory_gb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e9


def train(config: TrainingConfig, events: EventSink = ignore_events, cancel: CancelToken | None = None,
          resume: str | None = None, stop_after_steps: int | None = None) -> TrainingResult:
    """Train (or resume) a run in this process. ``cancel`` = Stop: save a checkpoint, return.

    ``stop_after_steps`` stops like a Stop press after that many optimizer steps (tests).
    """
    import torch

    from mixgrv_app.core import checkpoints, device as device_policy

    cancel = cancel or CancelToken()
    if resume:
        run = run_dir(resume)
        if not (run / "run.json").is_file():
            raise TrainingError("training.no_such_run", f"There is no training run named '{resume}'.", run=resume)
        saved = TrainingConfig.from_dict(read_json(run / "run.json")["config"])
        for key in ("epochs", "save_every", "save_every_minutes", "device"):
            if getattr(config, key) != getattr(TrainingConfig(), key):
                setattr(saved, key, getattr(config, key))
        config = saved
        checkpoint = latest_checkpoint(run)
        if checkpoint is None:
            raise TrainingError("training.nothing_to_resume", f"The run '{resume}' has no checkpoint to resume from.",
                                run=resume)
    else:
        config.name = config.name or _new_run_name(config.dataset)
        run = run_dir(config.name)
        if (run / "run.json").is_file():
            raise TrainingError("training.run_exists", f"A run named '{config.name}' already exists. Choose another name.",
                                run=config.name)
        checkpoint = None

    policy = device_policy.select(config.device, None if config.base_dtype == "float32" else config.base_dtype,
                                  purpose="train")
    dev = torch.device(policy.device)
    base_dtype = torch.bfloat16 if config.base_dtype == "bfloat16" and policy.device != "cpu" else torch.float32
    events(Log("info", f"training on {policy.device} (base {str(base_dtype).replace('torch.', '')}, LoRA float32): {policy.reason}"))

    tracks = load_dataset_tensors(config.dataset, config.max_frames)
    dit_dir = Path(config.models_dir) / config.variant
    model = checkpoints.load_dit_model(dit_dir, device=dev, dtype=base_dtype)
    decoder = model.decoder
    decoder.gradient_checkpointing = config.gradient_checkpointing
    frames = max(t.target_latents.shape[0] for t in tracks)
    n_params = sum(p.numel() for p in decoder.parameters())
    per_layer_lora = config.rank * 4 * 2 * model.config.hidden_size
    estimate = estimate_memory_gb(n_params, config, frames, model.config.hidden_size, model.config.num_hidden_layers,
                                  per_layer_lora * model.config.num_hidden_layers * 2)
    check_memory(estimate, config)

    torch.manual_seed(config.seed)
    peft_model = inject_lora(decoder, config)
    decoder.train()
    trainable = [p for p in peft_model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)
    null_emb = model.null_condition_emb.detach().float()

    steps_per_epoch = math.ceil(math.ceil(len(tracks) / config.batch_size) / config.grad_accum)
    total_steps = steps_per_epoch * config.epochs
    state = {"global_step": 0, "epoch": 0, "batch_in_epoch": 0, "best_loss": None, "best_label": None}
    if checkpoint is not None:
        state = restore_checkpoint(checkpoint, peft_model, optimizer, generator)
        events(Log("info", f"resuming '{run.name}' from {checkpoint.name} (step {state['global_step']})"))
    else:
        run.mkdir(parents=True, exist_ok=True)
        from mixgrv_app import __version__

        write_json(run / "run.json", {
            "config": asdict(config), "model": str(dit_dir), "mixgrv": __version__, "torch": torch.__version__,
            "device": policy.device, "dtype": str(base_dtype), "reason": policy.reason, "status": "running",
            "pid": os.getpid(), "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "tracks": [t.name for t in tracks],
        })
    _set_status(run, status="running", pid=os.getpid())
    metrics = MetricsLog(run / "metrics.csv", state["global_step"] if checkpoint is not None else None)

    tracker = ProgressTracker(events, "train", total_steps)
    tracker.done = state["global_step"]
    last_save = time.monotonic()
    losses: list[float] = []
    skipped = bad_in_row = 0
    stop_reason = None
    started = time.monotonic()

    def snapshot(label: str) -> Path:
        nonlocal last_save
        path = save_checkpoint(run, label, peft_model, optimizer, generator, dict(state), config.keep_last)
        last_save = time.monotonic()
        info = {"title": label, "adapter_dir": str(path / ADAPTER), "step": state["global_step"]}
        if config.render_samples:
            sample = _render_sample(config, path, events)
            if sample:
                info["sample"] = sample
        events(Artifact("checkpoint", str(path), info))
        return path

    try:
        epoch = state["epoch"]
        while epoch < config.epochs and stop_reason is None:
            order = epoch_order(len(tracks), config.seed, epoch)
            batches = [order[i:i + config.batch_size] for i in range(0, len(order), config.batch_size)]
            batch_index = state["batch_in_epoch"]
            while batch_index < len(batches):
                group = batches[batch_index: batch_index + config.grad_accum]
                optimizer.zero_grad(set_to_none=True)
                step_loss = 0.0
                finite = True
                for batch_ids in group:
                    batch = {k: v.to(dev) for k, v in collate([tracks[i] for i in batch_ids]).items()}
                    x0 = batch["x0"].to(base_dtype)
                    noise, t, cond = draw_step_noise(config, x0, null_emb.to(dev), batch["encoder_hidden_states"].to(base_dtype),
                                                     generator)
                    loss = flow_matching_loss(decoder, x0, noise.to(base_dtype), t, cond, batch["context_latents"].to(base_dtype))
                    if not torch.isfinite(loss):
                        finite = False
                        break
                    (loss / len(group)).backward()
                    step_loss += loss.item() / len(group)
                grad_norm = torch.nn.utils.clip_grad_norm_(trainable, config.max_grad_norm) if finite else torch.tensor(float("nan"))
                if not finite or not torch.isfinite(grad_norm):
                    skipped += 1
                    bad_in_row += 1
                    optimizer.zero_grad(set_to_none=True)
                    events(Log("warning", f"non-finite loss or gradient at step {state['global_step'] + 1}; step skipped",
                               "training.nonfinite_step", {"step": state["global_step"] + 1}))
                    if bad_in_row >= MAX_BAD_STEPS:
                        raise TrainingError(
                            "training.nonfinite", f"The loss stayed NaN/Inf for {bad_in_row} steps. The tensors may "
                            "contain NaN (preprocess again in float32) or the learning rate is too high.", steps=bad_in_row)
                else:
                    bad_in_row = 0
                    lr = learning_rate(state["global_step"], total_steps, config)
                    for pg in optimizer.param_groups:
                        pg["lr"] = lr
                    optimizer.step()
                    losses.append(step_loss)
                batch_index += len(group)
                state["global_step"] += 1
                state["batch_in_epoch"] = batch_index
                state["epoch"] = epoch
                if losses and (state["best_loss"] is None or losses[-1] < state["best_loss"]):
                    state["best_loss"] = losses[-1]
                row = {"step": state["global_step"], "epoch": epoch + batch_index / len(batches),
                       "loss": losses[-1] if losses and finite else float("nan"),
                       "lr": optimizer.param_groups[0]["lr"], "grad_norm": float(grad_norm),
                       "seconds": round(time.monotonic() - started, 3), "memory_gb": round(_memory_gb(), 3)}
                metrics.write(row)
                elapsed = max(1e-6, time.monotonic() - started)
                events(Metric(state["global_step"], {**row, "epoch": epoch + 1,
                                                      "samples_per_s": len(losses) * config.batch_size * config.grad_accum / elapsed}))
                tracker.update(state["global_step"], f"epoch {epoch + 1}/{config.epochs}")
                if cancel.cancelled or (stop_after_steps is not None and state["global_step"] >= stop_after_steps):
                    stop_reason = "stopped"
                    break
                if time.monotonic() - last_save > config.save_every_minutes * 60:
                    snapshot(f"step_{state['global_step']:07d}")
            if stop_reason is None:
                epoch += 1
                state["epoch"], state["batch_in_epoch"] = epoch, 0
                if epoch % config.save_every == 0 or epoch == config.epochs:
                    label = f"epoch_{epoch:05d}"
                    if losses and state["best_loss"] == losses[-1]:
                        state["best_label"] = label
                    snapshot(label)
        if stop_reason == "stopped":
            path = snapshot(f"step_{state['global_step']:07d}")
            _set_status(run, status="stopped")
            events(Log("info", f"stopped at step {state['global_step']}; saved {path.name}"))
            return TrainingResult(run.name, "stopped", state["global_step"], state["epoch"], "", str(path), losses, skipped)
        final = save_adapter(peft_model, run / "final" / ADAPTER)
        _set_status(run, status="done")
        events(Artifact("adapter", str(final), {"title": "final", "adapter_dir": str(final)}))
        return TrainingResult(run.name, "done", state["global_step"], state["epoch"], str(final),
                              str(latest_checkpoint(run) or ""), losses, skipped)
    except BaseException as exc:
        if not isinstance(exc, Cancelled):
            _set_status(run, status="failed", error=str(exc))
        raise
    finally:
        metrics.close()


def _render_sample(config: TrainingConfig, checkpoint: Path, events: EventSink) -> str | None:
    """A short fixed-seed sample with this checkpoint's adapter, saved beside it."""
    try:
        from mixgrv_app.core.pipeline import Generator
        from mixgrv_app.core.requests import AdapterSpec, GenerationRequest

        generator = Generator(config.models_dir, config.variant, backend="torch", device="cpu")
        request = GenerationRequest(caption=config.sample_caption or config.dataset, instrumental=True,
                                    duration=config.sample_seconds, seed=config.seed, variant=config.variant,
                                    adapters=[AdapterSpec(str(checkpoint / ADAPTER), 1.0)])
        out = checkpoint / "sample.flac"
        result = generator.generate(request)
        from mixgrv_app.core.audio import write_audio

        write_audio(out, result.audio[0], 48000, "16")
        return str(out)
    except Exception as exc:  # a sample is a bonus: never fail training for it
        events(Log("warning", f"could not render a sample: {exc}", "training.sample_failed", {}))
        return None


# ------------------------------------------------------------------------------------ child process
def child_entry(request: dict[str, Any], events: EventSink, cancel: CancelToken) -> dict[str, Any]:
    """What the training child runs (see core/jobs.py run_in_child_process)."""
    result = train(TrainingConfig.from_dict(request["config"]), events, cancel, resume=request.get("resume"))
    return asdict(result)


def run_in_child(config: TrainingConfig, events: EventSink = ignore_events, cancel: CancelToken | None = None,
                 resume: str | None = None) -> TrainingResult:
    """Run :func:`train` in a child process; relay its events; Stop asks it to checkpoint and end.

    A child that dies (kill -9, out of memory, a crash) raises ``training.crashed`` naming the
    last step and the checkpoint to resume from; what it saved stays valid.
    """
    from mixgrv_app.core.jobs import ChildDied, run_in_child_process

    if not resume:
        config.name = config.name or _new_run_name(config.dataset)
    run_name = resume or config.name
    last_step = 0

    def relay(event: Event) -> None:
        nonlocal last_step
        if isinstance(event, Metric):
            last_step = event.step
        events(event)

    caffeinate: list[Any] = []
    try:
        payload = run_in_child_process("mixgrv_app.core.training:child_entry",
                                       {"config": asdict(config), "resume": resume}, relay, cancel,
                                       on_start=lambda pid: caffeinate.append(_keep_awake(pid)))
    except ChildDied as died:
        run = run_dir(run_name)
        last = latest_checkpoint(run)
        if (run / "run.json").is_file():
            _set_status(run, status="crashed")
        raise TrainingError(
            "training.crashed",
            f"Training stopped unexpectedly at step {last_step} ({died.how}). "
            + (f"Resume from checkpoint {last.name}." if last else "No checkpoint was saved yet; start again."),
            step=last_step, checkpoint=last.name if last else "", run=run_name, detail=died.stderr_tail) from died
    finally:
        for proc in caffeinate:
            if proc is not None:
                proc.terminate()
    return TrainingResult(**payload)


def _keep_awake(pid: int):
    """On macOS, keep the Mac from sleeping while the training process lives."""
    if sys.platform != "darwin" or not shutil.which("caffeinate"):
        return None
    return subprocess.Popen(["caffeinate", "-i", "-w", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
