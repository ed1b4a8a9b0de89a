"""LoRA training of the ACE-Step 1.5 DiT on preprocessed tensors.

What happens (upstream's recipe, made safe for Macs):

* PEFT LoRA on the decoder's attention projections (q/k/v/o of self- and/or cross-attention),
  so ``save_pretrained`` writes upstream's keys ``base_model.model.layers.N.…lora_{A,B}.weight``;
  base weights frozen in bf16 (CUDA, MPS) or fp32 (CPU), LoRA weights always fp32; gradient
  checkpointing on; never fp16. Only the decoder and ``null_condition_emb`` stay in memory.
* Flow matching: x_t = t·noise + (1−t)·x0, target noise − x0, plain MSE. Timesteps from the
  model's logit-normal sampler (μ −0.4, σ 1, max of two draws, r = t) with 15 % condition
  dropout to ``null_condition_emb`` (default), or upstream's 8 discrete turbo timesteps. The
  random draws come in upstream's order from one generator seeded by the run's seed.
* AdamW, linear warm-up from 0.1·lr, cosine down to 0.01·lr (upstream's LinearLR +
  CosineAnnealingWarmRestarts, as a pure function of the optimizer step), gradient clipping
  and accumulation, batches zero-padded as upstream.
* Runs, checkpoints and exact resume: see core/training_state.py.
* Several processes (torchrun; core/distributed.py): DDP over the LoRA weights. The epoch's
  order is cut into global micro-batches of batch × world size tracks (:func:`global_batches`);
  rank r trains on its slice, every rank draws the whole global batch's noise and pads to its
  longest clip, so W ranks × batch B match 1 process × batch B·W. Rank 0 alone writes.
* Guards: a memory estimate before loading anything refuses a run that cannot fit and names
  the setting to change; a non-finite loss or gradient skips the step, and too many in a row
  stop the run with the likely cause, keeping the last good checkpoint.

:func:`train` runs in the calling process; :func:`run_in_child` runs it in a child process
(an out-of-memory kill or a Metal crash cannot take the app with it), relays its events and
keeps the Mac awake meanwhile.

Public API for the Training tab and the CLI: ``TrainingConfig``, ``PRESETS``/``preset_for``,
``estimate_run_memory``, ``run_in_child`` (start or resume; Stop = its CancelToken),
``list_runs``, ``list_checkpoints``, ``read_metrics``, ``run_dir``.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mixgrv_app.core import distributed
from mixgrv_app.core.distributed import World
from mixgrv_app.core.errors import TrainingError
from mixgrv_app.core.fileio import known_fields, read_json, write_json
from mixgrv_app.core.models import TURBO
from mixgrv_app.core.jobs import (Artifact, CancelToken, Cancelled, Event, EventSink, Log, Metric, ProgressTracker,
                                  ignore_events)
from mixgrv_app.core.training_state import (ADAPTER, STATE_JSON, STATE_TENSORS, MetricsLog, TrainingState,
                                            latest_checkpoint, list_checkpoints, list_runs, publish_folder,
                                            read_metrics, recover, restore_checkpoint, run_dir, save_checkpoint,
                                            set_status)

__all__ = ["TrainingConfig", "TrainingResult", "TRAINING_FIELDS", "PRESETS", "preset_for", "train", "run_in_child", "estimate_run_memory",
           "list_runs", "list_checkpoints", "read_metrics", "run_dir", "latest_checkpoint", "ADAPTER", "STATE_JSON",
           "STATE_TENSORS"]

TARGET_NAMES = ("q_proj", "k_proj", "v_proj", "o_proj")
TURBO8_TIMESTEPS = (1.0, 0.9545454545454546, 0.9, 0.8333333333333334, 0.75, 0.6428571428571429, 0.5, 0.3)
MAX_BAD_STEPS = 20
FRAMES_PER_SECOND = 25


# ------------------------------------------------------------------------------------ config
TARGET_CHOICES = ("both", "self", "cross")
TIMESTEP_CHOICES = ("logit-normal", "turbo8")


@dataclass(frozen=True)
class SettingLimits:
    """What the Training tab offers for one setting (inside what TrainingConfig accepts)."""

    kind: str                       # "int" | "float" | "choice"
    minimum: float = 0
    maximum: float = 0
    step: float = 1
    decimals: int = 0
    choices: tuple[str, ...] = ()


#: The settings a person edits in the Training tab, in its order; the panel builds its editors
#: from this table and sends these keys back (PRESETS fill them in).
TRAINING_FIELDS: dict[str, SettingLimits] = {
    "epochs": SettingLimits("int", 1, 100000),
    "rank": SettingLimits("int", 4, 256, 4),
    "alpha": SettingLimits("int", 4, 512, 4),
    "dropout": SettingLimits("float", 0.0, 0.5, 0.05, 2),
    "learning_rate": SettingLimits("float", 1e-6, 1e-2, 1e-5, 6),
    "batch_size": SettingLimits("int", 1, 8),
    "grad_accum": SettingLimits("int", 1, 16),
    "save_every": SettingLimits("int", 1, 1000),
    "warmup_steps": SettingLimits("int", 0, 10000),
    "weight_decay": SettingLimits("float", 0.0, 1.0, 0.01, 3),
    "max_grad_norm": SettingLimits("float", 0.1, 10.0, 0.1, 2),
    "seed": SettingLimits("int", 0, 2**32 - 1),
    "targets": SettingLimits("choice", choices=TARGET_CHOICES),
    "timesteps": SettingLimits("choice", choices=TIMESTEP_CHOICES),
}


@dataclass
class TrainingConfig:
    dataset: str = ""
    models_dir: str = ""
    variant: str = TURBO
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
    base_dtype: str = "auto"          # frozen base weights: "auto" (bf16 on CUDA/MPS, fp32 on CPU) | "float32" | "bfloat16"
    gradient_checkpointing: bool = True
    max_frames: int | None = None     # crop clips (frames at 25 Hz) to bound memory
    render_samples: bool = False
    sample_caption: str = ""
    sample_seconds: float = 10.0

    def __post_init__(self) -> None:
        problems = []
        if self.targets not in TARGET_CHOICES:
            problems.append(("targets", self.targets))
        if self.timesteps not in TIMESTEP_CHOICES:
            problems.append(("timesteps", self.timesteps))
        for key, low in (("epochs", 1), ("rank", 1), ("alpha", 1), ("batch_size", 1), ("grad_accum", 1),
                         ("save_every", 1), ("keep_last", 1)):
            if int(getattr(self, key)) < low:
                problems.append((key, getattr(self, key)))
        if not (0 < self.learning_rate < 1):
            problems.append(("learning_rate", self.learning_rate))
        if not (0 <= self.dropout < 1):
            problems.append(("dropout", self.dropout))
        if not (0 <= self.cfg_dropout < 1):
            problems.append(("cfg_dropout", self.cfg_dropout))
        if self.max_grad_norm <= 0:
            problems.append(("max_grad_norm", self.max_grad_norm))
        if self.base_dtype in ("float16", "fp16", "half"):
            raise TrainingError("training.bad_setting", "float16 is never used: ACE-Step's weights overflow in fp16 "
                                "and training writes NaN. Use bfloat16 or float32.", setting="base_dtype",
                                value=self.base_dtype)
        if self.base_dtype not in ("auto", "float32", "bfloat16"):
            problems.append(("base_dtype", self.base_dtype))
        if problems:
            key, value = problems[0]
            raise TrainingError("training.bad_setting", f"The training setting {key} = {value!r} is not allowed.",
                                setting=key, value=str(value))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainingConfig":
        return cls(**known_fields(cls, data))


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


def warmup_steps(total_steps: int, config: TrainingConfig) -> int:
    return min(config.warmup_steps, max(1, total_steps // 10))


def learning_rate(step: int, total_steps: int, config: TrainingConfig) -> float:
    """Upstream's schedule at optimizer step ``step`` (0-based): LinearLR 0.1→1 over the warm-up,
    then cosine to 0.01·lr over the rest (CosineAnnealingWarmRestarts with T_0 = the rest)."""
    warmup = warmup_steps(total_steps, config)
    if step < warmup:
        return config.learning_rate * (0.1 + 0.9 * step / warmup)
    span = max(1, total_steps - warmup)
    progress = ((step - warmup) % span) / span
    floor = 0.01 * config.learning_rate
    return floor + (config.learning_rate - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def resolve_base_dtype(config: TrainingConfig, device: str) -> str:
    """bf16 for the frozen base where the hardware computes it well (CUDA, Apple GPU), fp32 on
    the CPU unless asked; LoRA weights are fp32 regardless."""
    if config.base_dtype != "auto":
        return config.base_dtype
    return "bfloat16" if device in ("cuda", "mps") else "float32"


# ------------------------------------------------------------------------------------ objective
def flow_matching_loss(decoder, x0, noise, t, encoder_hidden_states, context_latents):
    """MSE between the predicted velocity at x_t = t·noise + (1−t)·x0 and noise − x0.

    x_t and the target are formed in fp32 (the model sees x_t in its own dtype, that of
    ``context_latents``), and the loss is fp32."""
    import torch.nn.functional as F

    x0, noise = x0.float(), noise.float()
    tt = t.float()[:, None, None]
    x_t = (tt * noise + (1 - tt) * x0).to(context_latents.dtype)
    velocity = decoder(x_t, t, t, encoder_hidden_states, context_latents)
    return F.mse_loss(velocity.float(), noise - x0)


def logit_normal_timesteps(n1, n2, mu: float = -0.4, sigma: float = 1.0):
    """t = max(σ(n1·s+μ), σ(n2·s+μ)) from two standard-normal draws (the model's own sampler)."""
    import torch

    return torch.maximum(torch.sigmoid(n1 * sigma + mu), torch.sigmoid(n2 * sigma + mu))


def drop_condition(encoder_hidden_states, null_condition_emb, keep):
    """Replace the whole condition of items with keep == False by the null embedding."""
    import torch

    null = null_condition_emb.to(encoder_hidden_states.dtype).expand_as(encoder_hidden_states)
    return torch.where(keep.to(torch.bool)[:, None, None], encoder_hidden_states, null)


def draw_step_randoms(config: TrainingConfig, shape: tuple[int, ...], generator):
    """The random part of one step for a batch of ``shape`` [B, T, C], drawn on the CPU in
    upstream's order: turbo8 = (randn_like, randint); logit-normal = (rand for the condition
    dropout, randn_like, randn, randn). Returns (noise, t, keep mask or None)."""
    import torch

    b = shape[0]
    if config.timesteps == "turbo8":
        noise = torch.randn(shape, generator=generator, dtype=torch.float32)
        index = torch.randint(0, len(TURBO8_TIMESTEPS), (b,), generator=generator)
        return noise, torch.tensor(TURBO8_TIMESTEPS, dtype=torch.float32)[index], None
    keep = torch.rand(b, generator=generator) >= config.cfg_dropout
    noise = torch.randn(shape, generator=generator, dtype=torch.float32)
    n1 = torch.randn(b, generator=generator)
    n2 = torch.randn(b, generator=generator)
    return noise, logit_normal_timesteps(n1, n2), keep


def apply_step_randoms(randoms, rows: slice, x0, null_condition_emb, encoder_hidden_states):
    """The ``rows`` of a step's draws applied to this process's batch: (noise, t, condition)."""
    noise, t, keep = randoms
    noise, t = noise[rows].to(x0), t[rows].to(x0.device)
    if keep is None:
        return noise, t, encoder_hidden_states
    return noise, t, drop_condition(encoder_hidden_states, null_condition_emb, keep[rows].to(x0.device))


def draw_step_noise(config: TrainingConfig, x0, null_condition_emb, encoder_hidden_states, generator):
    """One batch's draws (see :func:`draw_step_randoms`) applied to it: (noise, t, condition after dropout)."""
    randoms = draw_step_randoms(config, tuple(x0.shape), generator)
    return apply_step_randoms(randoms, slice(0, x0.shape[0]), x0, null_condition_emb, encoder_hidden_states)


# ------------------------------------------------------------------------------------ LoRA
def inject_lora(decoder, config: TrainingConfig):
    """Wrap the decoder with PEFT LoRA; returns the PeftModel (the decoder now runs LoRA).

    Everything but the LoRA weights is frozen; LoRA weights are fp32 whatever the base dtype.
    """
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
    return {name.replace(".default.", "."): p for name, p in peft_model.named_parameters() if p.requires_grad}


def _contiguous_grad():
    import torch

    class ContiguousGrad(torch.autograd.Function):
        """Identity forward; makes the incoming gradient contiguous."""

        @staticmethod
        def forward(ctx, x):
            return x.view_as(x)

        @staticmethod
        def backward(ctx, grad):
            return grad.contiguous()

    return ContiguousGrad


def keep_residual_contiguous(decoder) -> None:
    """Keep the residual stream's gradient in row-major layout.

    The forward stream is made contiguous in the model (DiTDecoder.forward, after the patch
    conv). Backward, the output conv's gradient comes back as a transposed view, and elementwise
    ops would carry that layout through every layer: a frozen Linear fed such a gradient cannot
    fold [B, T, C] into one GEMM and torch copies the whole weight each call (measured: a third of
    a bf16 training step on CPU). One copy of the gradient at the top of the stack removes that."""
    grad_fix = _contiguous_grad()
    decoder.proj_out.register_forward_pre_hook(lambda _m, args: (grad_fix.apply(args[0]),) + tuple(args[1:]))


def prepare_decoder(decoder, config: TrainingConfig):
    """The engine's training set-up of a DiT decoder: checkpointing, contiguous residual stream,
    PEFT LoRA (fp32) on a frozen base, train mode. Returns the PeftModel.

    LoRA A matrices are initialised from torch's global RNG: seed it before calling."""
    decoder.gradient_checkpointing = config.gradient_checkpointing
    keep_residual_contiguous(decoder)
    peft_model = inject_lora(decoder, config)
    decoder.train()
    return peft_model


def save_adapter(peft_model, folder: Path) -> Path:
    """PEFT ``save_pretrained`` into a temp folder renamed into place (atomic)."""
    folder = Path(folder)
    tmp = folder.with_name(f".{folder.name}.part")
    shutil.rmtree(tmp, ignore_errors=True)
    peft_model.save_pretrained(str(tmp))
    publish_folder(tmp, folder)
    return folder


# ------------------------------------------------------------------------------------ data
@dataclass
class TrackTensors:
    name: str
    target_latents: Any
    encoder_hidden_states: Any
    encoder_attention_mask: Any
    context_latents: Any


def dataset_files(dataset: str) -> list[Path]:
    """The tensor files the dataset's manifest lists (core/preprocess.py writes them)."""
    from mixgrv_app.core.preprocess import MANIFEST, tensors_dir

    folder = tensors_dir(dataset)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise TrainingError("training.not_preprocessed",
                            f"Dataset '{dataset}' has not been prepared for training yet. Run preprocessing first.",
                            dataset=dataset)
    files = []
    for entry in read_json(manifest).get("samples", []):
        path = Path(entry)
        if not path.is_file():  # the data folder moved: the manifest's names still hold
            path = folder / path.name
        if path.is_file():
            files.append(path)
    if not files:
        raise TrainingError("training.not_preprocessed",
                            f"Dataset '{dataset}' has no prepared songs. Run preprocessing first.", dataset=dataset)
    return sorted(files)


def dataset_frames(dataset: str, max_frames: int | None = None) -> list[int]:
    """Latent frames per track, read from the safetensors headers (nothing loaded)."""
    from mixgrv_app.core.checkpoints import read_header

    frames = [read_header(p)["target_latents"][1][0] for p in dataset_files(dataset)]
    return [min(f, max_frames) if max_frames else f for f in frames]


def _read_track(path: Path, max_frames: int | None) -> TrackTensors:
    from mixgrv_app.core.preprocess import load_tensors

    data = load_tensors(path)
    latents, context = data["target_latents"].float(), data["context_latents"].float()
    if max_frames:
        latents, context = latents[:max_frames], context[:max_frames]
    return TrackTensors(path.stem, latents, data["encoder_hidden_states"].float(),
                        data["encoder_attention_mask"].bool(), context)


def load_dataset_tensors(dataset: str, max_frames: int | None = None) -> list[TrackTensors]:
    """The preprocessed tracks of ``dataset`` read into memory (fp32; conditions as bool masks)."""
    return [_read_track(path, max_frames) for path in dataset_files(dataset)]


class TrackStore:
    """The dataset's tracks for one training process: sizes from the file headers up front, the
    tensors read the first time this process needs them (in a distributed run each rank reads
    only the tracks its shards hold)."""

    def __init__(self, dataset: str, max_frames: int | None = None) -> None:
        from mixgrv_app.core.checkpoints import read_header

        self.files = dataset_files(dataset)
        headers = [read_header(p) for p in self.files]
        self.frames = [min(h["target_latents"][1][0], max_frames) if max_frames else h["target_latents"][1][0]
                       for h in headers]
        self.rows = [h["encoder_hidden_states"][1][0] for h in headers]
        self.max_frames = max_frames
        self._cache: dict[int, TrackTensors] = {}

    def __len__(self) -> int:
        return len(self.files)

    @property
    def names(self) -> list[str]:
        return [p.stem for p in self.files]

    def get(self, index: int) -> TrackTensors:
        if index not in self._cache:
            self._cache[index] = _read_track(self.files[index], self.max_frames)
        return self._cache[index]


def collate(items: list[TrackTensors], t_max: int | None = None, l_max: int | None = None) -> dict[str, Any]:
    """Zero-pad latents/context to the longest clip and conditions to the longest, as upstream
    (or to ``t_max``/``l_max``: the longest of the whole global batch in a distributed run)."""
    import torch

    t_max = t_max or max(i.target_latents.shape[0] for i in items)
    l_max = l_max or max(i.encoder_hidden_states.shape[0] for i in items)

    def pad(x, length):
        rows = (0, 0, 0, length - x.shape[0]) if x.dim() == 2 else (0, length - x.shape[0])
        return torch.nn.functional.pad(x, rows)

    return {
        "x0": torch.stack([pad(i.target_latents, t_max) for i in items]),
        "encoder_hidden_states": torch.stack([pad(i.encoder_hidden_states, l_max) for i in items]),
        "encoder_attention_mask": torch.stack([pad(i.encoder_attention_mask, l_max) for i in items]),
        "context_latents": torch.stack([pad(i.context_latents, t_max) for i in items]),
    }


def epoch_order(count: int, seed: int, epoch: int) -> list[int]:
    """The shuffled track order of one epoch: a pure function of (seed, epoch)."""
    import torch

    g = torch.Generator().manual_seed(seed * 100003 + epoch)
    return torch.randperm(count, generator=g).tolist()


def global_batches(order: list[int], batch_size: int, world_size: int) -> list[list[int]]:
    """The data-order rule of a run on ``world_size`` processes: the epoch's order cut into global
    micro-batches of ``batch_size × world_size`` tracks; rank r trains on the r-th slice of
    ``batch_size`` tracks of each (:func:`rank_slice`). Every rank draws the noise and timesteps of
    the whole global micro-batch and pads to its longest clip, so W ranks × batch B compute the
    same step as 1 process × batch B·W (up to float rounding; LoRA dropout masks excepted)."""
    size = batch_size * world_size
    return [order[i:i + size] for i in range(0, len(order), size)]


def rank_slice(global_batch: list[int], batch_size: int, rank: int) -> list[int]:
    """This rank's tracks of a global micro-batch (empty for a short last batch of the epoch)."""
    return global_batch[rank * batch_size:(rank + 1) * batch_size]


def steps_per_epoch(tracks: int, batch_size: int, world_size: int, grad_accum: int) -> int:
    return math.ceil(math.ceil(tracks / (batch_size * world_size)) / grad_accum)


# ------------------------------------------------------------------------------------ memory
@dataclass
class MemoryEstimate:
    need_gb: float
    have_gb: float
    load_gb: float
    step_gb: float

    @property
    def fits(self) -> bool:
        return self.need_gb <= self.have_gb * 0.75


def lora_parameter_count(dit, config: TrainingConfig) -> int:
    """r·(in+out) summed over the wrapped projections (upstream: 14,336·r per block at full size)."""
    h, q_out, kv_out = dit.hidden_size, dit.num_attention_heads * dit.head_dim, dit.num_key_value_heads * dit.head_dim
    per_block = config.rank * ((h + q_out) + 2 * (h + kv_out) + (q_out + h))
    blocks = 2 if config.targets == "both" else 1
    return per_block * blocks * dit.num_hidden_layers


def estimate_memory(dit, total_params: int, decoder_params: int, config: TrainingConfig, frames: int,
                    condition_rows: int, base_dtype: str) -> MemoryEstimate:
    """A deliberately generous peak-memory estimate for one training step, in GB.

    Loading holds the whole model file once (the encoders are dropped after); a step holds the
    decoder, LoRA weights with their gradients and two Adam moments, and activations: with
    checkpointing one layer input per layer plus one layer's full set, without it every layer's.
    """
    import psutil

    base = 2 if base_dtype == "bfloat16" else 4
    item_tokens = -(-frames // 2)  # two latent frames per token
    tokens, rows = config.batch_size * item_tokens, config.batch_size * condition_rows
    h, inner, heads = dit.hidden_size, dit.intermediate_size, dit.num_attention_heads
    attention = config.batch_size * heads * item_tokens * (item_tokens + condition_rows) * 4 * 2  # if materialised
    one_layer = tokens * (24 * h + 4 * inner) * base + rows * 4 * h * base + attention + tokens * config.rank * 4 * 16
    layers = dit.num_hidden_layers
    activations = (layers * tokens * h * base + one_layer) if config.gradient_checkpointing else layers * one_layer
    lora = lora_parameter_count(dit, config) * 4 * 4
    step = decoder_params * base + lora + activations
    load = total_params * base
    overhead = 0.8e9  # interpreter, torch, the dataset in memory
    need = (max(load, step) * 1.2 + overhead) / 1e9
    return MemoryEstimate(round(need, 2), round(psutil.virtual_memory().total / 1e9, 1), round(load / 1e9, 2),
                          round(step / 1e9, 2))


def _model_facts(config: TrainingConfig):
    """(DiTConfig, total parameters, decoder parameters) from config.json and the file headers."""
    from mixgrv_app.core import checkpoints
    from mixgrv_app.core.configs import DiTConfig

    folder = Path(config.models_dir) / config.variant
    if not (folder / "config.json").is_file():
        raise TrainingError("training.no_model", f"The model folder {folder} was not found. Choose the ACE-Step "
                            "checkpoints folder in Settings and start again.", folder=str(folder))
    dit = DiTConfig.from_dict(checkpoints.read_config(folder))
    total = decoder = 0
    for key, (_path, _dtype, shape) in checkpoints.read_headers(folder).items():
        count = math.prod(shape)
        total += count
        decoder += count if key.startswith("decoder.") else 0
    return dit, total, decoder


def estimate_run_memory(config: TrainingConfig, device: str = "cpu") -> MemoryEstimate:
    """The memory a run with ``config`` would need, before loading anything (for the UI)."""
    dit, total, decoder = _model_facts(config)
    frames = max(dataset_frames(config.dataset, config.max_frames))
    from mixgrv_app.core.checkpoints import read_header

    rows = max(read_header(p)["encoder_hidden_states"][1][0] for p in dataset_files(config.dataset))
    return estimate_memory(dit, total, decoder, config, frames, rows, resolve_base_dtype(config, device))


def check_memory(config: TrainingConfig, device: str) -> MemoryEstimate:
    """Refuse a run that cannot fit, naming the first setting whose change makes it fit."""
    estimate = estimate_run_memory(config, device)
    if estimate.fits:
        return estimate
    frames = max(dataset_frames(config.dataset, config.max_frames))
    changes = [("batch size", dict(batch_size=1)) if config.batch_size > 1 else None,
               ("base precision (use bfloat16)", dict(base_dtype="bfloat16"))
               if resolve_base_dtype(config, device) == "float32" else None,
               ("maximum clip length", dict(max_frames=30 * FRAMES_PER_SECOND))
               if frames > 30 * FRAMES_PER_SECOND else None,
               ("rank", dict(rank=max(4, config.rank // 4)))]
    setting = "rank"
    for change in changes:
        if change is None:
            continue
        trial = TrainingConfig.from_dict({**asdict(config), **change[1]})
        if estimate_run_memory(trial, device).fits:
            setting = change[0]
            break
    raise TrainingError(
        "training.too_big",
        f"This run needs about {estimate.need_gb:.1f} GB but this Mac has {estimate.have_gb:.0f} GB. "
        f"Lower the {setting} (or the rank) and try again.",
        need_gb=round(estimate.need_gb, 1), have_gb=round(estimate.have_gb), setting=setting)


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


def new_run_name(dataset: str) -> str:
    return f"{dataset}-{time.strftime('%Y%m%d-%H%M%S')}"


RANK_SEED_STRIDE = 1_000_003


def _rng_states(generator, device) -> dict[str, Any]:
    import torch

    states = {"generator": generator.get_state(), "torch": torch.get_rng_state()}
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    elif device.type == "mps":
        states["mps"] = torch.mps.get_rng_state()
    return states


def _checkpoint_rng(world: World, generator, device) -> dict[str, Any]:
    """The RNG tensors a checkpoint saves: rank 0's under the plain names, rank r's own (dropout)
    states as ``torch.rankR``/``cuda.rankR``. A collective in a distributed run."""
    states = _rng_states(generator, device)
    own = {k: v for k, v in states.items() if k != "generator"}
    for rank, theirs in enumerate(distributed.gather(world, own)[1:], 1):
        states.update({f"{k}.rank{rank}": v for k, v in theirs.items()})
    return states


def _set_rng_states(states: dict[str, Any], generator, device, rank: int = 0, seed: int = 0) -> None:
    """Restore the shared noise generator and this rank's own RNG; a rank the checkpoint did not
    have (the world grew) starts from its own seed."""
    import torch

    generator.set_state(states["generator"])
    suffix = f".rank{rank}" if rank else ""
    if f"torch{suffix}" not in states:
        torch.manual_seed(seed + RANK_SEED_STRIDE * rank)
        return
    torch.set_rng_state(states[f"torch{suffix}"])
    if device.type == "cuda" and f"cuda{suffix}" in states:
        torch.cuda.set_rng_state(states[f"cuda{suffix}"], device)
    elif device.type == "mps" and "mps" in states:
        torch.mps.set_rng_state(states["mps"])


def _resolve_run(config: TrainingConfig, resume: str | None) -> tuple[TrainingConfig, Path, Path | None]:
    if not resume:
        config.name = config.name or new_run_name(config.dataset)
        run = run_dir(config.name)
        if (run / "run.json").is_file():
            raise TrainingError("training.run_exists", f"A run named '{config.name}' already exists. Choose another name.",
                                run=config.name)
        return config, run, None
    run = run_dir(resume)
    if not (run / "run.json").is_file():
        raise TrainingError("training.no_such_run", f"There is no training run named '{resume}'.", run=resume)
    saved = TrainingConfig.from_dict(read_json(run / "run.json")["config"])
    defaults = TrainingConfig()
    for key in ("epochs", "save_every", "save_every_minutes", "device", "models_dir", "render_samples"):
        if getattr(config, key) != getattr(defaults, key):  # what a resume may change
            setattr(saved, key, getattr(config, key))
    recover(run)
    checkpoint = latest_checkpoint(run)
    if checkpoint is None:
        raise TrainingError("training.nothing_to_resume", f"The run '{resume}' has no checkpoint to resume from.",
                            run=resume)
    return saved, run, checkpoint


def crash_error(run: str, step: int, checkpoint: str, how: str, detail: str = "") -> TrainingError:
    """``training.crashed``: the run ended unexpectedly; names the step and the checkpoint to resume from."""
    message = (f"Training stopped unexpectedly at step {step} ({how}). "
               + (f"Resume from checkpoint {checkpoint}." if checkpoint else "No checkpoint was saved yet; start again."))
    return TrainingError("training.crashed", message, step=step, checkpoint=checkpoint, run=run, how=how, detail=detail)


def _batch_line(config: TrainingConfig, world: World) -> str:
    effective = config.batch_size * world.size * config.grad_accum
    return (f"batch {config.batch_size} per process × {world.size} process{'es' if world.size > 1 else ''} × "
            f"accumulation {config.grad_accum} = effective batch {effective}")


def _world_info(config: TrainingConfig, world: World, backend: str) -> dict[str, Any]:
    return {"world_size": world.size, "per_rank_batch": config.batch_size, "grad_accum": config.grad_accum,
            "effective_batch": config.batch_size * world.size * config.grad_accum, "backend": backend}


def train(config: TrainingConfig, events: EventSink = ignore_events, cancel: CancelToken | None = None,
          resume: str | None = None, stop_after_steps: int | None = None, world: World | None = None) -> TrainingResult:
    """Train (or resume) a run in this process. ``cancel`` = Stop: save a checkpoint, return.

    ``world``: this process's place in a torchrun job (core/distributed.py); every rank calls
    ``train`` with the same arguments, rank 0 alone writes the run folder and sends events.
    ``stop_after_steps`` stops like a Stop press after that many optimizer steps (tests).
    """
    world = world or World()
    distributed.start(world)
    clean = False
    try:
        result = _train(config, events if world.is_main else ignore_events, cancel or CancelToken(), resume,
                        stop_after_steps, world)
        clean = True
        return result
    except distributed.PeerLost as lost:  # while setting up: no step and no checkpoint of this start yet
        raise crash_error(resume or config.name, 0, "", "another process of the job ended", str(lost)) from lost
    finally:
        distributed.stop(world, clean)


def _train(config: TrainingConfig, events: EventSink, cancel: CancelToken, resume: str | None,
           stop_after_steps: int | None, world: World) -> TrainingResult:
    import torch

    from mixgrv_app.core import device as device_policy
    from mixgrv_app.core.torch_model import loading

    main = world.is_main

    def resolve() -> tuple[dict[str, Any], str, str | None]:
        resolved, run_folder, saved = _resolve_run(config, resume)
        return asdict(resolved), run_folder.name, str(saved) if saved else None

    config_dict, run_name, checkpoint = distributed.agree(world, resolve)
    config = TrainingConfig.from_dict(config_dict)
    run = run_dir(run_name) if main else None  # the other ranks never touch the run folder
    policy = device_policy.select(config.device, None, purpose="train")
    dev_name = distributed.device_for(world, policy.device)
    dev = torch.device(dev_name)
    backend = distributed.backend_name(world, dev_name)
    base_name = resolve_base_dtype(config, policy.device)
    base_dtype = torch.bfloat16 if base_name == "bfloat16" else torch.float32
    estimate = check_memory(config, policy.device)
    events(Log("info", f"training on {policy.device}, base {base_name}, LoRA float32; estimated peak "
                       f"{estimate.need_gb:.1f} GB of {estimate.have_gb:.0f} GB ({policy.reason})"))
    events(Log("info", f"{world.size} process{'es' if world.size > 1 else ''} ({backend}): {_batch_line(config, world)}"))

    store = TrackStore(config.dataset, config.max_frames)
    dit_dir = Path(config.models_dir) / config.variant
    model = loading.load_dit_model(dit_dir, device=dev, dtype=base_dtype)
    decoder = model.decoder
    null_emb = model.null_condition_emb.detach().float().to(dev)
    del model  # the condition encoder, tokenizer and detokenizer are not needed on preprocessed tensors

    torch.manual_seed(config.seed)
    peft_model = prepare_decoder(decoder, config)
    trainable = [p for p in peft_model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)  # the step draws: the same on every rank
    if world.rank:
        torch.manual_seed(config.seed + RANK_SEED_STRIDE * world.rank)  # LoRA dropout masks: one stream per rank

    state = TrainingState(world_size=world.size)
    if checkpoint is not None:
        restored = None
        if main:
            saved_state, rng = restore_checkpoint(Path(checkpoint), peft_model, optimizer)
            restored = (saved_state, rng, bool(optimizer.state))
        saved_state, rng, has_moments = distributed.broadcast(world, restored)
        if has_moments:
            distributed.broadcast_optimizer_state(world, optimizer, dev)
        state = TrainingState.from_dict(saved_state)
        _set_rng_states(rng, generator, dev, world.rank, config.seed)
        if state.world_size != world.size:
            before = state.world_size
            seen = min(len(store), state.batch_in_epoch * config.batch_size * before)
            state.batch_in_epoch = seen // (config.batch_size * world.size)
            state.world_size = world.size
            events(Log("warning", f"This run was saved with {before} process(es) and continues with {world.size} "
                                  f"from step {state.global_step}: the data order changes from here, so the losses "
                                  "will differ from an uninterrupted run.", "training.world_size_changed",
                       {"saved": before, "now": world.size, "step": state.global_step}))
        events(Log("info", f"resuming '{run_name}' from {Path(checkpoint).name} (step {state.global_step})"))
        if main:
            set_status(run, **_world_info(config, world, backend))
    elif main:
        from mixgrv_app import __version__

        run.mkdir(parents=True, exist_ok=True)
        write_json(run / "run.json", {
            "config": asdict(config), "model": str(dit_dir), "mixgrv": __version__, "torch": torch.__version__,
            "device": policy.device, "base_dtype": base_name, "reason": policy.reason, "status": "running",
            "pid": os.getpid(), "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "tracks": store.names,
            "memory_estimate_gb": estimate.need_gb, **_world_info(config, world, backend),
        })
    if main:
        set_status(run, status="running", pid=os.getpid(), error="")
    metrics = MetricsLog(run / "metrics.csv", state.global_step if checkpoint is not None else None) if main else None
    model_fn = distributed.wrap(decoder, world, dev_name)

    total_steps = steps_per_epoch(len(store), config.batch_size, world.size, config.grad_accum) * config.epochs
    tracker = ProgressTracker(events, "train", total_steps)
    tracker.done = state.global_step
    resumed_at = state.global_step
    last_save = time.monotonic()
    last_label = Path(checkpoint).name if checkpoint else ""
    losses: list[float] = []
    bad_in_row = 0
    stopping = False
    timer_now = False
    started = time.monotonic()

    def snapshot(label: str) -> Path | None:
        """A checkpoint: every rank sends its RNG state, rank 0 writes."""
        nonlocal last_save, last_label
        rng = _checkpoint_rng(world, generator, dev)
        last_save, last_label = time.monotonic(), label
        if not main:
            return None
        path = save_checkpoint(run, label, peft_model, optimizer, rng, state, config.keep_last)
        info = {"title": label, "adapter_dir": str(path / ADAPTER), "step": state.global_step,
                "epoch": state.epoch, "loss": state.last_epoch_loss}
        if config.render_samples:
            sample = _render_sample(config, path, events)
            if sample:
                info["sample"] = sample
        events(Artifact("checkpoint", str(path), info))
        return path

    def one_step(group: list[list[int]]) -> tuple[float, float]:
        """Forward/backward over the accumulation group of global micro-batches; returns (this
        rank's share of the loss, grad norm after the all-reduce), NaN if not finite."""
        optimizer.zero_grad(set_to_none=True)
        step_loss = 0.0
        for n, global_batch in enumerate(group):
            mine = rank_slice(global_batch, config.batch_size, world.rank)
            ids = mine or global_batch[:1]  # nothing left for this rank: a zero-weighted stand-in joins the all-reduce
            share = len(mine) / len(global_batch)
            first = world.rank * config.batch_size if mine else 0
            batch = collate([store.get(i) for i in ids], max(store.frames[i] for i in global_batch),
                            max(store.rows[i] for i in global_batch))
            x0 = batch["x0"].to(dev)  # fp32: the target noise − x0 is formed in fp32
            cond = batch["encoder_hidden_states"].to(dev, base_dtype)
            randoms = draw_step_randoms(config, (len(global_batch), *x0.shape[1:]), generator)
            noise, t, cond = apply_step_randoms(randoms, slice(first, first + len(ids)), x0, null_emb, cond)
            syncing = not world.distributed or n == len(group) - 1
            with contextlib.nullcontext() if syncing else model_fn.no_sync():
                loss = flow_matching_loss(model_fn, x0, noise, t, cond, batch["context_latents"].to(dev, base_dtype))
                # DDP averages over the ranks: weight each rank by its share of the global batch
                (loss * (share * world.size) / len(group)).backward()
            step_loss += loss.item() * share / len(group)
        grad_norm = float(torch.nn.utils.clip_grad_norm_(trainable, config.max_grad_norm))
        return step_loss, grad_norm

    try:
        epoch = state.epoch
        while epoch < config.epochs and not stopping:
            order = state.epoch_order or epoch_order(len(store), config.seed, epoch)
            state.epoch_order = order
            batches = global_batches(order, config.batch_size, world.size)
            batch_index = state.batch_in_epoch
            while batch_index < len(batches):
                group = batches[batch_index: batch_index + config.grad_accum]
                try:
                    local_loss, grad_norm = one_step(group)
                except RuntimeError as exc:
                    if world.distributed and distributed.is_peer_failure(exc):
                        raise distributed.PeerLost(f"lost contact with another process ({str(exc)[:160]})") from exc
                    raise
                due = main and time.monotonic() - last_save > config.save_every_minutes * 60
                # one small all-reduce per step: the global loss, and every rank's Stop and rank 0's timer
                step_loss, stop_votes, due_votes = distributed.sum_values(
                    world, [local_loss, float(cancel.cancelled), float(due)], dev)
                timer_now = due_votes > 0
                lr = learning_rate(state.global_step, total_steps, config)
                if not (math.isfinite(step_loss) and math.isfinite(grad_norm)):
                    optimizer.zero_grad(set_to_none=True)
                    state.skipped_steps += 1
                    bad_in_row += 1
                    events(Log("warning", f"non-finite loss or gradient at step {state.global_step + 1}; step skipped",
                               "training.nonfinite_step", {"step": state.global_step + 1}))
                    if bad_in_row >= MAX_BAD_STEPS:
                        raise TrainingError(
                            "training.nonfinite", f"The loss stayed NaN/Inf for {bad_in_row} steps, so training stopped "
                            "and kept the last good checkpoint. The prepared tensors may contain NaN (prepare the "
                            "songs again in float32) or the learning rate is too high.", steps=bad_in_row)
                else:
                    bad_in_row = 0
                    for pg in optimizer.param_groups:
                        pg["lr"] = lr
                    optimizer.step()
                    losses.append(step_loss)
                    state.epoch_loss_sum += step_loss
                    state.epoch_loss_count += 1
                batch_index += len(group)
                state.global_step += 1
                state.batch_in_epoch = batch_index
                state.epoch = epoch
                row = {"step": state.global_step, "epoch": epoch + batch_index / len(batches), "loss": step_loss,
                       "lr": lr, "grad_norm": grad_norm, "seconds": round(time.monotonic() - started, 3),
                       "memory_gb": round(_memory_gb(), 3)}
                if metrics is not None:
                    metrics.write(row)
                elapsed = max(1e-6, time.monotonic() - started)
                events(Metric(state.global_step, {
                    **row, "epoch": epoch + 1, "epochs": config.epochs, "total_steps": total_steps,
                    "skipped": state.skipped_steps,
                    "samples_per_s": (state.global_step - resumed_at) * config.batch_size * config.grad_accum
                    * world.size / elapsed}))
                tracker.update(state.global_step, f"epoch {epoch + 1}/{config.epochs}")
                if stop_votes > 0 or (stop_after_steps is not None and state.global_step >= stop_after_steps):
                    stopping = True
                    break
                if batch_index < len(batches) and timer_now and not bad_in_row:
                    snapshot(f"step_{state.global_step:07d}")
            if stopping:
                break
            epoch += 1
            mean = state.epoch_loss_sum / state.epoch_loss_count if state.epoch_loss_count else None
            state.epoch, state.batch_in_epoch, state.epoch_order = epoch, 0, None
            state.epoch_loss_sum, state.epoch_loss_count, state.last_epoch_loss = 0.0, 0, mean
            if bad_in_row and epoch < config.epochs:
                continue  # inside a non-finite streak: keep the last good checkpoints from being pruned
            if epoch % config.save_every == 0 or epoch == config.epochs:
                label = f"epoch_{epoch:05d}"
                if mean is not None and (state.best_loss is None or mean < state.best_loss):
                    state.best_loss, state.best_label = mean, label
                snapshot(label)
            elif timer_now and not bad_in_row:
                snapshot(f"step_{state.global_step:07d}")
        if stopping:
            path = snapshot(f"step_{state.global_step:07d}")
            if main:
                set_status(run, status="stopped")
                events(Log("info", f"stopped at step {state.global_step}; saved {path.name}"))
            return TrainingResult(run_name, "stopped", state.global_step, state.epoch, "", str(path or ""), losses,
                                  state.skipped_steps)
        final = ""
        if main:
            final = str(save_adapter(peft_model, run / "final" / ADAPTER))
            set_status(run, status="done")
            events(Artifact("adapter", final, {"title": "final", "adapter_dir": final}))
        return TrainingResult(run_name, "done", state.global_step, state.epoch, final,
                              str(latest_checkpoint(run) or "") if main else "", losses, state.skipped_steps)
    except distributed.PeerLost as lost:
        error = crash_error(run_name, state.global_step, last_label, "another process of the job ended", str(lost))
        if main:
            set_status(run, status="crashed", error=error.message)
        raise error from lost
    except BaseException as exc:
        if main and not isinstance(exc, Cancelled):
            params = {k: v for k, v in getattr(exc, "params", {}).items() if isinstance(v, (str, int, float, bool))}
            set_status(run, status="failed", error=str(exc), error_code=getattr(exc, "code", ""), error_params=params)
        raise
    finally:
        if metrics is not None:
            metrics.close()


# ------------------------------------------------------------------------------------ samples
def _render_sample(config: TrainingConfig, checkpoint: Path, events: EventSink) -> str | None:
    """A short fixed-seed sample with this checkpoint's adapter, saved beside it. It renders in
    its own process, so a failure there (memory, a missing model part) never ends training."""
    from mixgrv_app.core.child_jobs import ChildDied, run_in_child_process

    request = {"models_dir": config.models_dir, "variant": config.variant, "adapter": str(checkpoint / ADAPTER),
               "caption": config.sample_caption or config.dataset, "seconds": config.sample_seconds,
               "seed": config.seed, "out": str(checkpoint / "sample.flac")}
    try:
        return run_in_child_process("mixgrv_app.core.training:sample_entry", request)["path"]
    except (ChildDied, Exception) as exc:  # a sample is a bonus: never fail training for it
        events(Log("warning", f"could not render a sample: {exc}", "training.sample_failed", {}))
        return None


def sample_entry(request: dict[str, Any], events: EventSink, cancel: CancelToken) -> dict[str, Any]:
    """The sample child: one request through the pipeline's Generator, written as FLAC."""
    from mixgrv_app.core.audio import write_audio
    from mixgrv_app.core.pipeline import Generator
    from mixgrv_app.core.requests import AdapterSpec, GenerationRequest

    generator = Generator(request["models_dir"], request["variant"], device="cpu" if sys.platform != "darwin" else "auto")
    result = generator.generate(GenerationRequest(
        caption=request["caption"], instrumental=True, duration=max(10.0, float(request["seconds"])), seed=request["seed"],
        variant=request["variant"], adapters=[AdapterSpec(request["adapter"], 1.0)]))
    write_audio(request["out"], result.audio[0], 48000, "16")  # atomic
    return {"path": request["out"]}


# ------------------------------------------------------------------------------------ child process
def child_entry(request: dict[str, Any], events: EventSink, cancel: CancelToken) -> dict[str, Any]:
    """What the training child runs (see core/child_jobs.py run_in_child_process)."""
    result = train(TrainingConfig.from_dict(request["config"]), events, cancel, resume=request.get("resume"))
    return asdict(result)


def run_in_child(config: TrainingConfig, events: EventSink = ignore_events, cancel: CancelToken | None = None,
                 resume: str | None = None) -> TrainingResult:
    """Start (or resume) a run in a child process; relay its events; Stop (``cancel``) asks it to
    save a checkpoint and end.

    A child that dies (kill -9, out of memory, a crash) produces an error Log event and then
    raises ``training.crashed``, both naming the last step and the checkpoint to resume from;
    what it saved stays valid.
    """
    from mixgrv_app.core.child_jobs import ChildDied, run_in_child_process

    if not resume:
        config.name = config.name or new_run_name(config.dataset)
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
        if run.is_dir():
            recover(run)
        last = latest_checkpoint(run)
        if (run / "run.json").is_file():
            set_status(run, status="crashed", error=f"the training process ended unexpectedly ({died.how})")
        error = crash_error(run_name, last_step, last.name if last else "", died.how, died.stderr_tail)
        events(Log("error", error.message, "training.crashed", dict(error.params)))
        raise error from died
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
