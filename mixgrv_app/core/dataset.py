"""Datasets: the songs a musician trains on, their labels, and the managed copies.

A dataset is a folder ``paths.datasets_dir()/<name>/`` holding ``dataset.json`` and
``audio/`` (copies of the imported files; the originals are only ever read). The JSON is
upstream ACE-Step's dataset format (``{"metadata": {...}, "samples": [...]}`` with upstream's
sample fields) plus our own fields per sample: ``source_path``, ``managed_path`` (relative to
the dataset folder), ``content_hash`` (sha256 of the file bytes), ``analysis`` and optional
``tag_position``. In our file ``audio_path`` is the managed path relative to the dataset
folder, so a dataset folder can be renamed or moved; :func:`export_upstream_json` writes the
absolute path upstream expects and drops our fields.

Importing is a job (``run_import(request, events, cancel)``): each file is hashed, decoded,
analysed, copied and saved one at a time, so one corrupt file among fifty is listed as skipped
with its reason and the other 49 arrive; a cancel keeps what was imported so far.

Labels come from sidecars next to each file (``<stem>.caption.txt`` → caption,
``<stem>.lyrics.txt`` or ``<stem>.txt`` → lyrics) and from CSV files (``file,bpm,key,caption``)
found in an added folder or passed explicitly; a per-file sidecar wins over a CSV row.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import math
import os
import random
import re
import shutil
import threading
import time
import unicodedata
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from mixgrv_app import paths
from mixgrv_app.core.errors import AudioError, DatasetError, MixgrvError
from mixgrv_app.core.fileio import atomic_path, read_json, write_json
from mixgrv_app.core.jobs import CancelToken, Cancelled, EventSink, Log, ProgressTracker, ignore_events
from mixgrv_app.core.prompts import INSTRUMENTAL_LYRICS, LANGUAGES

DATASET_FILE = "dataset.json"
AUDIO_DIR = "audio"
FORMAT_VERSION = 1
TAG_POSITIONS = ("prepend", "append", "replace")
PROMPT_OVERRIDES = (None, "caption", "genre")

UPSTREAM_SAMPLE_FIELDS = (
    "id", "audio_path", "filename", "caption", "genre", "lyrics", "raw_lyrics", "formatted_lyrics", "bpm",
    "keyscale", "timesignature", "duration", "language", "is_instrumental", "custom_tag", "labeled",
    "prompt_override",
)
UPSTREAM_META_FIELDS = ("name", "custom_tag", "tag_position", "created_at", "num_samples", "all_instrumental",
                        "genre_ratio")
SIDECAR_SUFFIXES = (".caption.txt", ".lyrics.txt", ".txt")


def _now() -> str:
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
        known = {f.name for f in fields(cls)}
        track = cls(**{k: v for k, v in data.items() if k in known})
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
    created_at: str = field(default_factory=_now)
    num_samples: int = 0
    all_instrumental: bool = True
    genre_ratio: int = 0          # percent of samples trained on their genre instead of caption
    format_version: int = FORMAT_VERSION

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DatasetMeta":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


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


_BAD_NAME_CHARS = re.compile(r'[\x00-\x1f/\\:]')


def validate_name(name: str) -> str:
    clean = nfc(str(name)).strip()
    if not clean or clean in (".", "..") or clean.startswith(".") or _BAD_NAME_CHARS.search(clean) or len(clean) > 120:
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
    _check_tag_position(tag_position)
    (root / AUDIO_DIR).mkdir(parents=True, exist_ok=True)
    ds = Dataset(root, DatasetMeta(name=name, custom_tag=custom_tag, tag_position=tag_position,
                                   genre_ratio=_check_ratio(genre_ratio)))
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
            value = _check_tag_position(value)
        elif key == "genre_ratio":
            value = _check_ratio(value)
        elif key == "custom_tag":
            value = str(value or "").strip()
        else:
            raise DatasetError("dataset.bad_field", f"'{key}' is not a dataset setting that can be changed.",
                               field=key, value=str(value))
        setattr(ds.meta, key, value)


# --------------------------------------------------------------------------- editing tracks


EDITABLE = ("caption", "genre", "lyrics", "bpm", "keyscale", "timesignature", "language", "is_instrumental",
            "custom_tag", "tag_position", "prompt_override", "labeled")


def _check_tag_position(value: Any) -> str:
    if value not in TAG_POSITIONS:
        raise DatasetError("dataset.bad_field", f"tag position must be one of {', '.join(TAG_POSITIONS)}, not '{value}'.",
                           field="tag_position", value=str(value))
    return value


def _check_ratio(value: Any) -> int:
    try:
        ratio = int(value)
    except (TypeError, ValueError):
        ratio = -1
    if not 0 <= ratio <= 100:
        raise DatasetError("dataset.bad_field", f"genre ratio must be a whole number from 0 to 100, not '{value}'.",
                           field="genre_ratio", value=str(value))
    return ratio


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
            value = None if value in (None, "") else _check_tag_position(value)
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


# --------------------------------------------------------------------------- import job


@dataclass
class ImportRequest:
    dataset: str
    paths: list[str]
    csv_paths: list[str] = field(default_factory=list)
    max_seconds: float = 240.0      # only used to warn that a long track will be cut


@dataclass
class ImportedFile:
    source: str
    track_id: str
    filename: str
    duration: float
    warnings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SkippedFile:
    source: str
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportResult:
    dataset: str
    imported: list[ImportedFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)   # non-audio files met while walking folders
    cancelled: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ImportCancelled(Cancelled):
    """The import was cancelled; ``result`` lists what arrived before (already saved)."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("import cancelled")
        self.result = result


