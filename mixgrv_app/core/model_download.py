"""Download, verify and remove model folders: jobs on huggingface_hub's own resumable download.

Which folders exist, where they come from and what they need is :mod:`mixgrv_app.core.models`;
this module moves bytes. Everything here is a job ``(request, events, cancel)`` meant to run in a
child process through :mod:`mixgrv_app.core.jobs` (``download_in_child``, ``verify_in_child``):
the Hub client cannot be interrupted mid-file, so cancel ends the child at once and the next run
resumes from the partial file the client left (``<root>/.cache/huggingface/download``).

How a download goes
-------------------
1. ``plan``: one ``HfApi.model_info(files_metadata=True)`` per repo pins the revision to its
   commit and gives every file's size, git blob id and (LFS files) sha256. Only the files the
   app uses are kept (each component's allow patterns). Components found complete in the
   Hugging Face cache are linked in place instead (no second copy) after their hashes check.
2. Free space for what is still missing (plus a margin) is checked before any byte moves
   (``free_space`` is injectable for tests).
3. The manifest ``<root>/.mixgrv/<folder>.json`` is written with ``complete: false``; then each
   file is fetched with ``hf_hub_download(revision=<commit>, local_dir=...)`` by a few worker
   threads. A watcher thread follows each growing ``.incomplete`` file, hashing the bytes as
   they land (so verification costs no second pass) and reporting per-file and total
   progress, speed and ETA. A dropped connection is resumed from the byte offset.
4. Each file's sha256 (LFS) or git blob id (small files) and size are compared with the Hub's;
   a mismatch deletes the file and fetches it once more, then fails with a clear message.
   When every file of a folder matched, its manifest says ``complete: true`` and an
   ``Artifact(kind="model")`` is emitted: the folder is usable from that moment.

Events (``core.jobs``): ``Progress(stage="download", done=bytes, total=bytes, eta_s, message=
"<folder>/<file>", overall)`` for the whole job, ``Progress(stage="file", ...)`` per file,
``Progress(stage="verify", done=bytes, total=bytes)`` while hashing existing files,
``Metric(values={"bytes_per_s", "done_bytes", "total_bytes", "files_done", "files_total",
"eta_s"})`` about 4 times a second, ``Log`` lines, ``Artifact(kind="model", path=folder,
info={"component", "commit"})``.

Errors are :class:`~mixgrv_app.core.models.ModelError` with codes ``models.network``,
``models.unauthorized``, ``models.not_found``, ``models.disk_full``, ``models.offline``,
``models.verify_failed``, ``models.unknown_component``, ``models.remove_failed``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mixgrv_app.core import models
from mixgrv_app.core.jobs import CancelToken, EventSink, ignore_events

STAGE_DOWNLOAD, STAGE_FILE, STAGE_VERIFY = "download", "file", "verify"
DOWNLOAD_TARGET = "mixgrv_app.core.model_download:run_download"
VERIFY_TARGET = "mixgrv_app.core.model_download:run_verify"
SPACE_MARGIN_BYTES = 256 * 1024 * 1024   # kept free beyond what the files need

FreeSpace = Callable[[Path], int]


def disk_free(path: Path) -> int:
    """Free bytes on the volume of ``path`` (its nearest existing parent)."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


@dataclass
class DownloadRequest:
    root: str                                       # the models root (core.models)
    components: list[str] = field(default_factory=list)  # folder names; empty = the essentials
    endpoint: str | None = None                     # Hub URL; None = HF_ENDPOINT or huggingface.co
    token: str | None = None                        # None = HF_TOKEN or the stored login
    reuse_hf_cache: bool = True                     # link complete folders found in the HF cache
    workers: int = 4                                # files fetched at once

    def names(self) -> list[str]:
        return list(self.components) or list(models.ESSENTIALS)


