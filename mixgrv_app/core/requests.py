"""What a musician asks for: the generation request, validated before any model work.

One dataclass serves the Generation tab, the CLI and the tests. ``validate()`` raises a
:class:`~mixgrv_app.core.errors.RequestError` whose ``code`` names the bad field (messages in
ui/messages.py), so a typo never costs a model load. Defaults that depend on the variant
(steps, guidance, shift) are resolved by :meth:`GenerationRequest.resolved`, once, in one place.

Tasks (upstream's seven, facts §6.3): text2music; cover (of a source audio, or of pasted 5 Hz
``audio_codes`` — codes turn text2music into a cover, as upstream does); repaint (a region
inside the source); extend (a region reaching past either end: negative start or an end past
the source); lego (add ``track`` to the source), extract (isolate ``track``) and complete (add
``tracks``) — these three only on a base model, as upstream's app allows. A form asks
:func:`task_fields` which fields a task shows, :func:`task_available` whether the chosen model
can run it, and :func:`region_limits` how far a region may go for a source of a given length;
:func:`inspect_source` decodes a source once to check it (length limit, region) before models
load. With a source (or codes) the requested duration is ignored: the take's length follows the
source (at least 5.12 s), and the prompt's metas say ``int(source seconds)``.

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
from mixgrv_app.core.prompts import LANGUAGES, TRACK_NAMES

TASKS = ("text2music", "cover", "repaint", "extend", "lego", "extract", "complete")
BASE_ONLY_TASKS = ("lego", "extract", "complete")   # upstream's UI: pure base models only
SOURCE_TASKS = ("cover", "repaint", "extend", "lego", "extract", "complete")
REGION_TASKS = ("repaint", "extend", "lego")
TRACK_TASKS = ("lego", "extract")
BASE_VARIANT = "acestep-v15-base"
MAX_SOURCE_SECONDS = 600.0       # a source (and an extended take) is at most 10 minutes
# Which request fields a form shows for each task (the caption, lyrics, metas, seed, steps ...
# are common to all). "source_audio" of cover may be replaced by "audio_codes".
TASK_FIELDS: dict[str, tuple[str, ...]] = {
    "text2music": ("duration",),
    "cover": ("source_audio", "audio_codes", "cover_strength", "cover_noise_strength"),
    "repaint": ("source_audio", "repaint_start", "repaint_end"),
    "extend": ("source_audio", "repaint_start", "repaint_end"),
    "lego": ("source_audio", "track", "repaint_start", "repaint_end"),
    "extract": ("source_audio", "track"),
    "complete": ("source_audio", "tracks"),
}
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
def is_base_variant(variant: str) -> bool:
    """A "pure base" model as upstream's app decides it: "base" in the name, neither sft nor turbo."""
    name = variant.lower()
    return "base" in name and "sft" not in name and "turbo" not in name


def lm_may_choose_length(task: str, think: bool) -> bool:
    """A text-to-music take planned by the LM may leave its length empty: the plan's CoT names one."""
    return bool(think) and task == "text2music"


def task_fields(task: str) -> tuple[str, ...]:
    """The request fields a form shows for ``task`` (besides caption, lyrics, metas, seed ...)."""
    return TASK_FIELDS[task]


def task_available(task: str, variant: str) -> bool:
    """Can ``variant`` run ``task``? lego/extract/complete need a base model (upstream's UI rule)."""
    return task not in BASE_ONLY_TASKS or is_base_variant(variant)


def task_unavailable_error(task: str, variant: str) -> RequestError:
    """The coded error for a base-only task on a turbo/sft model (names the model to use)."""
    return RequestError(
        "request.task_needs_base",
        f"The {task} task runs only on the base model ({BASE_VARIANT}), not on {variant}: turbo and sft were "
        f"distilled/fine-tuned for text2music, cover and repaint, so upstream offers {task} only with base. "
        f"Choose {BASE_VARIANT} and try again.",
        task=task, variant=variant, model=BASE_VARIANT)


@dataclass(frozen=True)
class RegionLimits:
    """Where a region may lie for a task and a source of ``source_seconds`` (seconds; the form's
    spin boxes and the waveform selection use these). ``must_extend``: extend needs a start
    below 0 or an end past the source; ``max_total``: the source plus what is added."""

    min_start: float
    max_end: float
    source_seconds: float
    must_extend: bool = False
    max_total: float = MAX_SOURCE_SECONDS


