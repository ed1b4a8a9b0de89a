"""A dataset's labels: editing a track's fields, the prompt text training uses, and the label
sources read at import.

Labels come from sidecars next to each file (``<stem>.caption.txt`` → caption,
``<stem>.lyrics.txt`` or ``<stem>.txt`` → lyrics) and from CSV files (``file,bpm,key,caption``)
found in an added folder or passed explicitly; a per-file sidecar wins over a CSV row (the
import job, core/dataset_import.py, applies them). Every edit is saved atomically under the
dataset's lock (core/dataset.py).
"""

from __future__ import annotations

import csv
import io
import math
import random
from pathlib import Path
from typing import Any

from mixgrv_app.core.dataset import (PROMPT_OVERRIDES, TAG_POSITIONS, Dataset, DatasetMeta, Track, check_tag_position,
                                     nfc, updating)
from mixgrv_app.core.errors import DatasetError
from mixgrv_app.core.prompts import INSTRUMENTAL_LYRICS, LANGUAGES


# --------------------------------------------------------------------------- editing tracks


EDITABLE = ("caption", "genre", "lyrics", "bpm", "keyscale", "timesignature", "language", "is_instrumental",
            "custom_tag", "tag_position", "prompt_override", "labeled")




def parse_bpm(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        bpm = float(str(value).strip())
    except ValueError:
        bpm = float("nan")
    if not (math.isfinite(bpm) and 20 <= bpm <= 400):
        raise DatasetError("dataset.bad_field", f"bpm must be a number from 20 to 400, not '{value}'.",
                           field="bpm", value=str(value))
    return int(round(bpm))


def edit_track(ds: Dataset, ref: str | int, *, tag_mode: str = "replace", save: bool = True, **changes: Any) -> Track:
    """Change per-track fields. ``custom_tag`` with ``tag_mode`` prepend/append adds to the tag
    the track has ("a, b"); replace sets it. Unknown fields raise ``dataset.bad_field``."""
    track = ds.track(ref)
    labeled_given = "labeled" in changes
    before = {key: getattr(track, key) for key in changes if key in EDITABLE}
    for key, value in changes.items():
        if key not in EDITABLE:
            raise DatasetError("dataset.bad_field", f"'{key}' is not a track field that can be edited.",
                               field=key, value=str(value))
        if key == "bpm":
            value = parse_bpm(value)
        elif key == "language":
            value = (str(value or "unknown").strip().lower()) or "unknown"
            if value not in LANGUAGES:
                raise DatasetError("dataset.bad_field", f"'{value}' is not a language code the model knows (e.g. en, ko, ja, unknown).",
                                   field="language", value=value)
        elif key in ("is_instrumental", "labeled"):
            value = _parse_bool(value, key)
        elif key == "tag_position":
            value = None if value in (None, "") else check_tag_position(value)
        elif key == "prompt_override":
            value = None if value in (None, "", "none") else value
            if value not in PROMPT_OVERRIDES:
                raise DatasetError("dataset.bad_field", f"prompt override must be caption, genre or none, not '{value}'.",
                                   field="prompt_override", value=str(value))
        elif key == "custom_tag":
            value = _combine_tag(track.custom_tag, str(value or "").strip(), tag_mode)
        else:
            value = nfc(str(value or "")).strip() if key != "lyrics" else nfc(str(value or "")).strip("\n")
        setattr(track, key, value)
    if "lyrics" in changes:
        track.raw_lyrics = track.lyrics
        if "is_instrumental" not in changes:
            track.is_instrumental = track.lyrics.strip() in ("", INSTRUMENTAL_LYRICS)
    if track.is_instrumental and not track.lyrics.strip():
        track.lyrics = INSTRUMENTAL_LYRICS
    if not labeled_given and ("caption" in changes or "genre" in changes):
        track.labeled = bool(track.caption.strip() or track.genre.strip())
    if track.auto_fields:  # a field the user changed is theirs now, no longer marked auto-filled
        track.auto_fields = [f for f in track.auto_fields if f not in before or getattr(track, f) == before[f]]
    if save:
        with updating(ds) as fresh:
            slot = next((i for i, t in enumerate(fresh.tracks) if t.id == track.id), None)
            if slot is None:  # removed meanwhile
                raise DatasetError("dataset.track_not_found", f"No track '{track.id}' in dataset '{ds.name}'.",
                                   dataset=ds.name, track=track.id)
            fresh.tracks[slot] = Track.from_dict(track.to_dict())
        track = ds.tracks[slot]
    return track


def _combine_tag(old: str, new: str, mode: str) -> str:
    if mode not in TAG_POSITIONS:
        raise DatasetError("dataset.bad_field", f"tag mode must be one of {', '.join(TAG_POSITIONS)}, not '{mode}'.",
                           field="tag_mode", value=str(mode))
    if mode == "replace" or not old:
        return new
    if not new:
        return old
    return f"{new}, {old}" if mode == "prepend" else f"{old}, {new}"


def _parse_bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "on"):
        return True
    if text in ("0", "false", "no", "n", "off"):
        return False
    raise DatasetError("dataset.bad_field", f"{key} must be true or false, not '{value}'.", field=key, value=str(value))