def essentials_request(root: str | os.PathLike[str], lm: str | None = None, **kw: Any) -> DownloadRequest:
    """The essentials, plus the 5 Hz LM of size ``lm`` ("0.6B", "1.7B", "4B") when given."""
    names = list(models.ESSENTIALS) + ([models.lm_component(lm).name] if lm else [])
    return DownloadRequest(root=str(root), components=names, **kw)


@dataclass
class PlannedFile:
    component: str        # folder name
    repo: str
    repo_path: str        # path in the repo
    rel: str              # path inside the folder
    size: int
    blob_id: str          # git blob id (the ETag of a small file)
    sha256: str | None    # LFS files: the content hash (the ETag of a large file)
    present: int = 0      # bytes already on disk (complete file, or the partial one)


@dataclass
class Plan:
    root: str
    commits: dict[str, str]                  # repo → pinned commit
    files: list[PlannedFile]                 # every file of the requested folders
    reuse: dict[str, str] = field(default_factory=dict)  # folder → HF cache folder to link in place

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files if f.component not in self.reuse)

    @property
    def missing_bytes(self) -> int:
        return sum(f.size - f.present for f in self.files if f.component not in self.reuse)


def plan(request: DownloadRequest) -> Plan:
    """Ask the Hub what the requested folders hold (sizes, hashes, commit) and what is on disk."""
    raise NotImplementedError


def download(request: DownloadRequest, events: EventSink = ignore_events, cancel: CancelToken | None = None,
             *, free_space: FreeSpace = disk_free) -> dict[str, Any]:
    """Fetch (or link from the HF cache) and verify the requested folders.

    Returns ``{"components": [...], "fetched_bytes": n, "reused": [...], "commits": {repo: sha}}``.
    """
    raise NotImplementedError


def verify(root: str | os.PathLike[str], names: list[str] | None = None, events: EventSink = ignore_events,
           cancel: CancelToken | None = None, *, repair: bool = False, endpoint: str | None = None,
           token: str | None = None) -> dict[str, Any]:
    """Hash every file of the downloaded folders (all with a manifest, or ``names``) against the
    manifest. A mismatching file is deleted and its folder marked partial; with ``repair`` it is
    fetched again. Returns ``{"ok": [...], "bad": {folder: [files]}, "repaired": [...]}``."""
    raise NotImplementedError


def remove(root: str | os.PathLike[str], name: str) -> None:
    """Delete a folder (only the link when it points into the HF cache) and its manifest."""
    raise NotImplementedError


# ------------------------------------------------------------------------------ child entry points
def run_download(request: dict[str, Any], events: EventSink, cancel: CancelToken) -> dict[str, Any]:
    """``core.jobs`` target: ``request`` is ``asdict(DownloadRequest)``."""
    return download(DownloadRequest(**request), events, cancel)


def run_verify(request: dict[str, Any], events: EventSink, cancel: CancelToken) -> dict[str, Any]:
    """``core.jobs`` target: ``{"root", "names"?, "repair"?, "endpoint"?, "token"?}``."""
    return verify(request["root"], request.get("names"), events, cancel, repair=bool(request.get("repair")),
                  endpoint=request.get("endpoint"), token=request.get("token"))


def download_in_child(request: DownloadRequest, events: EventSink = ignore_events, cancel: CancelToken | None = None,
                      on_start: Callable[[int], Any] | None = None) -> dict[str, Any]:
    """Run :func:`download` in a child process; cancel ends it at once (the next run resumes)."""
    from mixgrv_app.core.jobs import run_in_child_process

    return run_in_child_process(DOWNLOAD_TARGET, asdict(request), events, cancel, on_start=on_start)


def verify_in_child(root: str | os.PathLike[str], names: list[str] | None = None, events: EventSink = ignore_events,
                    cancel: CancelToken | None = None, *, repair: bool = False,
                    on_start: Callable[[int], Any] | None = None) -> dict[str, Any]:
    from mixgrv_app.core.jobs import run_in_child_process

    return run_in_child_process(VERIFY_TARGET, {"root": str(root), "names": names, "repair": repair},
                                events, cancel, on_start=on_start)