def region_limits(task: str, source_seconds: float) -> RegionLimits:
    """Repaint and lego stay inside the source; extend may add up to 600 s − source in total."""
    room = max(0.0, MAX_SOURCE_SECONDS - float(source_seconds))
    if task == "extend":
        return RegionLimits(-room, float(source_seconds) + room, float(source_seconds), must_extend=True)
    return RegionLimits(0.0, float(source_seconds), float(source_seconds))


def check_region(task: str, start: float | None, end: float | None, source_seconds: float) -> tuple[float, float]:
    """The effective region (start, end) in seconds, or a ``request.region_outside`` error."""
    limits = region_limits(task, source_seconds)
    start_s = 0.0 if start is None else float(start)
    end_s = float(source_seconds) if end is None else float(end)
    added = max(0.0, -start_s) + max(0.0, end_s - float(source_seconds))
    inside = limits.min_start <= start_s < end_s <= limits.max_end and float(source_seconds) + added <= limits.max_total + 1e-9
    if limits.must_extend and not (start_s < 0.0 or end_s > float(source_seconds)):
        inside = False
    if task == "extend" and (start_s >= float(source_seconds) or end_s <= 0.0):
        inside = False   # the region must touch the source, else there is nothing to extend from
    if not inside:
        if task == "extend":
            allowed = (f"a start below 0 or an end past {source_seconds:g} s, at most {MAX_SOURCE_SECONDS:g} s "
                       f"in total")
        else:
            allowed = f"between 0 and {source_seconds:g} s"
        raise RequestError("request.region_outside",
                           f"The {task} region {start_s:g}–{end_s:g} s is not allowed for this {source_seconds:g} s source; "
                           f"choose {allowed} (end after start).",
                           task=task, start=start_s, end=end_s, source_seconds=round(float(source_seconds), 3), allowed=allowed)
    return start_s, end_s