def training_text(track: Track, meta: DatasetMeta, rng: random.Random | None = None) -> tuple[str, str]:
    """(text used for the prompt, caption with the custom tag applied), as upstream's preprocess.

    The custom tag (the track's, else the dataset's) goes before/after/instead of the caption;
    the genre replaces it for ``genre_ratio`` percent of tracks (upstream draws
    ``randint(0, 100) < ratio``), or always/never when ``prompt_override`` says so.
    """
    tag = track.custom_tag or meta.custom_tag
    position = track.tag_position or meta.tag_position
    caption = track.caption
    if tag:
        if position == "prepend":
            caption = f"{tag}, {caption}" if caption else tag
        elif position == "append":
            caption = f"{caption}, {tag}" if caption else tag
        else:
            caption = tag
    if track.prompt_override == "genre" and track.genre:
        return track.genre, caption
    if track.prompt_override == "caption":
        return caption, caption
    rng = rng or random.Random(42)
    use_genre = rng.randint(0, 100) < meta.genre_ratio and bool(track.genre)
    return (track.genre if use_genre else caption), caption


# --------------------------------------------------------------------------- sidecars and CSV


def read_text_file(path: Path) -> str:
    """Text in UTF-8 (with or without BOM), else CP949 (Korean Windows), else Latin-1."""
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "cp949"):
        try:
            return nfc(raw.decode(enc))
        except UnicodeDecodeError:
            continue
    return nfc(raw.decode("latin-1"))


def read_sidecars(audio: Path) -> dict[str, str]:
    """caption / lyrics next to ``audio`` (``<stem>.caption.txt``, ``<stem>.lyrics.txt`` or ``<stem>.txt``)."""
    found: dict[str, str] = {}
    stem = audio.with_suffix("")
    caption = Path(f"{stem}.caption.txt")
    if caption.is_file():
        found["caption"] = read_text_file(caption).strip()
    for name in (f"{stem}.lyrics.txt", f"{stem}.txt"):
        p = Path(name)
        if p.is_file():
            found["lyrics"] = read_text_file(p).strip("\n").strip()
            break
    return found


def read_label_csv(path: Path) -> dict[str, dict[str, str]]:
    """Rows of a ``file,bpm,key,caption`` CSV keyed by NFC lower-case file name and stem."""
    text = read_text_file(path)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows: dict[str, dict[str, str]] = {}
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames or "file" not in [f.strip().lower() for f in reader.fieldnames]:
        raise DatasetError("dataset.bad_csv", f"{path.name} has no 'file' column; expected columns file,bpm,key,caption.",
                           path=str(path), name=path.name)
    for row in reader:
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        file = nfc(clean.get("file", "")).strip()
        if not file:
            continue
        base = Path(file).name.lower()
        rows[base] = clean
        rows.setdefault(Path(base).stem, clean)
    return rows


