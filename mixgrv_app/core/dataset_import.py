"""Importing songs into a dataset, as a job, and upstream ACE-Step's dataset JSON both ways.

``run_import(request, events, cancel)``: each file is hashed, decoded, analysed, copied and
saved one at a time, so one corrupt file among fifty is listed as skipped with its reason and
the other 49 arrive; a cancel keeps what was imported so far. Labels come from sidecars and
CSV files (core/dataset_labels.py). :func:`export_upstream_json` writes the absolute audio
paths upstream expects and drops our own fields; :func:`run_import_upstream` reads them back.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from mixgrv_app.core.dataset import (AUDIO_DIR, BAD_NAME_CHARS, TAG_POSITIONS, Dataset, Track, create_dataset,
                                     list_datasets, nfc, now_utc, open_dataset, updating, validate_name)
from mixgrv_app.core.dataset_labels import parse_bpm, read_label_csv, read_sidecars
from mixgrv_app.core.errors import AudioError, DatasetError, MixgrvError
from mixgrv_app.core.fileio import atomic_path, known_fields, read_json, write_json
from mixgrv_app.core.jobs import CancelToken, Cancelled, EventSink, Log, ProgressTracker, ignore_events
from mixgrv_app.core.prompts import INSTRUMENTAL_LYRICS


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
    name = BAD_NAME_CHARS.sub("_", name).strip() or "audio"
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
        source_path=str(source.absolute()), managed_path=managed, content_hash=digest, imported_at=now_utc(),
        analysis=analysis.to_dict(),
    )
    row = csv_rows.get(nfc(source.name).lower()) or csv_rows.get(nfc(source.stem).lower())
    notes = _apply_labels(track, row, read_sidecars(source))
    if labels:
        wanted_id = str(labels.get("id") or "")
        if wanted_id and all(t.id != wanted_id for t in ds.tracks):
            track.id = wanted_id  # keep upstream's ids so its tensors/manifests still line up
        for key, value in known_fields(Track, labels).items():
            if key not in ("id", "audio_path", "filename", "managed_path", "content_hash", "analysis", "duration"):
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




# --------------------------------------------------------------------------- upstream JSON

UPSTREAM_SAMPLE_FIELDS = (
    "id", "audio_path", "filename", "caption", "genre", "lyrics", "raw_lyrics", "formatted_lyrics", "bpm",
    "keyscale", "timesignature", "duration", "language", "is_instrumental", "custom_tag", "labeled",
    "prompt_override",
)
UPSTREAM_META_FIELDS = ("name", "custom_tag", "tag_position", "created_at", "num_samples", "all_instrumental",
                        "genre_ratio")


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
