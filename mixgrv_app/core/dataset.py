"""Datasets: the songs a musician trains on and their managed copies — the store.

A dataset is a folder ``paths.datasets_dir()/<name>/`` holding ``dataset.json`` and
``audio/`` (copies of the imported files; the originals are only ever read). The JSON is
upstream ACE-Step's dataset format (``{"metadata": {...}, "samples": [...]}`` with upstream's
sample fields) plus our own fields per sample: ``source_path``, ``managed_path`` (relative to
the dataset folder), ``content_hash`` (sha256 of the file bytes), ``analysis`` and optional
``tag_position``. In our file ``audio_path`` is the managed path relative to the dataset
folder, so a dataset folder can be renamed or moved.

Here: the records (:class:`Track`, :class:`DatasetMeta`, :class:`Dataset`), one writer at a
time (:func:`updating`, a lock shared by threads and processes), and the folder operations
(create, open, rename, delete, dataset settings, remove a track). Labels and their sources are
``core/dataset_labels.py``; the import jobs (and upstream's JSON) ``core/dataset_import.py``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import threading
import time
import unicodedata
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from mixgrv_app import paths
from mixgrv_app.core.errors import DatasetError
from mixgrv_app.core.fileio import known_fields, read_json, write_json
from mixgrv_app.core.prompts import INSTRUMENTAL_LYRICS

DATASET_FILE = "dataset.json"
AUDIO_DIR = "audio"
FORMAT_VERSION = 1
TAG_POSITIONS = ("prepend", "append", "replace")
PROMPT_OVERRIDES = (None, "caption", "genre")



def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def nfc(text: str) -> str:
    """macOS hands out decomposed (NFD) Hangul in file names; keep everything composed."""
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------- model


@dataclass
class Track:
    """One sample: upstream's fields first, ours after."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    audio_path: str = ""          # ours: relative to the dataset folder; upstream export: absolute
    filename: str = ""
    caption: str = ""
    genre: str = ""
    lyrics: str = INSTRUMENTAL_LYRICS
    raw_lyrics: str = ""
    formatted_lyrics: str = ""
    bpm: int | None = None
    keyscale: str = ""
    timesignature: str = ""
    duration: int = 0             # whole seconds, as upstream
    language: str = "unknown"
    is_instrumental: bool = True
    custom_tag: str = ""
    labeled: bool = False
    prompt_override: str | None = None
    # ours
    source_path: str = ""
    managed_path: str = ""
    content_hash: str = ""
    imported_at: str = ""
    tag_position: str | None = None  # overrides the dataset's tag_position for this track
    analysis: dict[str, Any] = field(default_factory=dict)
    auto_fields: list[str] = field(default_factory=list)  # label fields the LM filled (core/autolabel.py) and nobody edited since

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Track":
        track = cls(**known_fields(cls, data))
        if track.bpm is not None:
            try:
                track.bpm = int(track.bpm)
            except (TypeError, ValueError):
                track.bpm = None
        return track

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return list(self.analysis.get("warnings", []))


@dataclass
class DatasetMeta:
    name: str
    custom_tag: str = ""
    tag_position: str = "prepend"
    created_at: str = field(default_factory=now_utc)
    num_samples: int = 0
    all_instrumental: bool = True
    genre_ratio: int = 0          # percent of samples trained on their genre instead of caption
    format_version: int = FORMAT_VERSION

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DatasetMeta":
        return cls(**known_fields(cls, data))


