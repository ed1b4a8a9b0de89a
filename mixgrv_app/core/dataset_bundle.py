"""Dataset bundles: one tar file that carries a prepared dataset to another machine (a rented GPU box).

``pack`` writes ``bundle.json`` (format, dataset name, SHA-256 and size of every file), the
labels (``dataset/dataset.json``), the preprocessed tensors (``tensors/…``: what training reads)
and, only when asked, the managed audio copies (``dataset/audio/…``). ``unpack`` trusts nothing
in the file: every member must be a regular file at a path the layout allows (no absolute path,
no ``..``, no link or device), listed in the manifest with the size and hash it really has; it
extracts into hidden staging folders, checks every hash, and only then renames them into place,
so a refused or damaged bundle leaves nothing behind. An existing dataset is never overwritten.

After unpacking, the tensor manifest's sample paths are rewritten to where the tensors now are
(they named the packing machine's folders); tensors and labels are byte for byte the packed ones.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import time
from pathlib import Path
from typing import Any

from mixgrv_app import paths
from mixgrv_app.core.errors import DatasetError

BUNDLE_JSON = "bundle.json"
FORMAT = "mixgrv-dataset-bundle"
VERSION = 1
MAX_MANIFEST_BYTES = 16 << 20


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _bundle_files(name: str, with_audio: bool) -> dict[str, Path]:
    """archive name → file on disk for dataset ``name``."""
    from mixgrv_app.core.dataset import open_dataset
    from mixgrv_app.core.preprocess import MANIFEST, tensors_dir

    ds = open_dataset(name)
    tensors = tensors_dir(ds.name)
    if not (tensors / MANIFEST).is_file():
        raise DatasetError("dataset.bundle_not_preprocessed",
                           f"Dataset '{ds.name}' has no prepared tensors to pack. Prepare it for training first.",
                           name=ds.name)
    files = {"dataset/dataset.json": ds.json_path}
    for path in sorted(tensors.iterdir()):
        if path.is_file() and not path.is_symlink() and not path.name.startswith("."):
            files[f"tensors/{path.name}"] = path
    if with_audio:
        for track in ds.tracks:
            audio = ds.audio_file(track)
            if audio.is_file():
                files[f"dataset/audio/{audio.name}"] = audio
    return files


def pack(name: str, out: str | os.PathLike[str], with_audio: bool = False) -> Path:
    """Write dataset ``name`` (labels + tensors, + audio if asked) to the new tar file ``out``."""
    from mixgrv_app.core.fileio import atomic_path

    out = Path(out)
    if out.exists():
        raise DatasetError("dataset.bundle_file_exists", f"{out} already exists. Choose another file name.",
                           path=str(out))
    files = _bundle_files(name, with_audio)
    manifest = {"format": FORMAT, "version": VERSION, "dataset": name, "with_audio": with_audio,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "files": {arc: {"sha256": _sha256(p), "size": p.stat().st_size} for arc, p in files.items()}}
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    with atomic_path(out) as tmp, tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(BUNDLE_JSON)
        info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
        tar.addfile(info, io.BytesIO(data))
        for arc, path in files.items():
            info = tarfile.TarInfo(arc)
            info.size, info.mode, info.mtime = path.stat().st_size, 0o644, int(path.stat().st_mtime)
            with open(path, "rb") as fh:
                tar.addfile(info, fh)
    return out


# ------------------------------------------------------------------------------------ unpack
def _unsafe(bundle: Path, member: str, why: str) -> DatasetError:
    return DatasetError("dataset.bundle_unsafe",
                        f"{bundle.name} was refused: '{member}' {why}. Only bundles made by 'mixgrv dataset pack' "
                        "are accepted; ask for a new one.", file=str(bundle), member=member, reason=why)


def _check_name(bundle: Path, arc: str) -> None:
    """The layout a bundle may have: bundle.json, dataset/dataset.json, dataset/audio/F, tensors/F."""
    parts = arc.split("/")
    if not arc or arc.startswith("/") or "\\" in arc or "\x00" in arc or any(p in ("", ".", "..") for p in parts):
        raise _unsafe(bundle, arc, "points outside the dataset folder")
    allowed = arc in (BUNDLE_JSON, "dataset/dataset.json") or (len(parts) == 2 and parts[0] == "tensors") \
        or (len(parts) == 3 and parts[:2] == ["dataset", "audio"])
    if not allowed:
        raise _unsafe(bundle, arc, "is not part of a dataset bundle")


def read_manifest(bundle: str | os.PathLike[str]) -> dict[str, Any]:
    """The bundle's manifest, checked for format (nothing is extracted)."""
    bundle = Path(bundle)
    with _open(bundle) as tar:
        return _manifest(bundle, tar)


