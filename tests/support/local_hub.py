"""A small Hugging Face Hub on 127.0.0.1 for the download tests and the benchmark.

It serves the endpoints huggingface_hub 0.36 uses to download, with the headers it reads:

* ``GET /api/models/{repo}`` and ``/api/models/{repo}/revision/{rev}`` (``?blobs=True`` for
  ``files_metadata``): ``sha`` (the commit) and ``siblings`` with ``rfilename``, ``size``,
  ``blobId`` and, for LFS files, ``lfs: {sha256, size, pointerSize}``.
* ``HEAD``/``GET /{repo}/resolve/{rev}/{path}``: ``X-Repo-Commit``, ``ETag`` (the git blob id);
  a small file is served there, an LFS file answers ``302`` to ``/cdn/{sha256}`` with
  ``X-Linked-Etag`` (its sha256) and ``X-Linked-Size``, as the real Hub does. A repo alias
  (``aliases``: old name → new) answers a relative ``307`` to the new name, API and resolve
  alike, like a renamed repo.
* ``GET /cdn/{sha256}`` with ``Range: bytes=N-`` (``206``, ``Content-Range``).
* Errors in the Hub's shape: ``404`` + ``X-Error-Code: RepoNotFound`` / ``EntryNotFound``,
  ``401`` when a token is required and not given (``require_token``).

Hooks for faults: ``drop_after[path] = n`` closes the connection after n body bytes of that file
(once per entry), ``rate_bps`` throttles file bodies, ``ranges = False`` ignores Range, ``served`` counts the file-body bytes sent
(per repo path in ``served_by_path``; ``reset_counts`` first waits for sends to a client that
went away to end), ``requests`` logs (method, path).

Repos come from folders in the official layout (``official_repos(checkpoints)`` builds
``ACE-Step/Ace-Step1.5`` and the separate ones from ``shared/parity/v1/checkpoints``), or any
``{repo: {path_in_repo: Path}}``. Files are read from where they are, never copied.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import unquote, urlparse

LFS_SUFFIXES = (".safetensors", ".pt", ".bin")
LFS_MIN_SIZE = 10 * 1024 * 1024  # bigger text files (tokenizer.json) are LFS on the Hub too
_CHUNK = 1024 * 1024


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK * 8):
            h.update(chunk)
    return h.hexdigest()


class HubFile:
    def __init__(self, path_in_repo: str, source: Path) -> None:
        self.path = path_in_repo
        self.source = Path(source)
        self.size = self.source.stat().st_size
        self.lfs = self.path.endswith(LFS_SUFFIXES) or self.size >= LFS_MIN_SIZE
        if self.lfs:
            self.sha256 = _sha256(self.source)
            pointer = (f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\n"
                       f"size {self.size}\n").encode()
            self.pointer_size = len(pointer)
            self.blob_id = git_blob_id(pointer)
        else:
            self.sha256 = None
            self.pointer_size = 0
            self.blob_id = git_blob_id(self.source.read_bytes())

    def sibling(self) -> dict:
        out = {"rfilename": self.path, "size": self.size, "blobId": self.blob_id}
        if self.lfs:
            out["lfs"] = {"sha256": self.sha256, "size": self.size, "pointerSize": self.pointer_size}
        return out


class HubRepo:
    def __init__(self, repo_id: str, files: dict[str, Path]) -> None:
        self.repo_id = repo_id
        self.files = {p: HubFile(p, src) for p, src in sorted(files.items())}
        listing = "".join(f"{f.path}:{f.blob_id}\n" for f in self.files.values())
        self.commit = hashlib.sha1(f"{repo_id}\n{listing}".encode()).hexdigest()


def official_repos(checkpoints: Path, *, main_folders: tuple[str, ...] = (
        "acestep-v15-turbo", "vae", "Qwen3-Embedding-0.6B"), extra_files: dict[str, Path] | None = None,
        ) -> dict[str, dict[str, Path]]:
    """Repos in the official layout from a checkpoints folder: the main repo holds
    ``main_folders`` as sub-folders (plus a README the app must not fetch); every other
    ``acestep-*`` folder becomes its own ``ACE-Step/<name>`` repo with the files at its root."""
    checkpoints = Path(checkpoints)
    main: dict[str, Path] = dict(extra_files or {})
    repos: dict[str, dict[str, Path]] = {}
    for folder in sorted(p for p in checkpoints.iterdir() if p.is_dir()):
        files = {f.name: f for f in sorted(folder.iterdir()) if f.is_file()}
        if folder.name in main_folders:
            main.update({f"{folder.name}/{name}": f for name, f in files.items()})
        else:
            repos[f"ACE-Step/{folder.name}"] = files
    repos["ACE-Step/Ace-Step1.5"] = main
    return repos


class LocalHub:
    """The server. Use as a context manager; ``url`` is the HF_ENDPOINT to give the client."""

    def __init__(self, repos: dict[str, dict[str, Path]], *, aliases: dict[str, str] | None = None,
                 port: int = 0) -> None:
        self.port = port
        self.repos = {rid: HubRepo(rid, files) for rid, files in repos.items()}
        self.aliases = dict(aliases or {})
        self.by_sha = {f.sha256: (repo, f) for repo in self.repos.values() for f in repo.files.values() if f.lfs}
        self.require_token: str | None = None
        self.missing: set[str] = set()          # repos that answer 404 although present
        self.drop_after: dict[str, int] = {}    # repo path → close the connection after n body bytes (once)
        self.rate_bps: float | None = None      # throttle file bodies
        self.ranges = True                      # False: ignore Range, always send the whole file (200)
        self.served = 0                         # file-body bytes sent
        self.served_by_path: Counter[str] = Counter()
        self.requests: list[tuple[str, str]] = []
        self.sending = 0                        # file bodies being sent right now
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle
    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        hub = self

        class Handler(_Handler):
            pass

        Handler.hub = hub
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no file body is being sent (a client that went away ends its sends)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if not self.sending:
                    return True
            time.sleep(0.02)
        return False

    def reset_counts(self) -> None:
        """Zero the counters once the sends of an earlier (cancelled, killed) client ended."""
        self.wait_idle()
        with self._lock:
            self.served = 0
            self.served_by_path.clear()
            self.requests.clear()

    def file(self, repo_id: str, path: str) -> HubFile:
        return self.repos[repo_id].files[path]

    def _count(self, path: str, n: int) -> None:
        with self._lock:
            self.served += n
            self.served_by_path[path] += n


class _Handler(BaseHTTPRequestHandler):
    hub: LocalHub
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # quiet
        pass

    # -- helpers
    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        self._reply(status, body, {"Content-Type": "application/json", "X-Error-Code": code, "X-Error-Message": message})

    def _authorised(self) -> bool:
        token = self.hub.require_token
        if token is None:
            return True
        given = self.headers.get("Authorization", "")
        if given == f"Bearer {token}":
            return True
        message = "Invalid credentials in Authorization header" if given else "Invalid username or password."
        self._error(401, "", message)
        return False

    def _repo(self, repo_id: str) -> HubRepo | None:
        hub = self.hub
        repo = hub.repos.get(repo_id)
        if repo is None or repo_id in hub.missing:
            self._error(404, "RepoNotFound", "Repository not found")
            return None
        return repo

    def _revision_ok(self, repo: HubRepo, rev: str) -> bool:
        if rev in ("main", repo.commit):
            return True
        self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        return False

    # -- verbs
    def do_HEAD(self) -> None:
        self._route()

    def do_GET(self) -> None:
        self._route()

    def _route(self) -> None:
        url = urlparse(self.path)
        path = unquote(url.path)
        with self.hub._lock:
            self.hub.requests.append((self.command, path))
        if not self._authorised():
            return
        if m := re.fullmatch(r"/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?", path):
            return self._model_info(m.group(1), m.group(2) or "main")
        if m := re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path):
            return self._resolve(m.group(1), m.group(2), m.group(3))
        if m := re.fullmatch(r"/cdn/([0-9a-f]{64})", path):
            found = self.hub.by_sha.get(m.group(1))
            if found is None:
                return self._error(404, "EntryNotFound", "no such object")
            repo, hub_file = found
            return self._send_file(repo, hub_file)
        self._error(404, "", "not found")

    def _model_info(self, repo_id: str, rev: str) -> None:
        if repo_id in self.hub.aliases:  # a renamed repo: the API redirects too
            suffix = "" if self.path.split("?")[0].endswith(repo_id) else f"/revision/{rev}"
            query = f"?{urlparse(self.path).query}" if urlparse(self.path).query else ""
            return self._reply(307, b"", {"Location": f"/api/models/{self.hub.aliases[repo_id]}{suffix}{query}"})
        repo = self._repo(repo_id)
        if repo is None or not self._revision_ok(repo, rev):
            return
        info = {"_id": repo.commit[:24], "id": repo_id, "modelId": repo_id, "sha": repo.commit, "private": False,
                "lastModified": "2026-01-01T00:00:00.000Z", "tags": [], "downloads": 0, "likes": 0,
                "siblings": [f.sibling() for f in repo.files.values()]}
        self._reply(200, json.dumps(info).encode(), {"Content-Type": "application/json"})

    def _resolve(self, repo_id: str, rev: str, path: str) -> None:
        if repo_id in self.hub.aliases:  # a renamed repo: relative redirect, as the Hub answers
            target = f"/{self.hub.aliases[repo_id]}/resolve/{rev}/{path}"
            return self._reply(307, b"", {"Location": target})
        repo = self._repo(repo_id)
        if repo is None or not self._revision_ok(repo, rev):
            return
        hub_file = repo.files.get(path)
        if hub_file is None:
            return self._error(404, "EntryNotFound", f"{path} does not exist")
        headers = {"X-Repo-Commit": repo.commit, "ETag": f'"{hub_file.blob_id}"'}
        if hub_file.lfs:
            host = self.headers.get("Host", "127.0.0.1")
            headers.update({"Location": f"http://{host}/cdn/{hub_file.sha256}",
                            "X-Linked-Etag": f'"{hub_file.sha256}"', "X-Linked-Size": str(hub_file.size)})
            return self._reply(302, b"", headers)
        self._send_file(repo, hub_file, headers)

    def _send_file(self, repo: HubRepo, hub_file: HubFile, headers: dict[str, str] | None = None) -> None:
        headers = dict(headers or {})
        start, end = 0, hub_file.size - 1
        status = 200
        if self.hub.ranges and (rng := self.headers.get("Range")) and (m := re.fullmatch(r"bytes=(\d+)-(\d*)", rng.strip())):
            start = int(m.group(1))
            end = min(end, int(m.group(2))) if m.group(2) else end
            if start > end:
                return self._reply(416, b"", {"Content-Range": f"bytes */{hub_file.size}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{hub_file.size}"
        headers.setdefault("ETag", f'"{hub_file.sha256 or hub_file.blob_id}"')
        headers["Accept-Ranges"] = "bytes"
        headers["Content-Type"] = "application/octet-stream"
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        if self.command == "HEAD":
            return
        hub = self.hub
        drop = hub.drop_after.pop(hub_file.path, None)
        with hub._lock:
            hub.sending += 1
        try:
            self._send_body(hub, hub_file, start, end - start + 1, drop)
        finally:
            with hub._lock:
                hub.sending -= 1

    def _send_body(self, hub: LocalHub, hub_file: HubFile, start: int, left: int, drop: int | None) -> None:
        sent = 0
        began = time.monotonic()
        with open(hub_file.source, "rb") as fh:
            fh.seek(start)
            while left > 0:
                n = min(_CHUNK, left)
                if drop is not None and sent + n > drop:
                    n = drop - sent
                chunk = fh.read(n)
                if chunk:
                    try:
                        self.wfile.write(chunk)
                    except OSError:
                        return
                    hub._count(hub_file.path, len(chunk))
                    sent += len(chunk)
                    left -= len(chunk)
                if drop is not None and sent >= drop:
                    self.wfile.flush()
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                if hub.rate_bps:
                    ahead = sent / hub.rate_bps - (time.monotonic() - began)
                    if ahead > 0:
                        time.sleep(ahead)


# ------------------------------------------------------------------------------ test helpers
def use_hub(monkeypatch, hub: LocalHub, tmp_path: Path) -> LocalHub:
    """Point the download child at ``hub`` through its environment (HF_ENDPOINT is read when the
    client is imported), with an empty private HF cache and no token or offline flag."""
    hub.reset_counts()
    hub.require_token, hub.rate_bps, hub.ranges = None, None, True
    hub.missing.clear()
    hub.drop_after.clear()
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    for name in ("HF_TOKEN", "HF_HUB_OFFLINE", "HF_HUB_ENABLE_HF_TRANSFER"):
        monkeypatch.delenv(name, raising=False)
    return hub


def component_files(hub: LocalHub, names) -> dict[str, HubFile]:
    """repo path → served file, for every file the app fetches for the folders ``names``."""
    from mixgrv_app.core import models

    out = {}
    for name in names:
        comp = models.component(name)
        for path, f in hub.repos[comp.repo].files.items():
            if comp.folder_path(path) is not None:
                out[path] = f
    return out


def bytes_on_disk(root: Path, files: dict[str, HubFile]) -> int:
    """Bytes of main-repo ``files`` under a models root: complete files plus the client's partial ones."""
    total = sum((root / path).stat().st_size for path in files if (root / path).is_file())
    return total + sum(p.stat().st_size for p in (root / ".cache").rglob("*.incomplete"))

def main() -> None:
    """``python -m tests.support.local_hub [CHECKPOINTS] [--port N]``: serve until Ctrl+C (for
    trying the CLI or the app by hand with ``HF_ENDPOINT=http://127.0.0.1:N``)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("checkpoints", nargs="?", default="/work/shared/parity/v1/checkpoints")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate", type=float, default=0.0, help="throttle file bodies to this many bytes/s")
    parser.add_argument("--token", help="answer 401 unless this token is sent")
    parser.add_argument("--missing", action="append", default=[], metavar="REPO", help="answer 404 for this repo")
    args = parser.parse_args()
    hub = LocalHub(official_repos(Path(args.checkpoints)), port=args.port)
    hub.rate_bps = args.rate or None
    hub.require_token = args.token
    hub.missing.update(args.missing)
    with hub:
        print(f"HF_ENDPOINT={hub.url}", flush=True)
        for repo in hub.repos.values():
            print(f"  {repo.repo_id}@{repo.commit[:10]}: {len(repo.files)} files", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
