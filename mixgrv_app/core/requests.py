"""What a musician asks for: the generation request, validated before any model work.

One dataclass serves the Generation tab, the CLI and the tests. ``validate()`` raises a
:class:`~mixgrv_app.core.errors.RequestError` whose ``code`` names the bad field (messages in
ui/messages.py), so a typo never costs a model load. Defaults that depend on the variant
(steps, guidance, shift) are resolved by :meth:`GenerationRequest.resolved`, once, in one place.

(design.md puts requests in configs.py; that module holds the checkpoint configs, so requests
live here.)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixgrv_app.core.errors import RequestError
from mixgrv_app.core.models import TURBO
from mixgrv_app.core.prompts import LANGUAGES

TASKS = ("text2music", "cover", "repaint")
GUIDANCE_MODES = ("apg", "adg")
DURATION_RANGE = (10.0, 600.0)
BATCH_RANGE = (1, 8)
BPM_RANGE = (30, 300)
STEPS_RANGE = (1, 200)
GUIDANCE_RANGE = (1.0, 30.0)
SHIFT_RANGE = (0.1, 10.0)
TIME_SIGNATURES = ("2", "3", "4", "6")
SEED_LIMIT = 2**32  # seeds are 0 .. 2**32-1 (upstream's range); seed + i may go beyond

TURBO_DEFAULTS = {"steps": 8, "guidance": 1.0, "shift": 3.0}
BASE_DEFAULTS = {"steps": 30, "guidance": 7.0, "shift": 1.0}


def is_turbo_variant(variant: str) -> bool:
    """Turbo checkpoints carry "turbo" in their folder name (the config's is_turbo decides at load)."""
    return "turbo" in variant.lower()


# ---- the request form's table: one home for what a person may set ------------------------------
# The Generation tab's form takes its ranges, starting values and lists from here; validate()
# below checks the same ranges. (Kept in one block: other fields are added to the request below.)
@dataclass(frozen=True)
class FieldLimits:
    minimum: float
    maximum: float
    default: float | None = None  # what a new form shows; None: "auto" or the variant decides
    step: float = 1.0


TURBO_MAX_STEPS = 8  # turbo checkpoints are distilled for 8 steps; the form offers no more
REQUEST_FIELDS: dict[str, FieldLimits] = {
    "duration": FieldLimits(*DURATION_RANGE, default=60.0, step=5.0),
    "bpm": FieldLimits(*BPM_RANGE, default=120),
    "steps": FieldLimits(*STEPS_RANGE),
    "guidance": FieldLimits(*GUIDANCE_RANGE, step=0.5),
    "shift": FieldLimits(*SHIFT_RANGE, step=0.5),
    "seed": FieldLimits(0, SEED_LIMIT - 1, default=42),
    "batch_size": FieldLimits(*BATCH_RANGE, default=2),
}
# Upstream's keyscale names: note + accidental + " major"/" minor" (70).
KEY_NAMES: tuple[str, ...] = tuple(f"{note}{accidental} {mode}" for note in "CDEFGAB"
                                   for accidental in ("", "#", "b", "♯", "♭") for mode in ("major", "minor"))


def variant_defaults(variant: str) -> dict[str, float]:
    """steps / guidance / shift a variant uses when the request leaves them out."""
    return dict(TURBO_DEFAULTS if is_turbo_variant(variant) else BASE_DEFAULTS)


def max_steps(variant: str) -> int:
    return TURBO_MAX_STEPS if is_turbo_variant(variant) else int(STEPS_RANGE[1])


def uses_guidance(variant: str) -> bool:
    """Turbo models are distilled and ignore guidance; base and SFT use it."""
    return not is_turbo_variant(variant)


@dataclass(frozen=True)
class AdapterSpec:
    """A LoRA adapter folder and its user scale (0..1; upstream multiplies alpha/r by it)."""

    path: str
    scale: float = 1.0
    name: str | None = None

    @classmethod
    def parse(cls, text: str) -> "AdapterSpec":
        """``DIR[:SCALE]`` as the CLI takes it (a Windows drive letter is not a scale)."""
        path, scale = text, 1.0
        head, sep, tail = text.rpartition(":")
        if sep and head:
            try:
                scale = float(tail)
                path = head
            except ValueError:
                path, scale = text, 1.0
        return cls(path=path, scale=scale)


@dataclass
class GenerationRequest:
    """A text2music / cover / repaint request. ``None`` means "the variant's default"."""

    caption: str = ""
    lyrics: str = ""
    instrumental: bool = False
    language: str = "unknown"
    bpm: int | None = None
    keyscale: str | None = None
    timesignature: str | int | None = None
    duration: float = 30.0
    variant: str = TURBO
    steps: int | None = None
    guidance: float | None = None
    shift: float | None = None
    seed: int | None = None
    batch_size: int = 1
    reference_audio: str | None = None
    adapters: list[AdapterSpec] | None = None   # None: keep what the Generator has loaded
    task: str = "text2music"
    source_audio: str | None = None
    cover_strength: float = 1.0                 # fraction of steps on the cover condition
    cover_noise_strength: float = 0.0           # 0 = start from noise; →1 = start near the source
    repaint_start: float | None = None          # seconds; negative = outpaint before the source
    repaint_end: float | None = None            # seconds; beyond the source = outpaint after it
    repaint_crossfade_frames: int = 10
    repaint_injection_ratio: float = 0.5
    guidance_mode: str = "apg"
    cfg_interval_start: float = 0.0
    cfg_interval_end: float = 1.0
    timesteps: tuple[float, ...] | None = None  # turbo custom timesteps (snapped)
    instruction: str | None = None              # override of the task instruction
    extra: dict[str, Any] = field(default_factory=dict)  # caller's notes, copied to the sidecar

    # ---- validation ------------------------------------------------------------------------
    def validate(self, *, duration_range: tuple[float, float] = DURATION_RANGE) -> "GenerationRequest":
        """Raise RequestError for the first bad value; return self for chaining."""
        def bad(code: str, message: str, **params: Any) -> RequestError:
            return RequestError(code, message, **params)

        if not isinstance(self.caption, str) or not self.caption.strip():
            raise bad("request.caption_missing", "The caption is empty. Describe the music you want (genre, instruments, mood).")
        if self.language not in LANGUAGES:
            raise bad("request.bad_language", f"'{self.language}' is not a supported language code. Use one of: {', '.join(LANGUAGES)}.",
                      value=str(self.language))
        lo, hi = duration_range
        if not _finite(self.duration) or not lo <= float(self.duration) <= hi:
            raise bad("request.bad_duration", f"The duration {self.duration} s is out of range; choose {lo:g} to {hi:g} seconds.",
                      value=self.duration, min=lo, max=hi)
        if self.bpm is not None and (not _finite(self.bpm) or not BPM_RANGE[0] <= float(self.bpm) <= BPM_RANGE[1]):
            raise bad("request.bad_bpm", f"The BPM {self.bpm} is out of range; choose {BPM_RANGE[0]} to {BPM_RANGE[1]} or leave it empty.",
                      value=self.bpm, min=BPM_RANGE[0], max=BPM_RANGE[1])
        if self.timesignature not in (None, "") and str(self.timesignature) not in TIME_SIGNATURES:
            raise bad("request.bad_time_signature", f"The time signature {self.timesignature} is not supported; use one of {', '.join(TIME_SIGNATURES)}.",
                      value=str(self.timesignature), choices=", ".join(TIME_SIGNATURES))
        if self.keyscale is not None and len(str(self.keyscale)) > 40:
            raise bad("request.bad_key", "The key is too long; write it like 'C major' or 'F# minor'.", value=str(self.keyscale))
        if self.steps is not None and (not _is_int(self.steps) or not STEPS_RANGE[0] <= int(self.steps) <= STEPS_RANGE[1]):
            raise bad("request.bad_steps", f"The step count {self.steps} is out of range; choose {STEPS_RANGE[0]} to {STEPS_RANGE[1]}.",
                      value=self.steps, min=STEPS_RANGE[0], max=STEPS_RANGE[1])
        if self.guidance is not None and (not _finite(self.guidance) or not GUIDANCE_RANGE[0] <= float(self.guidance) <= GUIDANCE_RANGE[1]):
            raise bad("request.bad_guidance", f"The guidance {self.guidance} is out of range; choose {GUIDANCE_RANGE[0]:g} to {GUIDANCE_RANGE[1]:g}.",
                      value=self.guidance, min=GUIDANCE_RANGE[0], max=GUIDANCE_RANGE[1])
        if self.shift is not None and (not _finite(self.shift) or not SHIFT_RANGE[0] <= float(self.shift) <= SHIFT_RANGE[1]):
            raise bad("request.bad_shift", f"The shift {self.shift} is out of range; choose {SHIFT_RANGE[0]:g} to {SHIFT_RANGE[1]:g}.",
                      value=self.shift, min=SHIFT_RANGE[0], max=SHIFT_RANGE[1])
        if self.seed is not None and (not _is_int(self.seed) or not 0 <= int(self.seed) < SEED_LIMIT):
            raise bad("request.bad_seed", f"The seed {self.seed} is not valid; use a whole number from 0 to {SEED_LIMIT - 1}.",
                      value=self.seed, max=SEED_LIMIT - 1)
        if not _is_int(self.batch_size) or not BATCH_RANGE[0] <= int(self.batch_size) <= BATCH_RANGE[1]:
            raise bad("request.bad_batch", f"The batch size {self.batch_size} is out of range; choose {BATCH_RANGE[0]} to {BATCH_RANGE[1]}.",
                      value=self.batch_size, min=BATCH_RANGE[0], max=BATCH_RANGE[1])
        if self.task not in TASKS:
            raise bad("request.bad_task", f"Unknown task '{self.task}'; use one of {', '.join(TASKS)}.", value=str(self.task))
        if self.guidance_mode not in GUIDANCE_MODES:
            raise bad("request.bad_guidance_mode", f"Unknown guidance '{self.guidance_mode}'; use apg or adg.", value=str(self.guidance_mode))
        for name in ("cover_strength", "cover_noise_strength", "repaint_injection_ratio", "cfg_interval_start", "cfg_interval_end"):
            value = getattr(self, name)
            if not _finite(value) or not 0.0 <= float(value) <= 1.0:
                raise bad("request.bad_fraction", f"{name} must be between 0 and 1 (got {value}).", field=name, value=value)
        if self.cfg_interval_start > self.cfg_interval_end:
            raise bad("request.bad_fraction", "cfg_interval_start must not exceed cfg_interval_end.", field="cfg_interval_start",
                      value=self.cfg_interval_start)
        if self.reference_audio:
            _require_file(self.reference_audio, "reference_audio")
        if self.task in ("cover", "repaint"):
            if not self.source_audio:
                raise bad("request.source_required", f"The {self.task} task needs a source audio file. Choose one and try again.", task=self.task)
            _require_file(self.source_audio, "source_audio")
        if self.task == "repaint":
            start = 0.0 if self.repaint_start is None else self.repaint_start
            end = self.repaint_end
            if end is None or not _finite(start) or not _finite(end) or float(end) <= float(start):
                raise bad("request.bad_region", "The repaint region needs an end after its start (in seconds).",
                          start=start, end=end)
        if self.timesteps is not None and (len(self.timesteps) == 0 or not all(_finite(t) and 0 <= float(t) <= 1 for t in self.timesteps)):
            raise bad("request.bad_timesteps", "Custom timesteps must be numbers between 0 and 1.")
        for adapter in self.adapters or []:
            if not _finite(adapter.scale) or not 0.0 <= float(adapter.scale) <= 1.0:
                raise bad("request.bad_lora_scale", f"The LoRA scale {adapter.scale} for {adapter.path} is out of range; choose 0 to 1.",
                          value=adapter.scale, path=adapter.path)
        return self

    # ---- defaults ------------------------------------------------------------------------------
    def resolved(self, is_turbo: bool | None = None) -> "GenerationRequest":
        """A copy with steps/guidance/shift filled from the variant's defaults."""
        turbo = is_turbo_variant(self.variant) if is_turbo is None else is_turbo
        defaults = TURBO_DEFAULTS if turbo else BASE_DEFAULTS
        return dataclasses.replace(
            self,
            steps=defaults["steps"] if self.steps is None else int(self.steps),
            guidance=defaults["guidance"] if self.guidance is None else float(self.guidance),
            shift=defaults["shift"] if self.shift is None else float(self.shift),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly copy (for the sidecar)."""
        data = dataclasses.asdict(self)
        if self.timesteps is not None:
            data["timesteps"] = list(self.timesteps)
        return data


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) or (isinstance(value, float) and value.is_integer())


def _require_file(path: str, field_name: str) -> None:
    if not Path(path).is_file():
        raise RequestError("request.file_not_found", f"The {field_name.replace('_', ' ')} {path} was not found. Check the path and try again.",
                           field=field_name, path=str(path))