def _is_hidden(p: Path) -> bool:
    return p.name.startswith(".")  # includes macOS "._x.mp3" AppleDouble junk and .DS_Store


def collect_files(inputs: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Path], list[Path], list[SkippedFile]]:
    """(audio candidates, csv files, ignored files, missing inputs) from files and folders.

    A file named explicitly is always tried (its decoder says if it is audio); inside folders
    only files with audio extensions are tried and other files are listed as ignored.
    """
    from mixgrv_app.core.audio import AUDIO_EXTENSIONS

    audio: list[Path] = []
    csvs: list[Path] = []
    ignored: list[Path] = []
    missing: list[SkippedFile] = []
    seen: set[Path] = set()

    def add(p: Path, explicit: bool) -> None:
        key = p.absolute()
        if key in seen:
            return
        seen.add(key)
        suffix = p.suffix.lower()
        if suffix == ".csv":
            csvs.append(p)
        elif suffix == ".txt" and not explicit:
            pass  # sidecars
        elif suffix in AUDIO_EXTENSIONS or explicit:
            audio.append(p)
        else:
            ignored.append(p)

    for raw in inputs:
        p = Path(raw).expanduser()
        if p.is_dir():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    fp = Path(dirpath) / name
                    if not _is_hidden(fp):
                        add(fp, explicit=False)
        elif p.is_file():
            add(p, explicit=True)
        else:
            missing.append(SkippedFile(str(p), "audio.not_found", f"{p.name} was not found.",
                                       {"path": str(p), "name": p.name}))
    return audio, csvs, ignored, missing


