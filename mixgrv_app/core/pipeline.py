"""Generation: a GenerationRequest in, 48 kHz stereo songs out — one sampler for every backend.

:class:`Generator` loads a backend once (DiT of one variant, text encoder, VAE, silence latent)
and serves many requests; adapters are attached, scaled, switched and removed without reloading
the base model. Per request it

1. prepares what the DiT starts from, per task (:meth:`Generator._prepare_source`, upstream's
   rules): silence for text2music; the decoded hints of pasted 5 Hz codes for a cover from
   codes (T = max(128, 5·codes)); otherwise the VAE latents of the source audio (clamped to
   ±1, at most 600 s), silence-padded to T = max(128, frames). Extend pads the waveform with
   int(seconds·48000) zeros and encodes the padded whole; repaint/extend replace their span by
   the position-aligned silence latent, lego keeps the source inside it; cover marks the item
   for the 5 Hz FSQ bottleneck; extract/complete feed the source as is. Chunk masks are all
   ones (upstream's "auto");
2. builds upstream's caption/lyric prompts (the task's instruction; metas say int(source
   seconds) whenever a source is used) and tokenizes them (core/prompts, core/tokenizer), then
   encodes text, lyrics and the timbre reference (upstream's 30 s assembly, or the silence
   latent's first 750 frames) into one device-side condition;
3. runs the sampler in :func:`diffuse` — turbo tables or base linspace+shift, Euler ODE,
   APG/ADG inside the CFG interval, cover-strength switch, cover noise strength, repaint
   injection and crossfade — on numpy arrays, calling the backend only for velocities;
4. decodes (tiled), peak-normalises per item, splices the source waveform back outside a
   repaint/extend/lego region (linear ramps just outside it), and trims text2music to the
   requested length; a take from a source or codes is T·1920 samples, never trimmed.

Seeds are songs: item i starts from ``default_rng(seed + i).standard_normal((T, 64), float32)``
on every backend, and the VAE posterior samples of the source and reference follow
:func:`posterior_eps_rule` (so a cover or repaint take is reproducible too). A missing seed is
drawn and reported. Progress events come per stage (text, each diffusion step, decode); cancel
is honoured between steps.

Backend choice: MLX on Apple Silicon, torch elsewhere, ``backend=`` forces one; a failing MLX
start falls back to torch with the reason recorded in ``BackendInfo.notes``.
"""

from __future__ import annotations

import dataclasses
import math
import platform
import random
import secrets
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from mixgrv_app.core import prompts
from mixgrv_app.core import schedule as S
from mixgrv_app.core.backend import Backend, ConditionHandle, describe
from mixgrv_app.core.errors import MixgrvError, RequestError
from mixgrv_app.core.jobs import CancelToken, EventSink, Log, Progress, ignore_events
from mixgrv_app.core.audio_codes import codes_frames
from mixgrv_app.core.models import TEXT_ENCODER_FOLDER, TURBO
from mixgrv_app.core.requests import REGION_TASKS, AdapterSpec, GenerationRequest, SourceInfo
from mixgrv_app.core.tiling import ENCODE_OVERLAP_SAMPLES, encode_chunk_samples, overlap_discard_windows

TIMBRE_FRAMES = 750                 # 30 s of latents
REFERENCE_SECONDS, SEGMENT_SECONDS = 30, 10
BACKENDS = ("auto", "torch", "mlx")
# Share of the overall progress per stage: text, diffusion, decode.
STAGE_WEIGHTS = {"text": (0.0, 0.05), "diffusion": (0.05, 0.85), "decode": (0.90, 0.10)}


# ---- result -----------------------------------------------------------------------------------

@dataclass
class GenerationResult:
    """Audio per item ([2, samples] float32 at 48 kHz), plus everything the sidecar records."""

    audio: list[np.ndarray]
    latents: np.ndarray                       # [B, T, 64] DiT output
    seeds: list[int]
    seed_drawn: bool                          # True when the request had no seed
    sample_rate: int
    request: dict[str, Any]                   # the resolved request
    info: dict[str, Any]                      # backend/device/dtype/variant/adapters
    timings: dict[str, float]                 # seconds per stage
    prompts: dict[str, str] = field(default_factory=dict)
    task: str = "text2music"                  # the task that ran (text2music with codes ran as cover)
    source: dict[str, Any] | None = None      # {path, seconds, sha256, offset_samples} of the source audio

    def sidecar(self, files: Sequence[str] | None = None) -> dict[str, Any]:
        """The JSON written next to the audio."""
        from mixgrv_app import __version__

        return {
            "app": f"mixgrv {__version__}",
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "files": list(files or []),
            "request": self.request,
            "task": self.task,
            "source": self.source,
            "lm_plan": self.info.get("lm"),
            "seeds": self.seeds,
            "seed_drawn": self.seed_drawn,
            "variant": self.info.get("variant"),
            "adapters": self.info.get("adapters", []),
            "backend": self.info.get("backend"),
            "sample_rate": self.sample_rate,
            "samples_per_channel": [int(a.shape[-1]) for a in self.audio],
            "latent_frames": int(self.latents.shape[1]),
            "timings_s": self.timings,
            "prompts": self.prompts,
        }


