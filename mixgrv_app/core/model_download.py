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

Offline (``HF_HUB_OFFLINE=1``) nothing is asked of the Hub: complete folders in the HF cache are
linked after checking each file against the name the client gave its blob (the sha256 of an LFS
file, the git blob id of a small one); anything else fails with ``models.offline``.

Cancel: in the child (``run_download`` / ``run_verify``) the job runs in a daemon thread and the
child returns the moment cancel is set, in any phase; called in-process, ``download`` stops
between files.

Events (``core.jobs``): ``Progress(stage="download", done=bytes, total=bytes, eta_s, message=
"<folder>/<file>", overall)`` for the whole job, ``Progress(stage="file", ...)`` per file,
``Progress(stage="verify", done=bytes, total=bytes)`` while hashing existing files,
``Metric(values={"bytes_per_s", "done_bytes", "total_bytes", "files_done", "files_total",
"eta_s"})`` about 4 times a second, ``Log`` lines, ``Artifact(kind="model", path=folder,
info={"component", "commit"})``.

``verify`` returns ``{"ok", "bad", "differs", "unverifiable", "repaired"}`` (see its docstring):
our own downloads are repaired, a folder the user brought is only reported.

Errors are :class:`~mixgrv_app.core.models.ModelError` with codes ``models.network``,
``models.unauthorized``, ``models.not_found``, ``models.disk_full``, ``models.offline``,
``models.verify_failed``, ``models.unknown_component``, ``models.remove_failed``,
``models.write_failed``, ``models.child_died`` (the child process was killed or crashed).
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mixgrv_app.core import models
from mixgrv_app.core.jobs import (
    Artifact,
    Cancelled,
    CancelToken,
    EventSink,
    Log,
    Metric,
    Progress,
    ProgressTracker,
    ignore_events,
)

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


# ------------------------------------------------------------------------------ where files go
def _local_dir(root: Path, comp: models.Component) -> Path:
    """hf_hub_download's ``local_dir``: the root for a folder of the main repo, else the folder."""
    return root if comp.subfolder else root / comp.name


def _etag(pf: PlannedFile) -> str:
    return pf.sha256 or pf.blob_id


def _partial_file(root: Path, pf: PlannedFile) -> Path | None:
    comp = models.component(pf.component)
    return next(models.hf_download_state_dir(root, comp).glob(f"*.{_etag(pf)}.incomplete"), None)


def _final_file(root: Path, pf: PlannedFile) -> Path:
    return root / pf.component / pf.rel


def _present_bytes(root: Path, pf: PlannedFile) -> int:
    final = _final_file(root, pf)
    if final.is_file():
        return min(final.stat().st_size, pf.size)
    partial = _partial_file(root, pf)
    return min(partial.stat().st_size, pf.size) if partial is not None else 0


def _forget_file(root: Path, pf: PlannedFile) -> None:
    """Delete a file and the Hub client's record of it, so that it is fetched again."""
    comp = models.component(pf.component)
    _final_file(root, pf).unlink(missing_ok=True)
    state = models.hf_download_state_dir(root, comp)
    (state / f"{Path(pf.repo_path).name}.metadata").unlink(missing_ok=True)
    for partial in state.glob(f"*.{_etag(pf)}.incomplete"):
        partial.unlink(missing_ok=True)


def _gb(n: float) -> str:
    return f"{n / models.GB:.1f}" if n >= models.GB / 10 else f"{n / models.GB:.3f}"


# ------------------------------------------------------------------------------ hashing
_READ = 4 * 1024 * 1024


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _hash_file(path: Path, lfs: bool, on_bytes: Callable[[int], Any] = lambda n: None,
               cancel: CancelToken | None = None) -> str:
    """sha256 (LFS files) or git blob id (small files) of a file on disk."""
    if not lfs:
        data = path.read_bytes()
        on_bytes(len(data))
        return git_blob_id(data)
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_READ):
            h.update(chunk)
            on_bytes(len(chunk))
            if cancel is not None:
                cancel.raise_if_cancelled()
    return h.hexdigest()


def _matches(pf: PlannedFile, digest: str, size: int) -> bool:
    return size == pf.size and digest == (pf.sha256 or pf.blob_id)