def file_hash(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _managed_name(ds: Dataset, source: Path) -> str:
    """A readable, unused file name inside audio/ ("song.mp3", "song (2).mp3", ...)."""
    name = nfc(source.name)
    name = _BAD_NAME_CHARS.sub("_", name).strip() or "audio"
    if name.startswith("."):
        name = "_" + name[1:]
    stem, suffix = Path(name).stem, Path(name).suffix
    taken = {t.managed_path.lower() for t in ds.tracks}
    audio_dir = ds.root / AUDIO_DIR
    candidate, n = name, 1
    while f"{AUDIO_DIR}/{candidate}".lower() in taken or (audio_dir / candidate).exists():
        n += 1
        candidate = f"{stem} ({n}){suffix}"
    return candidate


def _copy_in(ds: Dataset, source: Path) -> str:
    name = _managed_name(ds, source)
    final = ds.root / AUDIO_DIR / name
    try:
        with atomic_path(final) as tmp:
            shutil.copyfile(source, tmp)  # bytes only: the original's metadata is not touched
    except OSError as exc:
        raise DatasetError("dataset.copy_failed", f"Could not copy {source.name} into the dataset: {exc}",
                           name=source.name, reason=str(exc)) from exc
    return f"{AUDIO_DIR}/{name}"


def _apply_labels(track: Track, row: dict[str, str] | None, sidecars: dict[str, str]) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = []
    if row:
        if row.get("bpm"):
            try:
                track.bpm = parse_bpm(row["bpm"])
            except DatasetError:
                notes.append({"severity": "warning", "code": "dataset.bad_csv_value",
                              "params": {"field": "bpm", "value": row["bpm"]}})
        key = row.get("key") or row.get("keyscale")
        if key:
            track.keyscale = key
        if row.get("caption"):
            track.caption = row["caption"]
            track.labeled = True
    if sidecars.get("caption"):
        track.caption = sidecars["caption"]
        track.labeled = True
    lyrics = sidecars.get("lyrics")
    if lyrics:
        track.lyrics = lyrics
        track.raw_lyrics = lyrics
        track.is_instrumental = lyrics.strip() == INSTRUMENTAL_LYRICS
    return notes


def _near_duplicate(ds: Dataset, print_: str, exclude_id: str = "") -> Track | None:
    from mixgrv_app.core.audio import fingerprints_match

    for other in ds.tracks:
        if other.id != exclude_id and fingerprints_match(print_, other.analysis.get("fingerprint") or ""):
            return other
    return None


def import_one(ds: Dataset, source: Path, csv_rows: dict[str, dict[str, str]], max_seconds: float = 240.0,
               labels: dict[str, Any] | None = None) -> ImportedFile:
    """Analyse, copy and register one file (saved at once, under the dataset lock; ``ds`` is
    refreshed). Raises MixgrvError with the reason; nothing changes then."""
    from mixgrv_app.core import audio as audio_mod

    if not source.is_file():
        raise AudioError("audio.not_found", f"{source.name} was not found.", path=str(source), name=source.name)
    digest = file_hash(source)
    existing = ds.by_hash(digest)
    if existing is not None:
        raise DatasetError("dataset.duplicate_file", f"{source.name} is already in the dataset as {existing.filename}.",
                           name=source.name, existing=existing.filename, path=str(source))
    decoded = audio_mod.decode(source)
    analysis = audio_mod.analyse(decoded, max_seconds=max_seconds)
    del decoded
    twin = _near_duplicate(ds, analysis.fingerprint)
    if twin is not None:
        analysis.warnings.append(audio_mod.Warning_("warning", "analysis.near_duplicate", {"other": twin.filename}))
    managed = _copy_in(ds, source)
    track = Track(
        audio_path=managed, filename=Path(managed).name, duration=int(analysis.duration),
        source_path=str(source.absolute()), managed_path=managed, content_hash=digest, imported_at=_now(),
        analysis=analysis.to_dict(),
    )
    row = csv_rows.get(nfc(source.name).lower()) or csv_rows.get(nfc(source.stem).lower())
    notes = _apply_labels(track, row, read_sidecars(source))
    if labels:
        wanted_id = str(labels.get("id") or "")
        if wanted_id and all(t.id != wanted_id for t in ds.tracks):
            track.id = wanted_id  # keep upstream's ids so its tensors/manifests still line up
        for key, value in labels.items():
            if key in {f.name for f in fields(Track)} and key not in ("id", "audio_path", "filename", "managed_path",
                                                                        "content_hash", "analysis", "duration"):
                setattr(track, key, value)
    track.analysis["warnings"].extend(notes)
    with updating(ds) as fresh:
        if fresh.by_hash(digest) is not None:  # the same file arrived meanwhile
            (ds.root / managed).unlink(missing_ok=True)
            raise DatasetError("dataset.duplicate_file", f"{source.name} is already in the dataset.",
                               name=source.name, existing=fresh.by_hash(digest).filename, path=str(source))
        fresh.tracks.append(track)
    return ImportedFile(str(source), track.id, track.filename, analysis.duration, list(track.analysis["warnings"]))


def _skip(source: Path, exc: MixgrvError) -> SkippedFile:
    return SkippedFile(str(source), exc.code, exc.message, {k: v for k, v in exc.params.items()})


def run_import(request: ImportRequest, events: EventSink = ignore_events, cancel: CancelToken | None = None) -> ImportResult:
    """Add files and folders to a dataset (the job behind ``mixgrv dataset add`` and drops).

    Progress stage "import", one unit per file, message = file name. Every file that cannot be
    used ends in ``result.skipped`` with an error code and sentence; the dataset JSON is saved
    after each file so a cancel or a crash keeps the files imported so far. A cancel raises
    :class:`ImportCancelled` (a ``Cancelled``) carrying the partial result.
    """
    cancel = cancel or CancelToken()
    ds = open_dataset(request.dataset)
    result = ImportResult(dataset=ds.name)
    files, csvs, ignored, missing = collect_files(request.paths)
    csvs += [Path(p) for p in request.csv_paths]
    result.skipped.extend(missing)
    result.ignored = [str(p) for p in ignored]
    csv_rows: dict[str, dict[str, str]] = {}
    for c in csvs:
        try:
            csv_rows.update(read_label_csv(c))
        except (DatasetError, OSError) as exc:
            err = exc if isinstance(exc, DatasetError) else DatasetError(
                "dataset.bad_csv", f"{c.name} cannot be read: {exc}", path=str(c), name=c.name)
            result.skipped.append(_skip(c, err))
            events(Log("warning", err.message, err.code, dict(err.params)))
    tracker = ProgressTracker(events, "import", len(files), weight=(0.0, 1.0))
    tracker.update(0, "")
    for i, source in enumerate(files):
        if cancel.cancelled:
            result.cancelled = True
            break
        try:
            imported = import_one(ds, source, csv_rows, request.max_seconds)
        except MixgrvError as exc:
            result.skipped.append(_skip(source, exc))
            events(Log("warning", f"skipped {source.name}: {exc.message}", exc.code, dict(exc.params)))
        except MemoryError:
            err = AudioError("audio.too_large", f"{source.name} is too large to decode in memory.", name=source.name,
                             path=str(source))
            result.skipped.append(_skip(source, err))
        else:
            result.imported.append(imported)
        tracker.update(i + 1, source.name)
    events(Log("info", f"imported {len(result.imported)}, skipped {len(result.skipped)}", "", {}))
    if result.cancelled:
        raise ImportCancelled(result)
    return result


def add_files(name: str, inputs: Iterable[str | os.PathLike[str]], events: EventSink = ignore_events,
              cancel: CancelToken | None = None) -> ImportResult:
    return run_import(ImportRequest(dataset=name, paths=[str(p) for p in inputs]), events, cancel)


def remove_track(ds: Dataset, ref: str | int) -> Track:
    """Drop a track and its managed copy (never the original)."""
    track = ds.track(ref)
    with updating(ds) as fresh:
        fresh.tracks = [t for t in fresh.tracks if t.id != track.id]
    copy = ds.audio_file(track)
    if copy.is_file() and ds.root in copy.resolve().parents:
        copy.unlink()
    return track


# --------------------------------------------------------------------------- upstream JSON


def export_upstream_json(name: str, out_path: str | os.PathLike[str]) -> Path:
    """Write upstream's dataset JSON (absolute audio paths, upstream fields only)."""
    ds = open_dataset(name)
    meta = {k: v for k, v in ds.to_dict()["metadata"].items() if k in UPSTREAM_META_FIELDS}
    samples = []
    for t in ds.tracks:
        d = {k: v for k, v in t.to_dict().items() if k in UPSTREAM_SAMPLE_FIELDS}
        d["audio_path"] = str(ds.audio_file(t).absolute())
        samples.append(d)
    out = Path(out_path)
    write_json(out, {"metadata": meta, "samples": samples})
    return out


@dataclass
class UpstreamImportRequest:
    json_path: str
    dataset: str | None = None     # default: the JSON's metadata name
    max_seconds: float = 240.0


def run_import_upstream(request: UpstreamImportRequest, events: EventSink = ignore_events,
                        cancel: CancelToken | None = None) -> ImportResult:
    """Create (or extend) a dataset from upstream's JSON: labels kept, audio copied in."""
    cancel = cancel or CancelToken()
    src = Path(request.json_path)
    try:
        data = read_json(src)
        samples = list(data.get("samples", []))
        meta = dict(data.get("metadata") or {})
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise DatasetError("dataset.corrupt", f"{src.name} is not an ACE-Step dataset JSON ({exc}).",
                           name=src.name, path=str(src), reason=str(exc)) from exc
    name = validate_name(request.dataset or meta.get("name") or src.stem)
    if name in list_datasets():
        ds = open_dataset(name)
    else:
        ds = create_dataset(name, custom_tag=str(meta.get("custom_tag") or ""),
                            tag_position=meta.get("tag_position") if meta.get("tag_position") in TAG_POSITIONS else "prepend",
                            genre_ratio=int(meta.get("genre_ratio") or 0))
    result = ImportResult(dataset=name)
    tracker = ProgressTracker(events, "import", len(samples), weight=(0.0, 1.0))
    for i, sample in enumerate(samples):
        if cancel.cancelled:
            result.cancelled = True
            break
        audio_path = Path(str(sample.get("audio_path") or ""))
        if not audio_path.is_absolute():
            audio_path = src.parent / audio_path
        labels = {k: sample[k] for k in ("id", "caption", "genre", "lyrics", "raw_lyrics", "formatted_lyrics", "bpm",
                                          "keyscale", "timesignature", "language", "is_instrumental", "custom_tag",
                                          "labeled", "prompt_override") if k in sample}
        if "bpm" in labels:
            try:
                labels["bpm"] = parse_bpm(labels["bpm"])
            except DatasetError:
                labels["bpm"] = None
        try:
            imported = import_one(ds, audio_path, {}, request.max_seconds, labels=labels)
        except MixgrvError as exc:
            result.skipped.append(_skip(audio_path, exc))
            events(Log("warning", f"skipped {audio_path.name}: {exc.message}", exc.code, dict(exc.params)))
        else:
            result.imported.append(imported)
        tracker.update(i + 1, audio_path.name)
    if result.cancelled:
        raise ImportCancelled(result)
    return result