# ---- backend selection -------------------------------------------------------------------------

def _apple_silicon() -> bool:
    return sys.platform == "darwin" and platform.machine() == "arm64"


def open_backend(models_root: Path, variant: str, backend: str = "auto", device: str = "auto") -> Backend:
    """Pick and start a backend. ``auto``: MLX on Apple Silicon (torch if MLX fails), else torch."""
    if backend not in BACKENDS:
        raise RequestError("request.bad_backend", f"Unknown backend '{backend}'; use torch, mlx or auto.", value=backend)
    if backend == "mlx" or (backend == "auto" and _apple_silicon()):
        try:
            from mixgrv_app.core.mlx_model.backend import open_backend as open_mlx
        except ImportError as exc:
            reason = f"the MLX backend is not available ({exc})"
            if backend == "mlx":
                raise MixgrvError("generate.backend_unavailable", f"Cannot use the MLX backend: {reason}. Use --backend torch.",
                                  backend="mlx", reason=reason) from exc
            return _with_note(_open_torch(models_root, variant, device), f"MLX not used: {reason}")
        try:
            return open_mlx(models_root, variant, device=device)
        except MixgrvError:
            raise
        except Exception as exc:  # noqa: BLE001 - any MLX start failure falls back, with its reason
            if backend == "mlx":
                raise MixgrvError("generate.backend_unavailable", f"Cannot use the MLX backend: {exc}. Use --backend torch.",
                                  backend="mlx", reason=str(exc)) from exc
            return _with_note(_open_torch(models_root, variant, device), f"MLX failed to start ({exc}); using torch")
    return _open_torch(models_root, variant, device)


def _open_torch(models_root: Path, variant: str, device: str) -> Backend:
    from mixgrv_app.core.torch_model.backend import open_backend as open_torch

    return open_torch(models_root, variant, device=device)


def _with_note(backend: Backend, note: str) -> Backend:
    backend.info = dataclasses.replace(backend.info, notes=tuple(backend.info.notes) + (note,))
    return backend


DECODE_OVERLAP = 64


def decode_chunk(device: str, frames: int) -> int:
    """VAE decode window in latent frames. Accelerators use upstream's 256 (bounded memory);
    on the CPU, RAM is plentiful and every overlap costs time, so up to 1024 frames (41 s)
    decode as one window. Windows agree with an untiled decode to float rounding (~1e-6)."""
    if device == "cpu":
        return max(256, min(frames, 1024))
    return 256


# ---- the sampler ---------------------------------------------------------------------------------

@dataclass
class SamplingPlan:
    """Everything :func:`diffuse` needs besides the backend and the initial noise."""

    turbo: bool
    cond: ConditionHandle
    context: np.ndarray                       # [B, T, 128]
    steps: int = 8                            # base/sft only
    shift: float = 3.0
    guidance: float = 1.0                     # base/sft: CFG when > 1
    guidance_mode: str = "apg"
    cfg_interval: tuple[float, float] = (0.0, 1.0)
    timesteps: Sequence[float] | None = None  # turbo custom timesteps
    cover_strength: float = 1.0
    cond_non_cover: ConditionHandle | None = None
    context_non_cover: np.ndarray | None = None
    cover_noise_strength: float = 0.0
    src_latents: np.ndarray | None = None     # raw source for cover noise strength
    repaint_mask: np.ndarray | None = None    # [B, T] bool, True = generate
    clean_src: np.ndarray | None = None       # [B, T, 64]
    repaint_crossfade_frames: int = 10
    repaint_injection_ratio: float = 0.5