class _Follower(threading.Thread):
    """Hashes an LFS file while the Hub client writes it: follows the growing ``.incomplete``
    file (same inode after the client renames it into place), so verifying costs no second
    read of the file. ``done`` is the number of bytes hashed (the file's progress)."""

    def __init__(self, state_dir: Path, etag: str) -> None:
        super().__init__(daemon=True)
        self.state_dir, self.etag = state_dir, etag
        self.hasher = hashlib.sha256()
        self.done = 0
        self._fh: Any = None
        self._halt = threading.Event()

    def _open(self) -> None:
        partial = next(self.state_dir.glob(f"*.{self.etag}.incomplete"), None)
        if partial is not None:
            try:
                self._fh = open(partial, "rb")  # noqa: SIM115 - kept open across the rename
            except OSError:
                self._fh = None

    def _read(self) -> int:
        fh = self._fh
        if os.fstat(fh.fileno()).st_size < self.done:  # the client started the file over
            fh.seek(0)
            self.hasher, self.done = hashlib.sha256(), 0
        got = 0
        while chunk := fh.read(_READ):
            self.hasher.update(chunk)
            self.done += len(chunk)
            got += len(chunk)
        return got

    def run(self) -> None:
        while True:
            stopping = self._halt.is_set()
            if self._fh is None:
                self._open()
            if self._fh is None:
                if stopping:
                    return
                time.sleep(0.02)
                continue
            got = self._read()
            if stopping:
                return
            if not got:
                time.sleep(0.01)

    def finish(self, final: Path, on_bytes: Callable[[int], Any]) -> tuple[str, int]:
        """(sha256, size) of ``final``: what was followed when it is that very file, else hashed now."""
        self._halt.set()
        self.join()
        fh, self._fh = self._fh, None
        try:
            same = fh is not None and os.fstat(fh.fileno()).st_ino == final.stat().st_ino and \
                self.done == final.stat().st_size
        finally:
            if fh is not None:
                fh.close()
        if same:
            return self.hasher.hexdigest(), self.done
        self.done = 0

        def count(n: int) -> None:
            self.done += n
            on_bytes(self.done)

        return _hash_file(final, True, count), final.stat().st_size


# ------------------------------------------------------------------------------ errors
def _error(exc: BaseException, *, repo: str = "", path: str = "", endpoint: str | None = None) -> models.ModelError:
    """The user's one-line message for a failure of the Hub client."""
    import requests
    from huggingface_hub import errors as hf_errors

    if isinstance(exc, models.ModelError):
        return exc
    where = endpoint or _endpoint()
    if isinstance(exc, hf_errors.OfflineModeIsEnabled):
        return models.ModelError("models.offline", f"Offline mode is on (HF_HUB_OFFLINE), so {repo} cannot be "
                                 "downloaded. Turn offline mode off, or choose a folder that already has the models.",
                                 repo=repo)
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status == 401 or isinstance(exc, hf_errors.GatedRepoError) or status == 403:
        return models.ModelError("models.unauthorized", f"The model server refused access to {repo} ({status}). "
                                 "Set a valid Hugging Face token (HF_TOKEN or `hf auth login`), then try again.",
                                 repo=repo, status=status or "")
    if status == 404 or isinstance(exc, (hf_errors.RepositoryNotFoundError, hf_errors.EntryNotFoundError,
                                         hf_errors.RevisionNotFoundError)):
        what = f"{repo}/{path}" if path else repo
        return models.ModelError("models.not_found", f"{what} was not found on the model server {where} (404). "
                                 "Check the server address (HF_ENDPOINT) or update mixgrv.",
                                 repo=what, endpoint=where)
    if isinstance(exc, OSError) and getattr(exc, "errno", None) == errno.ENOSPC:
        return models.ModelError("models.disk_full", f"The disk filled up while downloading {path}. Free some space, "
                                 "then press Download again: finished files are kept.",
                                 path=path, needed="?", free="0")
    if isinstance(exc, (requests.RequestException, hf_errors.LocalEntryNotFoundError, ConnectionError, TimeoutError)) \
            or (isinstance(exc, OSError) and "Consistency check failed" in str(exc)):
        reason = _network_reason(exc)
        return models.ModelError("models.network", f"Could not download from {where} ({reason}). Check the internet "
                                 "connection or proxy, then download again: finished files are kept.",
                                 endpoint=where, reason=reason)
    if isinstance(exc, OSError):
        return models.ModelError("models.write_failed", f"Could not write {path or repo} ({exc}). Check that the models "
                                 "folder is writable, or choose another one.", path=path or repo, reason=str(exc))
    raise exc


def _network_reason(exc: BaseException) -> str:
    """A few words on why the connection failed (the exception chain's root cause)."""
    import socket

    import requests

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return "unknown host"
        if isinstance(seen, (requests.Timeout, TimeoutError, socket.timeout)):
            return "timed out"
        if isinstance(seen, requests.exceptions.ChunkedEncodingError):
            return "connection dropped"
        if isinstance(seen, requests.exceptions.ProxyError):
            return "proxy error"
        if isinstance(seen, requests.exceptions.SSLError):
            return "secure connection failed"
        nxt = seen.__cause__ or seen.__context__
        if nxt is None and seen.args and isinstance(seen.args[0], BaseException):
            nxt = seen.args[0]
        if nxt is None and seen.args and hasattr(seen.args[0], "reason"):
            nxt = getattr(seen.args[0], "reason", None)
        seen = nxt if isinstance(nxt, BaseException) else None
    return type(exc).__name__


