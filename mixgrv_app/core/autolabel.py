"""Auto-label: the 5 Hz LM describes a dataset's songs (the Training tab's 자동 라벨, `mixgrv dataset label`).

For each song (every song, or only the unlabelled ones — the default in the app): audio → VAE →
the DiT's audio tokenizer (5 Hz codes, ``Generator.audio_codes_of``) → the LM's understand mode →
caption, genre, BPM, key, time signature, language, lyrics.

Rules:

* a field the user typed (non-empty and not marked auto-filled) is never overwritten unless
  ``overwrite``; fields this job fills are listed in ``Track.auto_fields`` until the user edits
  them (``dataset.edit_track`` drops a field from the list when its value changes);
* the LM's language is stored (upstream's labeller loses it);
* every song is saved as soon as it is labelled, so a kill loses at most the song in flight and
  the next run (only unlabelled) continues where this one stopped;
* a song that cannot be labelled (too long, silent, undecodable) is reported (a ``Log`` with its
  code) and skipped.

A job ``run(request, events, cancel)``; the app runs it in a child process
(``child_entry`` through ``core.jobs.run_in_child_process``). Progress stage "label", one unit
per song, with ETA; an ``Artifact("label", dataset.json, {"track": id, "fields": [...]})`` after
each saved song lets the window refresh its table live.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from mixgrv_app.core.jobs import Artifact, CancelToken, EventSink, Log, ProgressTracker, ignore_events

# upstream's labeller samples the understand pass at 0.7
TEMPERATURE = 0.7
# dataset field <- understand result key
FIELD_SOURCES = (("caption", "caption"), ("genre", "genres"), ("bpm", "bpm"), ("keyscale", "keyscale"),
                 ("timesignature", "timesignature"), ("language", "language"), ("lyrics", "lyrics"))
LABEL_FIELDS = tuple(name for name, _ in FIELD_SOURCES)


@dataclass
class AutoLabelRequest:
    dataset: str
    models_dir: str
    only_unlabeled: bool = True
    overwrite: bool = False
    lm: str = "0.6B"
    variant: str | None = None       # the DiT whose VAE and audio tokenizer make the codes (turbo when None)
    backend: str = "auto"
    device: str = "auto"
    seed: int = 0
    temperature: float = TEMPERATURE
    max_tokens: int | None = None    # stop the LM after N tokens per song (None: its whole context)


@dataclass
class AutoLabelResult:
    labelled: list[dict[str, Any]] = field(default_factory=list)   # {"track", "filename", "fields"}
    skipped: list[str] = field(default_factory=list)               # track ids left alone (already labelled)
    failed: list[dict[str, Any]] = field(default_factory=list)     # {"track", "filename", "code", "message", "params"}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def result_from_dict(data: dict[str, Any]) -> AutoLabelResult:
    return AutoLabelResult(**{k: list(data.get(k, [])) for k in ("labelled", "skipped", "failed")})


def is_user_value(track, name: str) -> bool:
    """True when ``name`` holds a value the user gave (not empty, not auto-filled)."""
    if name in (track.auto_fields or []):
        return False
    value = getattr(track, name)
    if name == "bpm":
        return value is not None
    if name == "language":
        return str(value or "unknown") != "unknown"
    if name == "lyrics":
        from mixgrv_app.core.prompts import INSTRUMENTAL_LYRICS

        return str(value or "").strip() not in ("", INSTRUMENTAL_LYRICS)
    return bool(str(value or "").strip())


def wants_label(track, only_unlabeled: bool) -> bool:
    return not (only_unlabeled and track.labeled)


def changes_from(result: dict[str, Any], track, overwrite: bool) -> dict[str, Any]:
    """The dataset fields to write from one understand result (user values kept unless ``overwrite``)."""
    from mixgrv_app.core.dataset_labels import parse_bpm
    from mixgrv_app.core.prompts import LANGUAGES
    from mixgrv_app.core.errors import DatasetError

    out: dict[str, Any] = {}
    for name, key in FIELD_SOURCES:
        value = result.get(key)
        if value in (None, ""):
            continue
        if name == "bpm":
            try:
                value = parse_bpm(value)
            except DatasetError:
                continue
        elif name == "language":
            value = str(value).strip().lower()
            if value not in LANGUAGES or value == "unknown":
                continue
        else:
            value = str(value).strip()
            if not value:
                continue
        if not overwrite and is_user_value(track, name):
            continue
        out[name] = value
    return out


def _save(ds, track_id: str, changes: dict[str, Any]) -> Any:
    """Write one song's labels now (atomically, under the dataset lock) and mark them auto-filled."""
    from mixgrv_app.core.dataset import updating
    from mixgrv_app.core.dataset_labels import edit_track

    with updating(ds) as fresh:
        track = edit_track(fresh, track_id, save=False, **changes)
        if changes:
            track.labeled = True
        track.auto_fields = sorted(set(track.auto_fields or []) | (set(changes) & set(LABEL_FIELDS)))
    return track