@dataclass
class Dataset:
    root: Path
    meta: DatasetMeta
    tracks: list[Track] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def json_path(self) -> Path:
        return self.root / DATASET_FILE

    def audio_file(self, track: Track) -> Path:
        return self.root / (track.managed_path or track.audio_path)

    def to_dict(self) -> dict[str, Any]:
        self.meta.num_samples = len(self.tracks)
        self.meta.all_instrumental = all(t.is_instrumental for t in self.tracks) if self.tracks else True
        return {"metadata": asdict(self.meta), "samples": [t.to_dict() for t in self.tracks]}

    def save(self) -> None:
        write_json(self.json_path, self.to_dict())

    def track(self, ref: str | int) -> Track:
        """Find a track by id, file name (with or without extension) or 1-based position."""
        ref_s = nfc(str(ref)).strip()
        for t in self.tracks:
            if t.id == ref_s:
                return t
        for t in self.tracks:
            if ref_s in (t.filename, Path(t.filename).stem):
                return t
        if ref_s.isdigit() and 1 <= int(ref_s) <= len(self.tracks):
            return self.tracks[int(ref_s) - 1]
        raise DatasetError("dataset.track_not_found", f"No track '{ref_s}' in dataset '{self.name}'.",
                           dataset=self.name, track=ref_s)

    def by_hash(self, content_hash: str) -> Track | None:
        return next((t for t in self.tracks if t.content_hash == content_hash), None)

    def summary(self) -> dict[str, Any]:
        total = sum(float(t.analysis.get("duration") or t.duration) for t in self.tracks)
        return {
            "name": self.name, "tracks": len(self.tracks), "labeled": sum(1 for t in self.tracks if t.labeled),
            "total_seconds": round(total, 3),
            "warnings": sum(len(t.warnings) for t in self.tracks),
        }


# --------------------------------------------------------------------------- concurrent changes
#
# The Training tab edits labels while an import job appends tracks in a worker thread, and a
# `mixgrv dataset` command may change the same dataset from a terminal. Every change is
# therefore a read-modify-write of the file under a per-dataset lock — a thread lock inside the
# process plus an OS file lock (``.dataset.lock``) between processes — applied to the latest
# version on disk, and the caller's Dataset object is refreshed afterwards, so no side
# overwrites another's work with a stale copy.

LOCK_FILE = ".dataset.lock"


class _DatasetLock:
    """Re-entrant within a process (nested ``updating`` calls), exclusive across processes."""

    def __init__(self) -> None:
        self.thread_lock = threading.RLock()
        self.depth = 0
        self.fd: int | None = None

    @contextlib.contextmanager
    def held(self, root: Path) -> Iterator[None]:
        with self.thread_lock:
            if self.depth == 0:
                self.fd = _lock_file(root)
            self.depth += 1
            try:
                yield
            finally:
                self.depth -= 1
                if self.depth == 0 and self.fd is not None:
                    os.close(self.fd)  # closing the descriptor releases the file lock
                    self.fd = None