def _open(bundle: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(bundle, "r:*")
    except (OSError, tarfile.TarError) as exc:
        raise DatasetError("dataset.bundle_unreadable", f"{bundle.name} cannot be read as a dataset bundle ({exc}).",
                           file=str(bundle), reason=str(exc)) from exc


def _manifest(bundle: Path, tar: tarfile.TarFile) -> dict[str, Any]:
    def bad(reason: str) -> DatasetError:
        return DatasetError("dataset.bundle_unreadable", f"{bundle.name} cannot be read as a dataset bundle ({reason}).",
                            file=str(bundle), reason=reason)

    try:
        member = tar.getmember(BUNDLE_JSON)
    except KeyError:
        raise bad("no bundle.json") from None
    if not member.isreg() or member.size > MAX_MANIFEST_BYTES:
        raise bad("bundle.json is not a regular file of sensible size")
    try:
        manifest = json.loads(tar.extractfile(member).read())
    except (ValueError, OSError, tarfile.TarError) as exc:
        raise bad(f"bundle.json: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise bad("not a mixgrv dataset bundle")
    if int(manifest.get("version", 0)) > VERSION:
        raise bad(f"made by a newer mixgrv (bundle version {manifest.get('version')}); update mixgrv")
    return manifest


def unpack(bundle: str | os.PathLike[str], name: str | None = None) -> str:
    """Check and extract ``bundle`` as dataset ``name`` (default: the packed name); returns the name."""
    from mixgrv_app.core.dataset import DATASET_FILE, validate_name
    from mixgrv_app.core.fileio import read_json, write_json
    from mixgrv_app.core.preprocess import MANIFEST

    bundle = Path(bundle)
    with _open(bundle) as tar:
        manifest = _manifest(bundle, tar)
        name = validate_name(name or str(manifest.get("dataset", "")))
        files: dict[str, dict[str, Any]] = manifest["files"]
        for arc in files:
            _check_name(bundle, arc)
            if arc == BUNDLE_JSON:
                raise _unsafe(bundle, arc, "is listed as a data file")
        if "dataset/dataset.json" not in files or f"tensors/{MANIFEST}" not in files:
            raise _corrupt(bundle, "dataset/dataset.json" if "dataset/dataset.json" not in files else
                           f"tensors/{MANIFEST}", "is missing")
        targets = {"dataset": paths.datasets_dir() / name, "tensors": paths.tensors_dir() / name}
        for kind, target in targets.items():
            if target.exists():
                raise DatasetError("dataset.bundle_exists",
                                   f"A dataset named '{name}' already exists here ({kind} folder {target}). Unpack "
                                   "under another name with --name, or delete that dataset first.",
                                   name=name, path=str(target))
        staging = {kind: t.with_name(f".{t.name}.unpacking-{os.getpid()}") for kind, t in targets.items()}
        moved: list[Path] = []
        try:
            _extract(bundle, tar, files, staging)
            (staging["dataset"] / "audio").mkdir(parents=True, exist_ok=True)
            for kind in ("tensors", "dataset"):
                os.replace(staging[kind], targets[kind])
                moved.append(targets[kind])
        except BaseException:
            for folder in (*staging.values(), *moved):  # the targets did not exist before: ours to remove
                shutil.rmtree(folder, ignore_errors=True)
            raise
    tensors_manifest = targets["tensors"] / MANIFEST
    data = read_json(tensors_manifest)
    data["samples"] = [str(targets["tensors"] / Path(str(p)).name) for p in data.get("samples", [])]
    write_json(tensors_manifest, data)
    assert (targets["dataset"] / DATASET_FILE).is_file()
    return name


def _corrupt(bundle: Path, member: str, why: str) -> DatasetError:
    return DatasetError("dataset.bundle_corrupt",
                        f"{bundle.name} is damaged or was changed: {member} {why}. Copy or pack the bundle again.",
                        file=str(bundle), member=member, reason=why)


def _extract(bundle: Path, tar: tarfile.TarFile, files: dict[str, dict[str, Any]], staging: dict[str, Path]) -> None:
    """Stream every member into the staging folders, hashing as it goes; refuse anything unexpected."""
    seen: set[str] = set()
    for member in tar:
        arc = member.name
        if arc == BUNDLE_JSON:
            continue
        _check_name(bundle, arc)
        if not member.isreg():
            raise _unsafe(bundle, arc, "is a link or a special file")
        if arc in seen:
            raise _unsafe(bundle, arc, "appears twice")
        expected = files.get(arc)
        if expected is None:
            raise _corrupt(bundle, arc, "is not in the bundle's manifest")
        if member.size != int(expected.get("size", -1)):
            raise _corrupt(bundle, arc, f"has {member.size} bytes instead of {expected.get('size')}")
        kind, rest = arc.split("/", 1)
        dest = staging[kind] / rest
        dest.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        source = tar.extractfile(member)
        with open(dest, "xb") as fh:
            while block := source.read(1 << 20):
                digest.update(block)
                fh.write(block)
        if digest.hexdigest() != expected.get("sha256"):
            raise _corrupt(bundle, arc, "does not match its SHA-256 hash")
        seen.add(arc)
    missing = sorted(set(files) - seen)
    if missing:
        raise _corrupt(bundle, missing[0], "is missing")