def _fail(result: AutoLabelResult, events: EventSink, track, exc) -> None:
    code = getattr(exc, "code", "autolabel.failed")
    params = {**getattr(exc, "params", {}), "filename": track.filename}
    message = getattr(exc, "message", str(exc))
    result.failed.append({"track": track.id, "filename": track.filename, "code": code, "message": message, "params": params})
    events(Log("warning", f"{track.filename}: {message}", code, params))


def run(request: AutoLabelRequest, events: EventSink = ignore_events, cancel: CancelToken | None = None) -> AutoLabelResult:
    from mixgrv_app.core import models
    from mixgrv_app.core.dataset import open_dataset
    from mixgrv_app.core.errors import AudioError, MixgrvError
    from mixgrv_app.core.lm.planner import lm_folder, open_planner
    from mixgrv_app.core.pipeline import Generator

    cancel = cancel or CancelToken()
    ds = open_dataset(request.dataset)
    lm_folder(request.models_dir, request.lm)  # a missing LM is one clear message before any model loads
    result = AutoLabelResult()
    todo = [t for t in ds.tracks if wants_label(t, request.only_unlabeled)]
    result.skipped = [t.id for t in ds.tracks if not wants_label(t, request.only_unlabeled)]
    tracker = ProgressTracker(events, "label", len(todo))
    tracker.update(0, "")
    if not todo:
        return result
    events(Log("info", "loading the VAE, the audio tokenizer and the LM"))
    variant = request.variant or models.preferred_dit(request.models_dir) or models.TURBO
    generator = Generator(request.models_dir, variant, backend=request.backend, device=request.device)
    info = generator.backend.info
    planner = open_planner(request.models_dir, request.lm, backend=info.name, device=info.device)
    try:
        for i, track in enumerate(todo):
            cancel.raise_if_cancelled()
            tracker.update(i, track.filename)
            started = time.monotonic()
            try:
                if any(w.get("code") == "analysis.silent" for w in track.warnings):
                    raise AudioError("autolabel.silent", f"{track.filename} is silent; there is nothing to describe.",
                                     filename=track.filename)
                codes = generator.audio_codes_of(ds.audio_file(track), seed=request.seed)
                cancel.raise_if_cancelled()
                understood = planner.understand(codes, temperature=request.temperature, seed=request.seed,
                                                cancel=cancel.raise_if_cancelled, max_new_tokens=request.max_tokens)
            except MixgrvError as exc:
                _fail(result, events, track, exc)
                continue
            cancel.raise_if_cancelled()
            changes = changes_from(understood, track, request.overwrite)
            _save(ds, track.id, changes)
            result.labelled.append({"track": track.id, "filename": track.filename, "fields": sorted(changes),
                                    "seconds": round(time.monotonic() - started, 2)})
            events(Artifact("label", str(ds.json_path), {"track": track.id, "fields": sorted(changes)}))
        tracker.update(len(todo), "")
    finally:
        planner.close()
        generator.close()
    return result


def child_entry(request: dict[str, Any], events: EventSink, cancel: CancelToken) -> dict[str, Any]:
    """``core.jobs.run_in_child_process("mixgrv_app.core.autolabel:child_entry", asdict(request))``."""
    return run(AutoLabelRequest(**request), events, cancel).to_dict()