def diffuse(backend: Backend, plan: SamplingPlan, noise: np.ndarray,
            on_step: Callable[[int, int], None] | None = None, cancel: CancelToken | None = None) -> np.ndarray:
    """Run the ODE sampler; returns the clean latents [B, T, 64] float32.

    Turbo feeds ``float(fp32(t))`` and steps with a double ``dt``; base keeps float32 scalars
    (so its ``dt`` is a float32 difference) — both exactly as upstream does.
    """
    noise = np.ascontiguousarray(noise, dtype=np.float32)
    batch = noise.shape[0]
    x = noise
    if plan.turbo:
        values: list[Any] = S.turbo_timesteps(plan.shift, plan.timesteps)
        if plan.cover_noise_strength > 0.0:
            start = S.nearest_start(values, plan.cover_noise_strength)
            x = S.renoise(plan.src_latents, values[start], noise)
            values = values[start:]
        schedule = [float(np.float32(v)) for v in values] + [0.0]
        guided = False
    else:
        t = S.base_timesteps(plan.steps, plan.shift)
        if plan.cover_noise_strength > 0.0:
            head = [float(v) for v in t[:-1]]
            start = S.nearest_start(head, plan.cover_noise_strength)
            x = S.renoise(plan.src_latents, head[start], noise)
            t = t[start:]
        schedule = list(t)                    # np.float32 scalars
        guided = plan.guidance > 1.0
    n = len(schedule) - 1
    cover_steps = int(n * plan.cover_strength)
    injection_cutoff = round(plan.repaint_injection_ratio * n)
    repaint = plan.repaint_mask is not None and plan.clean_src is not None

    cond, context = plan.cond, plan.context
    if guided:
        cond = backend.with_null_condition(cond)
        context = np.concatenate([context, context], axis=0)
    momentum = S.MomentumBuffer()
    switched = False
    for k in range(n):
        if cancel is not None:
            cancel.raise_if_cancelled()
        if k >= cover_steps and not switched:
            switched = True
            if plan.cond_non_cover is None or plan.context_non_cover is None:
                raise ValueError("cover_strength < 1 needs the non-cover condition")
            cond, context = plan.cond_non_cover, plan.context_non_cover
            if guided:
                cond = backend.with_null_condition(cond)
                context = np.concatenate([context, context], axis=0)
        t_curr, t_next = schedule[k], schedule[k + 1]
        if guided:
            x_in = np.concatenate([x, x], axis=0)
            v = backend.velocity(x_in, np.full(2 * batch, t_curr, dtype=np.float32), cond, context)
            v_cond, v_uncond = v[:batch], v[batch:]
            if S.cfg_active(t_curr, *plan.cfg_interval):
                if plan.guidance_mode == "adg":
                    v = S.adg_guidance(x, v_cond, v_uncond, t_curr, plan.guidance)
                else:
                    v = S.apg_guidance(v_cond, v_uncond, plan.guidance, momentum)
            else:
                v = v_cond
        else:
            v = backend.velocity(x, np.full(batch, t_curr, dtype=np.float32), cond, context)
        if plan.turbo and k == n - 1:
            x = (x - v * np.float32(t_curr)).astype(np.float32)   # x0 = x_t − v·t
        else:
            dt = np.float32(t_curr - t_next)   # turbo: double difference; base: float32 difference
            x = (x - v * dt).astype(np.float32)
            if repaint and k < injection_cutoff:
                x = S.repaint_inject(x, plan.clean_src, plan.repaint_mask, t_next, noise)
        if on_step is not None:
            on_step(k + 1, n)
    if repaint and plan.repaint_crossfade_frames > 0:
        x = S.repaint_crossfade(x, plan.clean_src, plan.repaint_mask, plan.repaint_crossfade_frames)
    return x


def seed_noise(seed: int, batch: int, frames: int) -> np.ndarray:
    """The seed rule: item i = default_rng(seed + i).standard_normal((T, 64), float32)."""
    return np.stack([np.random.default_rng(seed + i).standard_normal((frames, S.LATENT_CHANNELS), dtype=np.float32)
                     for i in range(batch)])


# ---- the generator ---------------------------------------------------------------------------------

@dataclass
class LoadedAdapter:
    name: str
    spec_path: str
    scale: float
    enabled: bool
    info: Any  # core.lora.AdapterInfo


