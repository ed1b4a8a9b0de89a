"""Where mixgrv keeps its files.

Everything the app writes lives under one data root (platformdirs' per-user data folder, or
``$MIXGRV_HOME`` when set — tests and the CLI use that) plus the platform's log folder. A
folder that cannot be created or written falls back to a temporary one and says so, instead of
failing at start-up.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

APP_NAME = "mixgrv"
_fallback_notes: list[str] = []


def _usable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        return False


def _resolve(preferred: Path, kind: str) -> Path:
    if _usable(preferred):
        return preferred
    fallback = Path(tempfile.gettempdir()) / f"{APP_NAME}-{kind}-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    fallback.mkdir(parents=True, exist_ok=True)
    note = f"{kind} folder {preferred} is not writable; using {fallback}"
    if note not in _fallback_notes:
        _fallback_notes.append(note)
    return fallback


def fallback_notes() -> list[str]:
    """Human-readable notes about folders that had to be replaced (shown once by the app)."""
    return list(_fallback_notes)


def data_root() -> Path:
    env = os.environ.get("MIXGRV_HOME")
    if env:
        return _resolve(Path(env).expanduser(), "data")
    import platformdirs

    return _resolve(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)), "data")


def logs_dir() -> Path:
    env = os.environ.get("MIXGRV_HOME")
    if env:
        return _resolve(Path(env).expanduser() / "logs", "logs")
    import platformdirs

    return _resolve(Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)), "logs")


def _sub(name: str) -> Path:
    path = data_root() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def datasets_dir() -> Path:
    return _sub("datasets")


def tensors_dir() -> Path:
    return _sub("tensors")


def runs_dir() -> Path:
    return _sub("runs")


def loras_dir() -> Path:
    return _sub("loras")


def results_dir() -> Path:
    return _sub("results")


def models_dir() -> Path:
    """Default model root; the user may point settings at an existing ACE-Step checkpoints/ folder."""
    return _sub("models")