def _endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def _transient(exc: BaseException) -> bool:
    """Worth resuming the same file again: the connection broke or the size came out short."""
    import requests

    if isinstance(exc, requests.HTTPError):
        status = getattr(exc.response, "status_code", 0) or 0
        return status >= 500 or status == 429
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)):
        return True
    return isinstance(exc, OSError) and "Consistency check failed" in str(exc)


# ------------------------------------------------------------------------------ plan
def plan(request: DownloadRequest) -> Plan:
    """Ask the Hub what the requested folders hold (sizes, hashes, commit) and what is on disk."""
    from huggingface_hub import HfApi

    root = Path(request.root)
    comps = [models.component(n) for n in request.names()]
    api = HfApi(endpoint=request.endpoint, token=request.token)
    infos: dict[str, Any] = {}
    for repo in dict.fromkeys(c.repo for c in comps):
        try:
            infos[repo] = api.model_info(repo, files_metadata=True)
        except Exception as exc:
            raise _error(exc, repo=repo, endpoint=request.endpoint) from exc
    files: list[PlannedFile] = []
    for comp in comps:
        info = infos[comp.repo]
        mine = [PlannedFile(comp.name, comp.repo, s.rfilename, rel, int(s.size or 0), s.blob_id or "",
                            s.lfs.sha256 if s.lfs else None)
                for s in info.siblings or [] if (rel := comp.folder_path(s.rfilename)) is not None]
        names = {f.rel for f in mine}
        if not all(req in names for req in comp.required) or not any(n.endswith(".safetensors") for n in names):
            what = f"{comp.repo}/{comp.subfolder}" if comp.subfolder else comp.repo
            raise models.ModelError("models.not_found", f"{what} was not found complete on the model server "
                                    f"{request.endpoint or _endpoint()} (404). Check the server address (HF_ENDPOINT) "
                                    "or update mixgrv.", repo=what, endpoint=request.endpoint or _endpoint())
        for f in mine:
            f.present = _present_bytes(root, f)
        files.extend(mine)
    result = Plan(str(root), {repo: info.sha for repo, info in infos.items()}, files)
    if request.reuse_hf_cache:
        cached = models.hf_cache_components()
        for comp in comps:
            folder = root / comp.name
            if comp.name in cached and not folder.exists() and not folder.is_symlink():
                src = cached[comp.name]
                if all((src / f.rel).is_file() and (src / f.rel).stat().st_size == f.size
                       for f in files if f.component == comp.name):
                    result.reuse[comp.name] = str(src)
    return result


# ------------------------------------------------------------------------------ manifests
def _file_entry(pf: PlannedFile, verified: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"size": pf.size, "blob_id": pf.blob_id, "verified": verified}
    if pf.sha256:
        entry["sha256"] = pf.sha256
    return entry


def _start_manifest(root: Path, name: str, comp: models.Component, commit: str, files: list[PlannedFile],
                    linked_to: str | None = None, write: bool = True) -> dict[str, Any]:
    """The manifest of a folder about to be filled (``complete: false``), keeping the files a
    previous run already verified at the same commit. Written unless ``write`` is False."""
    old = models.read_manifest(root, name) or {}
    old_files = old.get("files", {}) if old.get("commit") == commit else {}
    entries = {}
    for pf in files:
        was = old_files.get(pf.rel, {})
        ok = bool(was.get("verified")) and was.get("size") == pf.size and _final_file(root, pf).is_file() and \
            _final_file(root, pf).stat().st_size == pf.size
        entries[pf.rel] = _file_entry(pf, ok)
    manifest = {"format": 1, "component": name, "repo": comp.repo, "subfolder": comp.subfolder, "commit": commit,
                "complete": False, "files": entries}
    if linked_to:
        manifest["linked_to"] = linked_to
    if write:
        _write_manifest(root, manifest)
    return manifest


def _write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    try:
        models.write_manifest(root, manifest["component"], manifest)
    except OSError as exc:
        raise models.ModelError("models.write_failed", f"Could not write {models.manifest_path(root, manifest['component'])} "
                                f"({exc}). Check that the models folder is writable, or choose another one.",
                                path=str(root), reason=str(exc)) from exc