class Generator:
    """Warm models serving many requests. Not thread-safe: use it from one thread."""

    def __init__(self, models_root: str | Path, variant: str = TURBO, *, backend: str = "auto",
                 device: str = "auto", events: EventSink = ignore_events) -> None:
        from mixgrv_app.core.tokenizer import PromptTokenizer

        self.models_root = Path(models_root)
        self.variant = variant
        from mixgrv_app.core.checkpoints import require_generation_set

        require_generation_set(self.models_root, variant)  # names the missing folder, before any loading
        started = time.monotonic()
        self.tokenizer = PromptTokenizer(self.models_root / TEXT_ENCODER_FOLDER)
        self.backend: Backend = open_backend(self.models_root, variant, backend, device)
        self.load_seconds = time.monotonic() - started
        self._silence = self.backend.silence_latent()
        self._adapters: dict[str, LoadedAdapter] = {}
        self.lm_planner = None  # the 5 Hz LM, loaded by core/lm/think.py on the first thinking take (LM)
        self._merged: list[dict[str, Any]] = []
        events(Log("info", f"models loaded in {self.load_seconds:.1f} s: {self.describe_backend()}"))

    # ---- info ---------------------------------------------------------------------------------
    @property
    def is_turbo(self) -> bool:
        return bool(self.backend.info.is_turbo)

    def describe_backend(self) -> str:
        info = self.backend.info
        notes = f" ({'; '.join(info.notes)})" if info.notes else ""
        return f"{info.variant} on {info.name}/{info.device} {info.dtype}{notes}"

    def info(self) -> dict[str, Any]:
        return {"variant": self.variant, "backend": describe(self.backend),
                "adapters": self._merged + [self._adapter_dict(a) for a in self._adapters.values()],
                "load_seconds": round(self.load_seconds, 3)}

    @staticmethod
    def _adapter_dict(adapter: LoadedAdapter) -> dict[str, Any]:
        data = adapter.info.to_dict()
        data.update({"scale": adapter.scale, "enabled": adapter.enabled})
        return data

    # ---- adapters ---------------------------------------------------------------------------------
    def load_adapter(self, path: str | Path, name: str | None = None, scale: float = 1.0,
                     events: EventSink = ignore_events) -> str:
        """Read, validate and attach an adapter; returns its name (unique per generator)."""
        from mixgrv_app.core import lora

        base_name = name or Path(path).name or "adapter"
        unique, i = base_name, 2
        while unique in self._adapters:
            unique, i = f"{base_name}-{i}", i + 1
        weights, info = lora.read_adapter(path, unique)
        lora.validate_adapter(weights, self.backend.linear_shapes(), str(path), self.variant)
        warning = lora.variant_hint_mismatch(info, self.variant)
        if warning:
            events(Log("warning", warning, "lora.variant_mismatch", {"name": unique, "variant": self.variant}))
        self.backend.add_adapter(weights)
        self._adapters[unique] = LoadedAdapter(unique, str(path), 1.0, True, info)
        self.set_adapter_scale(unique, scale)
        return unique

    def _adapter(self, name: str) -> LoadedAdapter:
        if name not in self._adapters:
            raise RequestError("lora.not_loaded", f"No adapter named '{name}' is loaded.", name=name)
        return self._adapters[name]

    def set_adapter_scale(self, name: str, scale: float) -> None:
        from mixgrv_app.core.lora import clamp_scale

        adapter = self._adapter(name)
        adapter.scale = clamp_scale(scale)
        self.backend.set_adapter_scale(name, adapter.scale)

    def enable_adapter(self, name: str, enabled: bool = True) -> None:
        adapter = self._adapter(name)
        adapter.enabled = bool(enabled)
        self.backend.set_adapter_enabled(name, adapter.enabled)

    def unload_adapter(self, name: str) -> None:
        self._adapter(name)
        self.backend.remove_adapter(name)
        del self._adapters[name]

    def merge_adapters(self) -> None:
        """Fold the enabled adapters into the DiT weights (faster; undone only by reloading)."""
        merged = [dict(self._adapter_dict(a), merged=True) for a in self._adapters.values() if a.enabled]
        self.backend.merge_adapters()
        self._merged += merged
        self._adapters.clear()

    def adapters(self) -> list[LoadedAdapter]:
        return list(self._adapters.values())

    def use_adapters(self, specs: Sequence[AdapterSpec], events: EventSink = ignore_events) -> None:
        """Make the attached adapters exactly ``specs`` (loading only the new ones)."""
        wanted = {str(Path(s.path).resolve()): s for s in specs}
        for adapter in list(self._adapters.values()):
            if str(Path(adapter.spec_path).resolve()) not in wanted:
                self.unload_adapter(adapter.name)
        by_path = {str(Path(a.spec_path).resolve()): a for a in self._adapters.values()}
        for key, spec in wanted.items():
            adapter = by_path.get(key)
            name = adapter.name if adapter else self.load_adapter(spec.path, spec.name, events=events)
            self.set_adapter_scale(name, spec.scale)
            self.enable_adapter(name, True)

    # ---- generation --------------------------------------------------------------------------------
    def generate(self, request: GenerationRequest, events: EventSink = ignore_events, cancel: CancelToken | None = None,
                 initial_noise: np.ndarray | None = None, posterior_eps: PosteriorEps | None = None,
                 reference_random: random.Random | None = None) -> GenerationResult:
        """Validate (product limits: 10–600 s, batch 1–8, task vs model ...) and render."""
        request.validate()
        return self.render(request, events, cancel, initial_noise, posterior_eps, reference_random)

    def render(self, request: GenerationRequest, events: EventSink = ignore_events, cancel: CancelToken | None = None,
               initial_noise: np.ndarray | None = None, posterior_eps: PosteriorEps | None = None,
               reference_random: random.Random | None = None) -> GenerationResult:
        """Render without the product's duration limits (upstream accepts e.g. 5 s, padded to
        128 frames); used by :meth:`generate` after validation and by parity tests, which may
        inject the initial noise, the VAE posterior eps (``posterior_eps(k, shape)``) and the
        reference segments' ``random.Random``. The backend's cached device buffers are released
        after the job, also when it fails or is cancelled."""
        try:
            return self._render(request, events, cancel, initial_noise, posterior_eps, reference_random)
        except BaseException as exc:
            # the traceback's frames still hold the job's device arrays; drop their locals (the
            # traceback keeps its lines) so the release below really gets the memory back
            traceback.clear_frames(exc.__traceback__)
            raise
        finally:
            self.backend.release_memory()

    def _render(self, request: GenerationRequest, events: EventSink, cancel: CancelToken | None,
                initial_noise: np.ndarray | None, posterior_eps: PosteriorEps | None,
                reference_random: random.Random | None) -> GenerationResult:
        cancel = cancel or CancelToken()
        if request.variant != self.variant:
            raise RequestError("request.variant_mismatch", f"This generator has {self.variant} loaded, not {request.variant}.",
                               loaded=self.variant, requested=request.variant)
        r = request.resolved(self.is_turbo)
        if r.adapters is not None:
            self.use_adapters(r.adapters, events)
        timings: dict[str, float] = {}
        batch = int(r.batch_size)
        seed_drawn = r.seed is None
        seed = secrets.randbelow(2**32) if seed_drawn else int(r.seed)
        if seed_drawn:
            events(Log("info", f"seed {seed} (drawn)", "generate.seed_drawn", {"seed": seed}))
        r = dataclasses.replace(r, seed=seed)
        seeds = [seed + i for i in range(batch)]
        thought = None
        if r.think:  # the 5 Hz LM plans first: metas, caption, language, codes per item (LM)
            from mixgrv_app.core.lm.think import think

            started = time.monotonic()
            thought = think(self, r, seeds, events, cancel)
            r = thought.request
            timings["think"] = time.monotonic() - started
        task = r.effective_task()
        sampler = PosteriorSampler(posterior_eps or posterior_eps_rule(seed))

        # -- source (or codes, or silence) -------------------------------------------------------
        events(Progress("text", 0, 1, None, "encoding text", 0.0))
        started = time.monotonic()
        plan_src = self._prepare_source(r, task, sampler, timings)
        frames = plan_src.frames
        refer, refer_order = self._timbre(r, batch, sampler, reference_random, timings)
        cancel.raise_if_cancelled()

        # -- text -------------------------------------------------------------------------
        instruction = r.instruction_text()
        metas = prompts.metas_text(r.bpm, r.timesignature, r.keyscale, plan_src.metas_seconds)
        caption_prompt = prompts.caption_prompt(r.caption, metas, instruction)
        lyric_prompt = prompts.lyric_prompt(prompts.lyrics_for(r.lyrics, r.instrumental), r.language)
        text_ids, text_mask = self.tokenizer.encode_batch([caption_prompt] * batch, prompts.CAPTION_MAX_TOKENS)
        lyric_ids, lyric_mask = self.tokenizer.encode_batch([lyric_prompt] * batch, prompts.LYRIC_MAX_TOKENS)
        text_hidden = self.backend.encode_text(text_ids)
        lyric_hidden = self.backend.embed_lyrics(lyric_ids)

        def per_item(x: np.ndarray) -> np.ndarray:
            return np.broadcast_to(x, (batch,) + x.shape).copy()

        src = per_item(plan_src.src)
        # chunk_mask_mode "auto" (upstream's default): every chunk mask is all ones, also for repaint
        chunk = np.ones((batch, frames, S.LATENT_CHANNELS), dtype=np.float32)
        if plan_src.hints is not None:
            hints = per_item(plan_src.hints)
        elif plan_src.is_cover:
            hints = self.backend.cover_hints(src)
        else:
            hints = src
        if thought is not None and batch > 1:  # each item follows its own plan's codes (LM)
            hints = src = thought.item_hints(self.backend, frames, self._pad_to)
        repaint_mask = clean_src = None
        if plan_src.span is not None:
            mask_one = np.zeros((frames,), dtype=bool)
            mask_one[plan_src.span[0]:plan_src.span[1]] = True
            repaint_mask = per_item(mask_one)
            clean_src = per_item(plan_src.target)
        context = np.concatenate([hints, chunk], axis=-1).astype(np.float32)
        cond = self.backend.encode_condition(text_hidden, text_mask, lyric_hidden, lyric_mask, refer, refer_order)
        cond_nc = context_nc = None
        if plan_src.is_cover and r.cover_strength < 1.0:
            nc_prompt = prompts.caption_prompt(r.caption, metas, prompts.TEXT2MUSIC_INSTRUCTION)
            nc_ids, nc_mask = self.tokenizer.encode_batch([nc_prompt] * batch, prompts.CAPTION_MAX_TOKENS)
            cond_nc = self.backend.encode_condition(self.backend.encode_text(nc_ids), nc_mask, lyric_hidden, lyric_mask,
                                                    refer, refer_order)
            context_nc = np.concatenate([np.broadcast_to(self._silence[:frames], src.shape), chunk], axis=-1).astype(np.float32)
        timings["text"] = time.monotonic() - started
        events(Progress("text", 1, 1, 0.0, "text encoded", STAGE_WEIGHTS["text"][1]))
        cancel.raise_if_cancelled()

        # -- diffusion -------------------------------------------------------------------------
        if initial_noise is not None:
            noise = np.asarray(initial_noise, dtype=np.float32)
            if noise.shape != (batch, frames, S.LATENT_CHANNELS):
                raise RequestError("request.bad_noise", f"initial noise must be {[batch, frames, 64]}, got {list(noise.shape)}.")
        else:
            noise = seed_noise(seed, batch, frames)
        plan = SamplingPlan(
            turbo=self.is_turbo, cond=cond, context=context, steps=int(r.steps), shift=float(r.shift),
            guidance=float(r.guidance), guidance_mode=r.guidance_mode, cfg_interval=(r.cfg_interval_start, r.cfg_interval_end),
            timesteps=r.timesteps, cover_strength=float(r.cover_strength) if plan_src.is_cover else 1.0,
            cond_non_cover=cond_nc, context_non_cover=context_nc,
            cover_noise_strength=float(r.cover_noise_strength) if plan_src.is_cover else 0.0,
            src_latents=src, repaint_mask=repaint_mask, clean_src=clean_src,
            repaint_crossfade_frames=int(r.repaint_crossfade_frames), repaint_injection_ratio=float(r.repaint_injection_ratio),
        )
        started = time.monotonic()
        tracker_start, tracker_span = STAGE_WEIGHTS["diffusion"]

        def on_step(done: int, total: int) -> None:
            elapsed = time.monotonic() - started
            eta = elapsed / done * (total - done) if done else None
            events(Progress("diffusion", done, total, eta, f"step {done}/{total}", tracker_start + tracker_span * done / total))

        events(Progress("diffusion", 0, 1, None, "sampling", tracker_start))
        latents = diffuse(self.backend, plan, noise, on_step, cancel)
        timings["diffusion"] = time.monotonic() - started
        if not np.isfinite(latents).all():
            raise MixgrvError("generate.not_finite", "The model produced NaN/Inf values. Try float32 (--device cpu) or another seed.")
        cancel.raise_if_cancelled()

        # -- decode ------------------------------------------------------------------------------
        started = time.monotonic()
        events(Progress("decode", 0, 1, None, "decoding audio", STAGE_WEIGHTS["decode"][0]))
        audio = self.backend.vae_decode(latents, chunk_size=decode_chunk(self.backend.info.device, frames), overlap=DECODE_OVERLAP)
        audio = S.peak_normalize(audio)
        if plan_src.splice is not None:
            wave, start_sample, end_sample = plan_src.splice
            audio = np.stack([splice_source(item, wave, start_sample, end_sample, int(r.repaint_wav_crossfade * S.SAMPLE_RATE))
                              for item in audio])
        # text2music is trimmed to the requested length; a take from a source or codes is T·1920 samples, never trimmed
        keep = S.output_samples(r.duration) if plan_src.trim else audio.shape[-1]
        items = [np.ascontiguousarray(audio[i, :, :keep]) for i in range(batch)]
        timings["decode"] = time.monotonic() - started
        events(Progress("decode", 1, 1, 0.0, "decoded", 1.0))
        info = self.info()
        if thought is not None:
            info["lm"] = thought.summary()  # (LM)
        source = plan_src.source.to_dict() if plan_src.source is not None else None
        if source is not None:
            source["offset_samples"] = plan_src.offset_samples
        return GenerationResult(
            audio=items, latents=latents, seeds=seeds, seed_drawn=seed_drawn, sample_rate=S.SAMPLE_RATE,
            request=r.to_dict(), info=info, timings={k: round(v, 4) for k, v in timings.items()},
            prompts={"caption": caption_prompt, "lyrics": lyric_prompt}, task=task, source=source,
        )

    # ---- pieces ------------------------------------------------------------------------------------
    def _check_silence(self, frames: int) -> None:
        if frames > self._silence.shape[0]:
            raise RequestError("request.too_long", f"{frames} latent frames exceed the silence latent ({self._silence.shape[0]} frames); choose a shorter duration.",
                               frames=frames, limit=int(self._silence.shape[0]))

    def encode_audio(self, audio: np.ndarray, sampler: "PosteriorSampler") -> np.ndarray:
        """[2, S] audio -> one posterior sample [S//1920, 64], upstream's tiled encode: windows of
        :func:`~mixgrv_app.core.tiling.encode_chunk_samples` with 2 s of context, each window a
        separate posterior sample ``mean + std·eps_k`` (eps from ``sampler``, channel-first as
        upstream draws it), the windows' cores concatenated."""
        hop = S.HOP
        frames = audio.shape[-1] // hop
        chunk = encode_chunk_samples(self.backend.info.device) // hop
        windows = overlap_discard_windows(frames, chunk, ENCODE_OVERLAP_SAMPLES // hop)
        parts = []
        for win_start, win_end, core_start, core_end in windows:
            piece = audio if len(windows) == 1 else audio[:, win_start * hop: win_end * hop]
            mean, std = self.backend.vae_encode(np.ascontiguousarray(piece[None], dtype=np.float32))
            eps = sampler.draw((1, S.LATENT_CHANNELS, mean.shape[1]))
            sample = mean[0] + std[0] * np.asarray(eps, dtype=np.float32)[0].T
            parts.append(sample[core_start - win_start: core_end - win_start])
        return np.concatenate(parts, axis=0).astype(np.float32)

    def _timbre(self, r: GenerationRequest, batch: int, sampler: "PosteriorSampler", rnd: random.Random | None,
                timings: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """Packed timbre references [N, 750, 64] and their batch indices. The reference's 10 s
        segments are placed by ``random.Random(seed)`` (tests may inject another)."""
        order = np.arange(batch, dtype=np.int64)
        if r.reference_audio:
            from mixgrv_app.core.audio import load_audio

            audio, _ = load_audio(r.reference_audio)
            audio = np.clip(audio, -1.0, 1.0)
            if float(np.abs(audio).sum()) > 1e-6:
                started = time.monotonic()
                segments = assemble_reference(audio, rnd if rnd is not None else random.Random(int(r.seed)))
                latent = self.encode_audio(segments, sampler)
                timings["reference_encode"] = time.monotonic() - started
                return np.broadcast_to(latent, (batch,) + latent.shape).copy(), order
        ref = self._silence[:TIMBRE_FRAMES]
        return np.broadcast_to(ref, (batch,) + ref.shape).copy(), order

    def _pad_to(self, latent: np.ndarray, frames: int) -> np.ndarray:
        """Silence-pad latents to ``frames`` with the silence latent's FIRST frames (upstream)."""
        if latent.shape[0] >= frames:
            return latent[:frames].astype(np.float32)
        return np.concatenate([latent, self._silence[: frames - latent.shape[0]]], axis=0).astype(np.float32)

    def _prepare_source(self, r: GenerationRequest, task: str, sampler: "PosteriorSampler",
                        timings: dict[str, float]) -> "SourcePlan":
        """What the DiT starts from, per task (upstream's rules; TASK_README's quirks list)."""
        silence = self._silence
        if task == "text2music":
            frames = S.latent_frames(r.duration)
            self._check_silence(frames)
            return SourcePlan(frames=frames, src=silence[:frames].copy(), target=silence[:frames].copy(),
                              metas_seconds=r.duration, trim=True)
        if task == "cover" and r.has_codes():
            codes = np.asarray(r.codes(), dtype=np.int64)
            frames = max(codes_frames(len(codes)), S.MIN_LATENT_FRAMES)
            self._check_silence(frames)
            hints = self._pad_to(self.backend.codes_to_hints(codes[None])[0], frames)
            return SourcePlan(frames=frames, src=hints, target=hints, hints=hints, is_cover=True, metas_seconds=r.duration)

        from mixgrv_app.core.audio import load_audio
        from mixgrv_app.core.errors import AudioError
        from mixgrv_app.core.requests import check_region, check_source_seconds, file_sha256, source_error

        path = str(r.source_audio)
        try:
            audio, _info = load_audio(path)
        except AudioError as exc:
            raise source_error(path, exc) from exc
        audio = np.clip(audio, -1.0, 1.0)
        samples = audio.shape[-1]
        seconds = samples / S.SAMPLE_RATE
        check_source_seconds(path, seconds)
        source = SourceInfo(path=path, seconds=seconds, sha256=file_sha256(path))
        span = splice = None
        left = 0
        if task in REGION_TASKS:
            start_s, end_s = check_region(task, r.repaint_start, r.repaint_end, seconds)
            left_s = max(0.0, -start_s)
            left, right = int(left_s * S.SAMPLE_RATE), int(max(0.0, end_s - seconds) * S.SAMPLE_RATE)
            if left or right:
                audio = np.pad(audio, ((0, 0), (left, right)))
            start_s, end_s = start_s + left_s, end_s + left_s
        started = time.monotonic()
        latent = self.encode_audio(audio, sampler)
        timings["source_encode"] = time.monotonic() - started
        frames = max(latent.shape[0], S.MIN_LATENT_FRAMES)
        self._check_silence(frames)
        target = self._pad_to(latent, frames)
        src = target
        if task in REGION_TASKS:
            a = min(max(int(start_s * S.SAMPLE_RATE // S.HOP), 0), frames)
            b = min(max(int(end_s * S.SAMPLE_RATE // S.HOP), a), frames)
            span = (a, b)
            if task != "lego":          # lego keeps the source inside the span ("based on the audio context")
                src = target.copy()
                src[a:b] = silence[a:b]  # position-aligned silence
            start_sample, end_sample = int(start_s * S.SAMPLE_RATE), int(end_s * S.SAMPLE_RATE)
            whole = start_sample == 0 and end_sample >= min(frames * S.HOP, audio.shape[-1])
            if r.repaint_wav_crossfade > 0 and not whole:
                splice = (audio, start_sample, end_sample)
        return SourcePlan(frames=frames, src=src, target=target, is_cover=task == "cover", span=span, splice=splice,
                          metas_seconds=float(int(seconds)), source=source, offset_samples=left)

    def audio_codes_of(self, path: str | Path, seed: int = 0, posterior_eps: PosteriorEps | None = None) -> list[int]:
        """The 5 Hz codes of an audio file (clamped to ±1, VAE-encoded with the posterior rule of
        ``seed``, then the audio tokenizer; no silence padding beyond the last group of 5): what
        the LM's "understand" reads, and what a cover from codes turns back into hints."""
        from mixgrv_app.core.audio import load_audio
        from mixgrv_app.core.errors import AudioError
        from mixgrv_app.core.requests import check_source_seconds, source_error

        try:
            audio, _info = load_audio(path)
        except AudioError as exc:
            raise source_error(str(path), exc) from exc
        check_source_seconds(str(path), audio.shape[-1] / S.SAMPLE_RATE)
        latent = self.encode_audio(np.clip(audio, -1.0, 1.0), PosteriorSampler(posterior_eps or posterior_eps_rule(seed)))
        try:
            return [int(c) for c in self.backend.audio_to_codes(latent[None])[0]]
        finally:
            self.backend.release_memory()

    def close(self) -> None:
        close = getattr(self.backend, "close", None)
        if callable(close):
            close()


# ---- source handling -----------------------------------------------------------------------------

PosteriorEps = Callable[[int, tuple], np.ndarray]
POSTERIOR_STREAM = 0x5EED


def posterior_eps_rule(seed: int) -> PosteriorEps:
    """The VAE posterior seed rule. Upstream samples ``mean + std·eps`` with unseeded torch
    noise, so its cover/repaint sources differ on every run; here the k-th posterior sample of a
    take (k = 0, 1, … in encode order: the source's windows first, then the reference's) uses
    ``eps_k = numpy.random.default_rng([seed, 0x5EED, k]).standard_normal((1, 64, frames), float32)``
    (channel-first, as upstream draws it) — the same seed reproduces a cover or repaint take on
    every backend. The source is encoded once per take and shared by its batch items."""
    def eps(k: int, shape: tuple) -> np.ndarray:
        return np.random.default_rng([int(seed), POSTERIOR_STREAM, int(k)]).standard_normal(shape, dtype=np.float32)
    return eps


class PosteriorSampler:
    """Hands out eps_0, eps_1, … in call order."""

    def __init__(self, eps: PosteriorEps) -> None:
        self.eps, self.k = eps, 0

    def draw(self, shape: tuple) -> np.ndarray:
        out = np.asarray(self.eps(self.k, tuple(shape)), dtype=np.float32)
        if out.shape != tuple(shape):
            raise ValueError(f"posterior eps {self.k} has shape {out.shape}, expected {tuple(shape)}")
        self.k += 1
        return out


@dataclass
class SourcePlan:
    """The latents a take starts from: ``src`` (what the DiT context gets before the cover
    replacement), ``target`` (the clean source: repaint injection and crossfade), ``hints``
    (decoded codes), the repaint ``span`` in frames, and the waveform ``splice`` (padded
    source, start, end samples) applied after decoding."""

    frames: int
    src: np.ndarray
    target: np.ndarray
    hints: np.ndarray | None = None
    is_cover: bool = False
    span: tuple[int, int] | None = None
    splice: tuple[np.ndarray, int, int] | None = None
    metas_seconds: float | None = None
    trim: bool = False
    source: SourceInfo | None = None
    offset_samples: int = 0


def splice_source(audio: np.ndarray, source: np.ndarray, start: int, end: int, ramp: int) -> np.ndarray:
    """Upstream's waveform splice after a repaint: outside [start, end) the output is the
    (padded) source, with linear ramps of ``ramp`` samples just OUTSIDE the region; samples
    past the source (or the output) keep the decoded audio. [C, N] -> [C, N]."""
    out = audio.copy()
    n = min(audio.shape[-1], source.shape[-1])
    start, end = max(0, min(start, n)), max(0, min(end, n))
    left_keep, right_keep = max(0, start - ramp), min(n, end + ramp)
    out[:, :left_keep] = source[:, :left_keep]
    out[:, right_keep:n] = source[:, right_keep:n]
    if start > left_keep:
        w = S.torch_linspace_f32(0.0, 1.0, ramp + 2)[1:-1][ramp - (start - left_keep):]   # decoded weight rising
        out[:, left_keep:start] = w * audio[:, left_keep:start] + (np.float32(1.0) - w) * source[:, left_keep:start]
    if right_keep > end:
        w = S.torch_linspace_f32(1.0, 0.0, ramp + 2)[1:-1][: right_keep - end]            # decoded weight falling
        out[:, end:right_keep] = w * audio[:, end:right_keep] + (np.float32(1.0) - w) * source[:, end:right_keep]
    return out.astype(np.float32)


def assemble_reference(audio: np.ndarray, rnd: random.Random) -> np.ndarray:
    """Upstream's timbre reference: repeat to ≥30 s, then three random 10 s segments from the
    front, middle and back thirds, concatenated (30 s)."""
    target, segment = REFERENCE_SECONDS * S.SAMPLE_RATE, SEGMENT_SECONDS * S.SAMPLE_RATE
    if audio.shape[-1] < target:
        audio = np.tile(audio, (1, math.ceil(target / audio.shape[-1])))
    total = audio.shape[-1]
    third = total // 3
    front = rnd.randint(0, max(0, third - segment))
    middle = third + rnd.randint(0, max(0, third - segment))
    back = 2 * third + rnd.randint(0, max(0, (total - 2 * third) - segment))
    return np.concatenate([audio[:, front:front + segment], audio[:, middle:middle + segment],
                           audio[:, back:back + segment]], axis=-1)