def _lock_file(root: Path) -> int | None:
    """An exclusive lock on ``root/.dataset.lock`` (waits for other processes); None where the
    folder is not writable or the platform has no flock (then only the thread lock holds)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on macOS/Linux
        return None
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


_LOCKS: dict[str, _DatasetLock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock(root: Path) -> _DatasetLock:
    key = unicodedata.normalize("NFC", os.path.abspath(root)).casefold()
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, _DatasetLock())


@contextlib.contextmanager
def updating(ds: "Dataset") -> Iterator["Dataset"]:
    """Yield the on-disk version of ``ds`` to change; it is saved and copied back into ``ds``."""
    with _lock(ds.root).held(ds.root):
        fresh = open_dataset(ds.name) if ds.json_path.is_file() else ds
        yield fresh
        fresh.save()
        ds.meta, ds.tracks = fresh.meta, fresh.tracks


# --------------------------------------------------------------------------- names and folders


BAD_NAME_CHARS = re.compile(r'[\x00-\x1f/\\:]')


def validate_name(name: str) -> str:
    clean = nfc(str(name)).strip()
    if not clean or clean in (".", "..") or clean.startswith(".") or BAD_NAME_CHARS.search(clean) or len(clean) > 120:
        raise DatasetError("dataset.invalid_name",
                           f"'{name}' cannot be a dataset name: use 1-120 characters without / \\ : and not starting with a dot.",
                           name=str(name))
    return clean


def dataset_dir(name: str) -> Path:
    return paths.datasets_dir() / validate_name(name)


def list_datasets() -> list[str]:
    root = paths.datasets_dir()
    return sorted(p.name for p in root.iterdir() if (p / DATASET_FILE).is_file())


def create_dataset(name: str, *, custom_tag: str = "", tag_position: str = "prepend", genre_ratio: int = 0) -> Dataset:
    name = validate_name(name)
    root = dataset_dir(name)
    if (root / DATASET_FILE).exists():
        raise DatasetError("dataset.exists", f"A dataset named '{name}' already exists; pick another name.", name=name)
    check_tag_position(tag_position)
    (root / AUDIO_DIR).mkdir(parents=True, exist_ok=True)
    ds = Dataset(root, DatasetMeta(name=name, custom_tag=custom_tag, tag_position=tag_position,
                                   genre_ratio=check_ratio(genre_ratio)))
    ds.save()
    return ds


def open_dataset(name: str) -> Dataset:
    name = validate_name(name)
    root = dataset_dir(name)
    path = root / DATASET_FILE
    if not path.is_file():
        raise DatasetError("dataset.not_found", f"There is no dataset named '{name}'.", name=name)
    try:
        data = read_json(path)
        meta = DatasetMeta.from_dict(data.get("metadata") or {"name": name})
        tracks = [Track.from_dict(s) for s in data.get("samples", [])]
    except (ValueError, TypeError, AttributeError) as exc:
        raise DatasetError("dataset.corrupt", f"The dataset file of '{name}' cannot be read ({exc}).",
                           name=name, path=str(path), reason=str(exc)) from exc
    meta.name = name  # the folder is the truth after a rename outside the app
    return Dataset(root, meta, tracks)


def rename_dataset(old: str, new: str) -> Dataset:
    ds = open_dataset(old)
    new = validate_name(new)
    if new == ds.name:
        return ds
    target = dataset_dir(new)
    if target.exists() and (target / DATASET_FILE).exists() and target.resolve() != ds.root.resolve():
        raise DatasetError("dataset.exists", f"A dataset named '{new}' already exists; pick another name.", name=new)
    os.replace(ds.root, target) if not target.exists() else _case_rename(ds.root, target)
    tensors_old, tensors_new = paths.tensors_dir() / ds.name, paths.tensors_dir() / new
    if tensors_old.exists() and not tensors_new.exists():
        os.replace(tensors_old, tensors_new)
    ds = open_dataset(new)
    ds.save()
    return ds


def _case_rename(src: Path, dst: Path) -> None:
    # a case-only rename on a case-insensitive disk (macOS default) needs a detour
    tmp = src.with_name(f".{src.name}.renaming-{os.getpid()}")
    os.replace(src, tmp)
    os.replace(tmp, dst)


def delete_dataset(name: str) -> None:
    """Remove the dataset folder (managed copies only; originals are elsewhere) and its tensors."""
    ds = open_dataset(name)
    # rename first so a half-finished delete never looks like a valid dataset
    trash = ds.root.with_name(f".{ds.root.name}.deleting-{os.getpid()}-{int(time.time())}")
    os.replace(ds.root, trash)
    shutil.rmtree(trash, ignore_errors=True)
    shutil.rmtree(paths.tensors_dir() / ds.name, ignore_errors=True)


def set_metadata(name: str, **changes: Any) -> Dataset:
    ds = open_dataset(name)
    with updating(ds) as fresh:
        _apply_metadata(fresh, changes)
    return ds


def _apply_metadata(ds: Dataset, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if key == "tag_position":
            value = check_tag_position(value)
        elif key == "genre_ratio":
            value = check_ratio(value)
        elif key == "custom_tag":
            value = str(value or "").strip()
        else:
            raise DatasetError("dataset.bad_field", f"'{key}' is not a dataset setting that can be changed.",
                               field=key, value=str(value))
        setattr(ds.meta, key, value)


def check_tag_position(value: Any) -> str:
    if value not in TAG_POSITIONS:
        raise DatasetError("dataset.bad_field", f"tag position must be one of {', '.join(TAG_POSITIONS)}, not '{value}'.",
                           field="tag_position", value=str(value))
    return value


def check_ratio(value: Any) -> int:
    try:
        ratio = int(value)
    except (TypeError, ValueError):
        ratio = -1
    if not 0 <= ratio <= 100:
        raise DatasetError("dataset.bad_field", f"genre ratio must be a whole number from 0 to 100, not '{value}'.",
                           field="genre_ratio", value=str(value))
    return ratio


def remove_track(ds: Dataset, ref: str | int) -> Track:
    """Drop a track and its managed copy (never the original)."""
    track = ds.track(ref)
    with updating(ds) as fresh:
        fresh.tracks = [t for t in fresh.tracks if t.id != track.id]
    copy = ds.audio_file(track)
    if copy.is_file() and ds.root in copy.resolve().parents:
        copy.unlink()
    return track