@dataclass(frozen=True)
class SourceInfo:
    """A decoded source file: its path, length and SHA-256 (recorded in the sidecar and history)."""

    path: str
    seconds: float
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def file_sha256(path: str | Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_error(path: str, exc: BaseException) -> RequestError:
    """A source that cannot be decoded, as one coded request error."""
    reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return RequestError("request.source_undecodable",
                        f"The source {Path(path).name} cannot be decoded ({reason}). Convert it to WAV or FLAC and choose it again.",
                        path=str(path), name=Path(path).name, reason=reason)


def check_source_seconds(path: str, seconds: float) -> None:
    if seconds > MAX_SOURCE_SECONDS:
        raise RequestError("request.source_too_long",
                           f"The source {Path(path).name} is {seconds:.0f} s long; sources can be at most {MAX_SOURCE_SECONDS:g} s. "
                           "Trim it in an audio editor and choose it again.",
                           path=str(path), name=Path(path).name, seconds=round(seconds, 1), max=MAX_SOURCE_SECONDS)


def inspect_source(request: "GenerationRequest") -> SourceInfo | None:
    """Decode the request's source once (no model): its length, the 600 s limit, the region.
    None when the request has no source audio in use (text2music, or a cover from codes)."""
    if not request.uses_source():
        return None
    from mixgrv_app.core.audio import decode
    from mixgrv_app.core.errors import AudioError

    path = str(request.source_audio)
    try:
        info = decode(path).info
    except AudioError as exc:
        raise source_error(path, exc) from exc
    seconds = float(info.duration)
    check_source_seconds(path, seconds)
    if request.task in REGION_TASKS:
        check_region(request.task, request.repaint_start, request.repaint_end, seconds)
    return SourceInfo(path=path, seconds=seconds, sha256=file_sha256(path))


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
    """One take's settings (any task). ``None`` means "the variant's default"."""

    caption: str = ""
    lyrics: str = ""
    instrumental: bool = False
    language: str = "unknown"
    bpm: int | None = None
    keyscale: str | None = None
    timesignature: str | int | None = None
    duration: float | None = 30.0              # text2music only; None only with a source or codes
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
    audio_codes: str | None = None              # pasted <|audio_code_N|> string: a cover of these codes
    repaint_start: float | None = None          # seconds; None = 0; extend: negative = add before the source
    repaint_end: float | None = None            # seconds; None = source end; extend: past the end = add after
    track: str | None = None                    # lego / extract: one of prompts.TRACK_NAMES
    tracks: list[str] | None = None             # complete: the tracks to add
    repaint_crossfade_frames: int = 12          # latent crossfade at the region borders (upstream "balanced")
    repaint_injection_ratio: float = 0.5        # fraction of steps that re-inject the source outside the region
    repaint_wav_crossfade: float = 0.025        # seconds of waveform crossfade into the source; 0 = no splice
    guidance_mode: str = "apg"
    cfg_interval_start: float = 0.0
    cfg_interval_end: float = 1.0
    timesteps: tuple[float, ...] | None = None  # turbo custom timesteps (snapped)
    instruction: str | None = None              # override of the task instruction
    extra: dict[str, Any] = field(default_factory=dict)  # caller's notes, copied to the sidecar
    # -- think: the 5 Hz LM plans the take first (core/lm/think.py; defaults = upstream's) ------ (LM)
    think: bool = False
    lm: str = "0.6B"                            # acestep-5Hz-lm-<size>/
    lm_temperature: float = 0.85
    lm_cfg: float = 2.0                         # codes phase only
    lm_top_p: float | None = 0.9
    lm_top_k: int | None = None                 # None/0 = off
    lm_negative: str = "NO USER INPUT"
    use_cot_metas: bool = True                  # CoT bpm/key/time signature fill what the user left empty
    use_cot_caption: bool = True                # the CoT caption replaces the DiT caption
    use_cot_language: bool = True               # the CoT language reaches the lyric prompt when "unknown"

    # ---- validation ------------------------------------------------------------------------
    def validate(self, *, duration_range: tuple[float, float] = DURATION_RANGE) -> "GenerationRequest":
        """Raise RequestError for the first bad value; return self for chaining."""
        def bad(code: str, message: str, **params: Any) -> RequestError:
            return RequestError(code, message, **params)

        if self.task not in TASKS:
            raise bad("request.bad_task", f"Unknown task '{self.task}'; use one of {', '.join(TASKS)}.", value=str(self.task))
        if self.think:  # (LM)
            from mixgrv_app.core.lm.think import check_request

            check_request(self)
        if self.audio_codes is not None and str(self.audio_codes).strip():
            if self.task not in ("text2music", "cover"):
                raise bad("request.codes_need_cover", f"Pasted audio codes make a cover; the {self.task} task cannot use them. "
                          "Choose the cover task or clear the codes.", task=self.task)
            if not self.has_codes():
                raise bad("request.bad_audio_codes", "The pasted audio codes contain no <|audio_code_N|> tokens. "
                          "Paste the code string a Think take wrote, or clear the field.")
        if not isinstance(self.caption, str) or (self.task == "text2music" and not self.has_codes() and not self.caption.strip()):
            raise bad("request.caption_missing", "The caption is empty. Describe the music you want (genre, instruments, mood).")
        if self.language not in LANGUAGES:
            raise bad("request.bad_language", f"'{self.language}' is not a supported language code. Use one of: {', '.join(LANGUAGES)}.",
                      value=str(self.language))
        lo, hi = duration_range
        if self.duration is None and self.task == "text2music" and not self.has_codes() and not self.length_from_lm():
            raise bad("request.duration_missing", "Text to music needs a duration; give one in seconds.", min=lo, max=hi)
        if self.duration is not None and self.task == "text2music" and not self.has_codes() and (
                not _finite(self.duration) or not lo <= float(self.duration) <= hi):
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
        if self.task in SOURCE_TASKS and not (self.task == "cover" and self.has_codes()):
            if not self.source_audio:
                raise bad("request.source_required", f"The {self.task} task needs a source audio file. Choose one and try again.", task=self.task)
            _require_file(self.source_audio, "source_audio")
        if self.task in REGION_TASKS:
            start = 0.0 if self.repaint_start is None else self.repaint_start
            end = self.repaint_end
            if not _finite(start) or (end is not None and (not _finite(end) or float(end) <= float(start))):
                raise bad("request.bad_region", f"The {self.task} region needs an end after its start (in seconds).",
                          start=start, end=end)
            if self.task in ("repaint", "lego") and float(start) < 0:
                raise bad("request.region_outside", f"The {self.task} region must start inside the source (at 0 s or later); "
                          "to add music before it, use the extend task.", task=self.task, start=float(start), end=end,
                          source_seconds=None, allowed="0 s or later")
        if self.task in TRACK_TASKS:
            if not self.track or str(self.track).lower() not in TRACK_NAMES:
                raise bad("request.bad_track", f"The {self.task} task needs a track, one of: {', '.join(TRACK_NAMES)}.",
                          task=self.task, value=str(self.track or ""), choices=", ".join(TRACK_NAMES))
        if self.task == "complete":
            names = list(self.tracks or [])
            if not names or any(str(n).lower() not in TRACK_NAMES for n in names):
                bad_names = [str(n) for n in names if str(n).lower() not in TRACK_NAMES]
                raise bad("request.bad_track", f"The complete task needs one or more tracks from: {', '.join(TRACK_NAMES)}.",
                          task=self.task, value=", ".join(bad_names), choices=", ".join(TRACK_NAMES))
        if not task_available(self.task, self.variant):
            raise task_unavailable_error(self.task, self.variant)
        for name in ("repaint_wav_crossfade",):
            value = getattr(self, name)
            if not _finite(value) or not 0.0 <= float(value) <= 1.0:
                raise bad("request.bad_fraction", f"{name} must be between 0 and 1 (got {value}).", field=name, value=value)
        if not _is_int(self.repaint_crossfade_frames) or not 0 <= int(self.repaint_crossfade_frames) <= 250:
            raise bad("request.bad_fraction", "repaint_crossfade_frames must be a whole number from 0 to 250.",
                      field="repaint_crossfade_frames", value=self.repaint_crossfade_frames)
        if self.timesteps is not None and (len(self.timesteps) == 0 or not all(_finite(t) and 0 <= float(t) <= 1 for t in self.timesteps)):
            raise bad("request.bad_timesteps", "Custom timesteps must be numbers between 0 and 1.")
        for adapter in self.adapters or []:
            if not _finite(adapter.scale) or not 0.0 <= float(adapter.scale) <= 1.0:
                raise bad("request.bad_lora_scale", f"The LoRA scale {adapter.scale} for {adapter.path} is out of range; choose 0 to 1.",
                          value=adapter.scale, path=adapter.path)
        return self

    # ---- task helpers ----------------------------------------------------------------------------
    def codes(self) -> list[int]:
        """The pasted code ids (clamped to the codebook), [] without codes."""
        from mixgrv_app.core.audio_codes import parse_audio_codes

        return parse_audio_codes(self.audio_codes)

    def length_from_lm(self) -> bool:
        """No length given and thinking on: the LM's plan chooses the length (``lm.think``)."""
        return self.duration is None and lm_may_choose_length(self.task, self.think)

    def has_codes(self) -> bool:
        return bool(self.codes())

    def effective_task(self) -> str:
        """Upstream's switch: text2music with pasted codes is a cover."""
        return "cover" if self.task == "text2music" and self.has_codes() else self.task

    def uses_source(self) -> bool:
        """Is the source audio read? (a cover from codes ignores it, as upstream does)"""
        task = self.effective_task()
        return task in SOURCE_TASKS and not (task == "cover" and self.has_codes())

    def instruction_text(self) -> str:
        """The task instruction upstream's app builds (track names upper-cased as given)."""
        from mixgrv_app.core import prompts

        task = self.effective_task()
        if task == "cover" and self.has_codes():
            return prompts.COVER_INSTRUCTION   # upstream discards any other instruction here
        if self.instruction:
            return self.instruction
        return prompts.task_instruction(task, self.track, self.tracks)

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
        if self.tracks is not None:
            data["tracks"] = list(self.tracks)
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


# ---- NOTE(ui): added by the app side (issue 16, the Generation tab's source panel) -------------
# The "extend by N seconds before / after" control turns a direction and a length into a region
# here, so the rule (how much of the source the new part overlaps, to join it smoothly) has one home.
EXTEND_DEFAULT_SECONDS = 10.0       # what the extend control offers first
EXTEND_OVERLAP_SECONDS = 2.0        # of the source repainted with the new part (at most a quarter of it)
EXTEND_DIRECTIONS = ("after", "before")


def extend_region(source_seconds: float, seconds: float, direction: str = "after") -> tuple[float, float]:
    """The extend region that adds ``seconds`` after (or before) a source of ``source_seconds``."""
    src = float(source_seconds)
    overlap = min(EXTEND_OVERLAP_SECONDS, src / 4.0)
    limits = region_limits("extend", src)
    if direction == "before":
        return max(limits.min_start, -float(seconds)), overlap
    return src - overlap, min(limits.max_end, src + float(seconds))


def variant_family(variant: str) -> str:
    """"turbo", "base" or "sft" (what a model chooser explains in one line); "" for another kind."""
    if is_turbo_variant(variant):
        return "turbo"
    if is_base_variant(variant):
        return "base"
    return "sft" if "sft" in variant.lower() else ""