def _finish_manifest(root: Path, manifest: dict[str, Any]) -> None:
    manifest["complete"] = True
    manifest["verified"] = True
    manifest["verified_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _write_manifest(root, manifest)


# ------------------------------------------------------------------------------ the transfer
class _Transfer:
    """A few worker threads fetch and verify files; the calling thread reports and watches cancel."""

    def __init__(self, root: Path, request: DownloadRequest, commits: dict[str, str], todo: list[PlannedFile],
                 manifests: dict[str, dict[str, Any]], events: EventSink, cancel: CancelToken) -> None:
        self.root, self.request, self.commits = root, request, commits
        self.queue = sorted(todo, key=lambda f: f.size)  # pop() takes the biggest first
        self.manifests, self.events, self.cancel = manifests, events, cancel
        self.total = sum(f.size for f in todo)
        self.files_total = len(todo)
        self.files_done = 0
        self.progress: dict[str, int] = {}    # "<folder>/<file>" → bytes done, for files in flight
        self.followers: dict[str, _Follower] = {}  # files in flight being hashed as they arrive
        self.done_bytes = 0                   # bytes of finished files
        self.fetched_bytes = 0
        self.error: BaseException | None = None
        self.lock = threading.Lock()

    # -- worker side
    def _worker(self) -> None:
        while True:
            with self.lock:
                if self.error is not None or self.cancel.cancelled or not self.queue:
                    return
                pf = self.queue.pop()
                self.progress[f"{pf.component}/{pf.rel}"] = 0
            try:
                self._fetch_verified(pf)
            except BaseException as exc:  # noqa: BLE001 - handed to the reporting thread
                with self.lock:
                    if self.error is None:
                        self.error = exc
                return

    def _set(self, pf: PlannedFile, n: int) -> None:
        self.progress[f"{pf.component}/{pf.rel}"] = n

    def _fetch_verified(self, pf: PlannedFile) -> None:
        for attempt in range(2):
            digest, size = self._fetch(pf)
            if not _matches(pf, digest, size) and pf.sha256 and size == pf.size:
                digest = _hash_file(_final_file(self.root, pf), True)  # never condemn a file on the followed hash alone
            if _matches(pf, digest, size):
                self._file_verified(pf)
                return
            self.events(Log("warning", f"{pf.component}/{pf.rel} did not match the publisher's checksum; fetching it "
                            "again", code="models.refetch", params={"file": f"{pf.component}/{pf.rel}"}))
            _forget_file(self.root, pf)
            if attempt:
                break
        raise models.ModelError("models.verify_failed", f"{pf.component}/{pf.rel} did not match the publisher's "
                                "checksum twice and was deleted. Try again later or from another network.",
                                file=f"{pf.component}/{pf.rel}")

    def _fetch(self, pf: PlannedFile) -> tuple[str, int]:
        from huggingface_hub import hf_hub_download

        comp = models.component(pf.component)
        final = _final_file(self.root, pf)
        before = _present_bytes(self.root, pf)
        follower = _Follower(models.hf_download_state_dir(self.root, comp), _etag(pf)) if pf.sha256 else None
        if follower is not None:
            follower.start()
            with self.lock:
                self.followers[f"{pf.component}/{pf.rel}"] = follower
        try:
            for attempt in range(5):
                try:
                    hf_hub_download(pf.repo, pf.repo_path, revision=self.commits[pf.repo],
                                    local_dir=_local_dir(self.root, comp), endpoint=self.request.endpoint,
                                    token=self.request.token)
                    break
                except Exception as exc:
                    if self.cancel.cancelled or attempt == 4 or not _transient(exc):
                        raise _error(exc, repo=pf.repo, path=pf.repo_path, endpoint=self.request.endpoint) from exc
                    self.events(Log("info", f"{pf.component}/{pf.rel}: connection lost ({type(exc).__name__}); "
                                    "resuming", code="models.resuming", params={"file": f"{pf.component}/{pf.rel}"}))
                    time.sleep(0.5 * 2 ** attempt)
        finally:
            if follower is not None and not final.is_file():
                follower._halt.set()
        size = final.stat().st_size
        with self.lock:
            self.fetched_bytes += max(0, size - before)
        if follower is None:
            digest = _hash_file(final, False)
            self._set(pf, size)
            return digest, size
        return follower.finish(final, lambda n: self._set(pf, n))

    def _file_verified(self, pf: PlannedFile) -> None:
        with self.lock:
            manifest = self.manifests[pf.component]
            manifest["files"][pf.rel]["verified"] = True
            complete = all(e["verified"] for e in manifest["files"].values())
            if complete:
                _finish_manifest(self.root, manifest)
            else:
                _write_manifest(self.root, manifest)
            self.progress.pop(f"{pf.component}/{pf.rel}", None)
            self.followers.pop(f"{pf.component}/{pf.rel}", None)
            self.done_bytes += pf.size
            self.files_done += 1
        if complete:
            self.events(Artifact("model", str(self.root / pf.component),
                                 {"component": pf.component, "commit": manifest["commit"]}))

    # -- reporting side
    def run(self) -> None:
        n = max(1, min(int(self.request.workers or 1), len(self.queue)))
        threads = [threading.Thread(target=self._worker, daemon=True, name=f"model-download-{i}") for i in range(n)]
        for t in threads:
            t.start()
        started = time.monotonic()
        window: list[tuple[float, int]] = []
        step = 0
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(0.25 / n)
            self.cancel.raise_if_cancelled()  # the workers stop at the next file; a child process just ends
            with self.lock:
                if self.error is not None:
                    break
            step += 1
            self._report(step, started, window)
        with self.lock:
            error = self.error
        if error is not None:
            raise error
        self.cancel.raise_if_cancelled()
        self._report(step + 1, started, window)

    def _report(self, step: int, started: float, window: list[tuple[float, int]]) -> None:
        with self.lock:
            flight = {name: max(n, self.followers[name].done if name in self.followers else 0)
                      for name, n in self.progress.items()}
            done = self.done_bytes + sum(flight.values())
        now = time.monotonic()
        window.append((now, done))
        while len(window) > 2 and now - window[0][0] > 3.0:
            window.pop(0)
        span = now - window[0][0]
        speed = (done - window[0][1]) / span if span > 0.2 else 0.0
        eta = (self.total - done) / speed if speed > 0 else None
        current = max(flight, key=flight.get) if flight else ""
        self.events(Progress(STAGE_DOWNLOAD, done, self.total, eta, current,
                             done / self.total if self.total else 1.0))
        for name, n in flight.items():
            comp_name, rel = name.split("/", 1)
            size = self.manifests[comp_name]["files"][rel]["size"]
            self.events(Progress(STAGE_FILE, n, size, None, name))
        self.events(Metric(step, {"bytes_per_s": speed, "done_bytes": float(done), "total_bytes": float(self.total),
                                  "files_done": float(self.files_done), "files_total": float(self.files_total),
                                  "eta_s": float(eta) if eta is not None else -1.0,
                                  "elapsed_s": now - started}))


def _tune_client() -> None:
    """Settings of the Hub client in this (download) process:

    * 1 MiB read chunks instead of 10 MiB: finer resume after a dropped connection and smoother
      progress, same speed;
    * the plain HTTP path even where ``hf_xet`` / ``hf_transfer`` are installed (unless the user
      set ``HF_HUB_DISABLE_XET=0``): it is the one that resumes a partial file from its byte
      offset, that we follow while hashing, and that the tests exercise. hf_transfer would also
      delete partial files instead of resuming them.
    """
    from huggingface_hub import constants

    constants.DOWNLOAD_CHUNK_SIZE = min(constants.DOWNLOAD_CHUNK_SIZE, 1024 * 1024)
    if os.environ.get("HF_HUB_DISABLE_XET", "").strip() not in ("0", "false", "False"):
        constants.HF_HUB_DISABLE_XET = True
    constants.HF_HUB_ENABLE_HF_TRANSFER = False


def _verify_files(root: Path, files: list[tuple[PlannedFile, Path]], events: EventSink, cancel: CancelToken,
                  workers: int = 2) -> list[PlannedFile]:
    """Hash ``(file, path on disk)`` pairs in a few threads; the ones that do not match."""
    total = sum(pf.size for pf, _ in files)
    tracker = ProgressTracker(events, STAGE_VERIFY, total)
    lock = threading.Lock()
    done = [0]
    bad: list[PlannedFile] = []
    queue = list(files)
    errors: list[BaseException] = []

    def count(n: int) -> None:
        with lock:
            done[0] += n

    def work() -> None:
        while True:
            with lock:
                if not queue or errors or cancel.cancelled:
                    return
                pf, path = queue.pop()
            try:
                ok = path.is_file() and path.stat().st_size == pf.size and \
                    _hash_file(path, pf.sha256 is not None, count, cancel) == (pf.sha256 or pf.blob_id)
            except Cancelled:
                return
            except OSError:
                ok = False
            if not ok:
                with lock:
                    bad.append(pf)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(max(1, min(workers, len(queue))))]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(0.1)
        with lock:
            now = done[0]
        tracker.update(now, f"{len(files) - len(queue)}/{len(files)} files")
    cancel.raise_if_cancelled()
    tracker.update(total, f"{len(files)}/{len(files)} files")
    return bad


def _link_from_cache(root: Path, name: str, src: Path, commit: str, files: list[PlannedFile], events: EventSink,
                     cancel: CancelToken) -> bool:
    """Verify a folder in the HF cache and link it into the root (no copy). False when it does not match."""
    bad = _verify_files(root, [(pf, src / pf.rel) for pf in files], events, cancel)
    if bad:
        events(Log("warning", f"{name} in the Hugging Face cache ({src}) does not match the Hub; downloading it instead",
                   code="models.cache_mismatch", params={"component": name, "path": str(src)}))
        return False
    comp = models.component(name)
    manifest = _start_manifest(root, name, comp, commit, [], linked_to=str(src))
    manifest["files"] = {pf.rel: _file_entry(pf, True) for pf in files}
    link = root / name
    tmp = root / f".{name}.link-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(src, tmp, target_is_directory=True)
    os.replace(tmp, link)
    _finish_manifest(root, manifest)
    events(Log("info", f"{name}: using the copy in the Hugging Face cache ({src})", code="models.reused",
               params={"component": name, "path": str(src)}))
    events(Artifact("model", str(link), {"component": name, "commit": commit, "linked_to": str(src)}))
    return True


def _offline_from_cache(root: Path, wanted: list[str], request: DownloadRequest, events: EventSink,
                        cancel: CancelToken) -> list[str]:
    """Offline (HF_HUB_OFFLINE): link what the HF cache holds, checked against the names the Hub
    client gave its blobs (the sha256 of an LFS file, the git blob id of a small one)."""
    cached = models.hf_cache_components() if request.reuse_hf_cache else {}
    missing = [n for n in wanted if n not in cached or (root / n).exists() or (root / n).is_symlink()]
    if missing:
        repos = ", ".join(dict.fromkeys(models.component(n).repo for n in missing))
        raise models.ModelError("models.offline", f"Offline mode is on (HF_HUB_OFFLINE), so {repos} cannot be "
                                "downloaded. Turn offline mode off, or choose a folder that already has the models.",
                                repo=repos)
    root.mkdir(parents=True, exist_ok=True)
    for name in wanted:
        comp, src = models.component(name), cached[name]
        files = []
        for path in sorted(p for p in src.iterdir() if p.is_file()):
            if comp.folder_path(comp.repo_path(path.name)) is None:
                continue
            blob = Path(os.path.realpath(path)).name
            lfs = len(blob) == 64
            files.append(PlannedFile(name, comp.repo, comp.repo_path(path.name), path.name, path.stat().st_size,
                                     "" if lfs else blob, blob if lfs else None))
        commit = (src.parent if comp.subfolder else src).name  # snapshots/<commit>/
        if not _link_from_cache(root, name, src, commit, files, events, cancel):
            raise models.ModelError("models.offline", f"Offline mode is on (HF_HUB_OFFLINE) and {name} in the Hugging "
                                    "Face cache is damaged. Turn offline mode off to download it again.",
                                    repo=comp.repo)
    return list(wanted)


def download(request: DownloadRequest, events: EventSink = ignore_events, cancel: CancelToken | None = None,
             *, free_space: FreeSpace = disk_free) -> dict[str, Any]:
    """Fetch (or link from the HF cache) and verify the requested folders.

    Returns ``{"components": [...], "fetched_bytes": n, "reused": [...], "skipped": [...],
    "commits": {repo: sha}}``. In-process, cancel takes effect between files; in a child
    (:func:`download_in_child`) it is immediate.
    """
    cancel = cancel or CancelToken()
    root = Path(request.root).expanduser()
    names = request.names()
    for name in names:
        models.component(name)  # unknown names fail before any network
    states = {name: models.component_state(root, name) for name in names}
    wanted = [n for n in names if states[n].status != models.INSTALLED]
    skipped = [n for n in names if n not in wanted]
    for name in wanted:  # a link of ours into the HF cache whose files are gone: forget it, fetch anew
        link = root / name
        if link.is_symlink() and (not link.exists() or (models.read_manifest(root, name) or {}).get("linked_to")):
            link.unlink()
            models.manifest_path(root, name).unlink(missing_ok=True)
    result: dict[str, Any] = {"components": names, "fetched_bytes": 0, "reused": [], "skipped": skipped, "commits": {}}
    if not wanted:
        events(Log("info", "every requested model is already installed", code="models.all_installed"))
        return result
    _tune_client()
    request = DownloadRequest(**{**asdict(request), "root": str(root), "components": wanted})
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        result["reused"] = _offline_from_cache(root, wanted, request, events, cancel)
        return result
    events(Progress(STAGE_DOWNLOAD, 0, 0, None, "asking the model server"))
    the_plan = plan(request)
    result["commits"] = the_plan.commits
    root.mkdir(parents=True, exist_ok=True)
    for name, src in list(the_plan.reuse.items()):
        comp = models.component(name)
        files = [f for f in the_plan.files if f.component == name]
        if _link_from_cache(root, name, Path(src), the_plan.commits[comp.repo], files, events, cancel):
            result["reused"].append(name)
        else:
            del the_plan.reuse[name]
    manifests: dict[str, dict[str, Any]] = {}
    todo: list[PlannedFile] = []
    for name in wanted:
        if name in the_plan.reuse:
            continue
        comp = models.component(name)
        files = [f for f in the_plan.files if f.component == name]
        manifests[name] = _start_manifest(root, name, comp, the_plan.commits[comp.repo], files, write=False)
        todo.extend(f for f in files if not manifests[name]["files"][f.rel]["verified"])
    need = sum(f.size - f.present for f in todo)
    free = free_space(root)
    if need > 0 and free < need + SPACE_MARGIN_BYTES:
        raise models.ModelError("models.disk_full", f"Not enough free space in {root}: {_gb(need + SPACE_MARGIN_BYTES)} GB "
                                f"needed, {_gb(free)} GB free. Free some space or choose another models folder.",
                                path=str(root), needed=_gb(need + SPACE_MARGIN_BYTES), free=_gb(free))
    for name, manifest in manifests.items():
        _write_manifest(root, manifest)  # "complete: false" from here until every file verified
        if all(e["verified"] for e in manifest["files"].values()):  # all there already
            _finish_manifest(root, manifest)
            events(Artifact("model", str(root / name), {"component": name, "commit": manifest["commit"]}))
    if todo:
        transfer = _Transfer(root, request, the_plan.commits, todo, manifests, events, cancel)
        transfer.run()
        result["fetched_bytes"] = transfer.fetched_bytes
    return result


def verify(root: str | os.PathLike[str], names: list[str] | None = None, events: EventSink = ignore_events,
           cancel: CancelToken | None = None, *, repair: bool = False, endpoint: str | None = None,
           token: str | None = None) -> dict[str, Any]:
    """Hash every file of the folders (``names``, or every catalogue folder present).

    A folder we downloaded is checked against its manifest: a mismatching or missing file is
    deleted and the folder marked partial; with ``repair`` it is fetched again. A folder we did
    not download (the user's own ACE-Step folder) is checked against the Hub's hashes when the
    Hub answers: when it matches, a manifest is written (it is then "verified"); when it does
    not, it is reported in ``differs`` and left untouched (the user's files are never deleted).

    Returns ``{"ok": [...], "bad": {folder: [files]}, "differs": {folder: [files]},
    "unverifiable": [...], "repaired": [...]}`` (unverifiable: not ours and the Hub unreachable).
    """
    cancel = cancel or CancelToken()
    root = Path(root).expanduser()
    if names is None:
        names = [n for n, s in models.scan(root).items() if s.status != models.MISSING and s.component is not None]
    checks: list[tuple[PlannedFile, Path]] = []
    manifests: dict[str, dict[str, Any]] = {}
    unrecorded: list[str] = []
    for name in names:
        models.component(name)
        manifest = models.read_manifest(root, name)
        if manifest is None:
            unrecorded.append(name)
            continue
        manifests[name] = manifest
        for rel, entry in manifest.get("files", {}).items():
            pf = PlannedFile(name, manifest.get("repo", ""), rel, rel, int(entry["size"]), entry.get("blob_id", ""),
                             entry.get("sha256"))
            checks.append((pf, root / name / rel))
    unverifiable: list[str] = []
    hub_plan: Plan | None = None
    if unrecorded:
        try:
            hub_plan = plan(DownloadRequest(str(root), unrecorded, endpoint=endpoint, token=token, reuse_hf_cache=False))
        except models.ModelError as exc:
            unverifiable = list(unrecorded)
            events(Log("info", f"cannot check {', '.join(unrecorded)} against the Hub: {exc.message}"))
        else:
            checks.extend((pf, root / pf.component / pf.rel) for pf in hub_plan.files)
    bad = _verify_files(root, checks, events, cancel)
    bad_by: dict[str, list[str]] = {}
    differs: dict[str, list[str]] = {}
    for pf in bad:
        (bad_by if pf.component in manifests else differs).setdefault(pf.component, []).append(pf.rel)
    if hub_plan is not None:
        for name in unrecorded:
            if name in differs:
                continue
            comp = models.component(name)
            files = [pf for pf in hub_plan.files if pf.component == name]
            manifest = _start_manifest(root, name, comp, hub_plan.commits[comp.repo], files)
            manifest["files"] = {pf.rel: _file_entry(pf, True) for pf in files}
            _finish_manifest(root, manifest)
    for name, rels in bad_by.items():
        manifest = manifests[name]
        if manifest.get("linked_to"):  # never delete inside the HF cache: drop the link instead
            (root / name).unlink(missing_ok=True)
            models.manifest_path(root, name).unlink(missing_ok=True)
            continue
        comp = models.component(name)
        for rel in rels:
            pf = PlannedFile(name, comp.repo, comp.repo_path(rel), rel, 0, manifest["files"][rel].get("blob_id", ""),
                             manifest["files"][rel].get("sha256"))
            _forget_file(root, pf)
            manifest["files"][rel]["verified"] = False
        manifest["complete"] = False
        _write_manifest(root, manifest)
        events(Log("warning", f"{name}: {', '.join(rels)} did not match the publisher's checksum and was deleted",
                   code="models.verify_mismatch", params={"component": name, "files": ", ".join(rels)}))
    ok = [n for n in names if n not in bad_by and n not in differs and n not in unverifiable]
    result: dict[str, Any] = {"ok": ok, "bad": bad_by, "differs": differs, "unverifiable": unverifiable, "repaired": []}
    if repair and bad_by:
        download(DownloadRequest(str(root), list(bad_by), endpoint=endpoint, token=token, reuse_hf_cache=False),
                 events, cancel)
        result["repaired"] = list(bad_by)
    return result


def remove(root: str | os.PathLike[str], name: str) -> None:
    """Delete a folder (only the link when it points into the HF cache) and its manifest."""
    root = Path(root).expanduser()
    comp = models.component(name)
    folder = root / name
    try:
        if folder.is_symlink():
            folder.unlink()
        elif folder.exists():
            shutil.rmtree(folder)
        if comp.subfolder:  # the Hub client's records live beside the folder, not in it
            shutil.rmtree(models.hf_download_state_dir(root, comp), ignore_errors=True)
        models.manifest_path(root, name).unlink(missing_ok=True)
    except OSError as exc:
        raise models.ModelError("models.remove_failed", f"Could not delete {folder} ({exc}). Close programs using it "
                                "and try again.", path=str(folder), reason=str(exc)) from exc

# ------------------------------------------------------------------------------ child entry points
def _until_cancelled(job: Callable[[], dict[str, Any]], cancel: CancelToken) -> dict[str, Any]:
    """Run ``job`` in a daemon thread and return its result, or raise Cancelled the moment
    ``cancel`` is set, whatever the job is doing (asking the Hub, hashing, mid-file). Only for
    the child process, which ends right after: the Hub client cannot be interrupted otherwise,
    and what it leaves on disk is resumable."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = job()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name="model-job")
    thread.start()
    while thread.is_alive():
        thread.join(0.05)
        if cancel.cancelled:
            raise Cancelled()
    if "error" in box:
        raise box["error"]
    return box["result"]


def run_download(request: dict[str, Any], events: EventSink, cancel: CancelToken) -> dict[str, Any]:
    """``core.jobs`` target: ``request`` is ``asdict(DownloadRequest)``."""
    return _until_cancelled(lambda: download(DownloadRequest(**request), events, cancel), cancel)


def run_verify(request: dict[str, Any], events: EventSink, cancel: CancelToken) -> dict[str, Any]:
    """``core.jobs`` target: ``{"root", "names"?, "repair"?, "endpoint"?, "token"?}``."""
    return _until_cancelled(lambda: verify(request["root"], request.get("names"), events, cancel,
                                           repair=bool(request.get("repair")), endpoint=request.get("endpoint"),
                                           token=request.get("token")), cancel)


def _child(target: str, request: dict[str, Any], events: EventSink, cancel: CancelToken | None,
           on_start: Callable[[int], Any] | None) -> dict[str, Any]:
    from mixgrv_app.core.child_jobs import ChildDied, run_in_child_process

    try:
        return run_in_child_process(target, request, events, cancel, on_start=on_start)
    except ChildDied as exc:
        raise models.ModelError("models.child_died", f"The download process ended unexpectedly ({exc.how}). Start the "
                                "download again: it resumes where it stopped.", how=exc.how) from exc


def download_in_child(request: DownloadRequest, events: EventSink = ignore_events, cancel: CancelToken | None = None,
                      on_start: Callable[[int], Any] | None = None) -> dict[str, Any]:
    """Run :func:`download` in a child process; cancel ends it at once (the next run resumes).
    A child that dies (killed, crashed) raises ``ModelError("models.child_died")``."""
    return _child(DOWNLOAD_TARGET, asdict(request), events, cancel, on_start)


def verify_in_child(root: str | os.PathLike[str], names: list[str] | None = None, events: EventSink = ignore_events,
                    cancel: CancelToken | None = None, *, repair: bool = False,
                    on_start: Callable[[int], Any] | None = None) -> dict[str, Any]:
    """Run :func:`verify` in a child process (same cancel and failure behaviour)."""
    return _child(VERIFY_TARGET, {"root": str(root), "names": names, "repair": repair}, events, cancel, on_start)
