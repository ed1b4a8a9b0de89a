"""Typed settings on QSettings (Picard-style options).

An option is declared once, with its key, type and default::

    LAST_TAB = IntOption("window/last_tab", 0)
    settings().get(LAST_TAB)          # always an int, never a QVariant surprise
    settings().set(LAST_TAB, 1)       # written through, announces settings_changed(key)

Other modules declare their own options next to the code that uses them, with the classes
below; keys are unique across the app (a second declaration of a key is an error).

Where the store lives: the platform's native settings (``~/Library/Preferences`` plist on
macOS) or, when ``$MIXGRV_HOME`` is set (tests, CLI experiments), ``$MIXGRV_HOME/settings.ini``.

Never a crash because of settings: a store Qt cannot parse is moved aside and the defaults are
used; a value of the wrong type reads as the default; a store that cannot be written is noted.
Each such event leaves a :class:`Note` that the app shows once after start-up.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Generic, Iterable, TypeVar

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)
T = TypeVar("T")

ORGANIZATION = "mixgrv"
APPLICATION = "mixgrv"


class Note:
    """A message for the user, translated when shown (the translator may not exist yet)."""

    def __init__(self, source: str, params: dict[str, Any] | None = None) -> None:
        self.source = source  # English source text, in context "Settings"
        self.params = dict(params or {})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Note) and (self.source, self.params) == (other.source, other.params)

    def __repr__(self) -> str:
        return f"Note({self.source!r}, {self.params!r})"

    def text(self) -> str:
        return QCoreApplication.translate("Settings", self.source).format(**self.params)


_NOTE_CORRUPT = QT_TRANSLATE_NOOP(
    "Settings", "The settings file could not be read, so mixgrv started with default settings. The old file was kept as {backup}."
)
_NOTE_BAD_VALUE = QT_TRANSLATE_NOOP(
    "Settings", "The setting “{key}” had an invalid value and was reset to its default."
)
_NOTE_UNWRITABLE = QT_TRANSLATE_NOOP(
    "Settings", "Settings cannot be saved to {path}. Changes will be lost when mixgrv quits; check that the folder is writable."
)


class Option(Generic[T]):
    """One typed setting. Subclasses say how a stored value becomes a ``T``."""

    registry: dict[str, "Option[Any]"] = {}

    def __init__(self, key: str, default: T) -> None:
        if key in Option.registry:
            raise ValueError(f"setting {key!r} is declared twice")
        self.key = key
        self.default = default
        Option.registry[key] = self

    def convert(self, raw: Any) -> T:  # raises ValueError/TypeError for a bad value
        raise NotImplementedError

    def to_store(self, value: T) -> Any:
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, {self.default!r})"


class TextOption(Option[str]):
    def convert(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise TypeError(raw)
        return raw


class ChoiceOption(TextOption):
    """Text limited to a few values (e.g. the UI language)."""

    def __init__(self, key: str, default: str, choices: Iterable[str]) -> None:
        self.choices = tuple(choices)
        super().__init__(key, default)

    def convert(self, raw: Any) -> str:
        value = super().convert(raw)
        if value not in self.choices:
            raise ValueError(value)
        return value


class BoolOption(Option[bool]):
    def convert(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false", "1", "0"):
            return raw.lower() in ("true", "1")
        if isinstance(raw, int):
            return bool(raw)
        raise ValueError(raw)


class IntOption(Option[int]):
    def __init__(self, key: str, default: int, minimum: int | None = None, maximum: int | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum
        super().__init__(key, default)

    def convert(self, raw: Any) -> int:
        if isinstance(raw, bool):
            raise TypeError(raw)
        value = int(raw)  # ints and numeric strings (INI files store text)
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise ValueError(value)
        return value


class FloatOption(Option[float]):
    def convert(self, raw: Any) -> float:
        if isinstance(raw, bool):
            raise TypeError(raw)
        return float(raw)


class ListOption(Option[list]):
    """A list of strings. QSettings returns a bare string for a one-item list and None for []."""

    def convert(self, raw: Any) -> list:
        if raw is None or raw == "":
            return []
        if isinstance(raw, str):
            return [raw]
        if isinstance(raw, (list, tuple)) and all(isinstance(x, str) for x in raw):
            return list(raw)
        raise TypeError(raw)

    def to_store(self, value: list) -> Any:
        return list(value)


class BytesOption(Option[bytes]):
    """Opaque bytes such as a saved window geometry."""

    def convert(self, raw: Any) -> bytes:
        if isinstance(raw, QByteArray):
            return raw.data()
        if isinstance(raw, (bytes, bytearray)):
            return bytes(raw)
        raise TypeError(raw)

    def to_store(self, value: bytes) -> Any:
        return QByteArray(value)


# -- the app shell's own options -----------------------------------------------------------
LANGUAGE = ChoiceOption("ui/language", "system", ("system", "ko", "en"))
WINDOW_GEOMETRY = BytesOption("window/geometry", b"")
WINDOW_STATE = BytesOption("window/state", b"")
LAST_TAB = IntOption("window/last_tab", 0, minimum=0)
LAST_IMPORT_DIR = TextOption("files/last_import_dir", "")
MODELS_ROOT = TextOption("models/root", "")  # an existing ACE-Step checkpoints/ folder, or ""
# auto: MLX on Apple Silicon (torch if MLX cannot start), torch elsewhere; or force one
GENERATION_BACKEND = ChoiceOption("generation/backend", "auto", ("auto", "mlx", "torch"))


def store_path_for_env() -> Path | None:
    """The INI file used when $MIXGRV_HOME is set; None means the native store."""
    home = os.environ.get("MIXGRV_HOME")
    return Path(home).expanduser() / "settings.ini" if home else None


class Settings:
    """Reads and writes go straight to the QSettings store, typed by the Option."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.notes: list[Note] = []
        self._reported_keys: set[str] = set()
        self._store = store if store is not None else self._open_store()

    # -- opening ---------------------------------------------------------------------------
    def _open_store(self) -> QSettings:
        path = store_path_for_env()
        if path is None:
            store = QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
        else:
            store = QSettings(str(path), QSettings.Format.IniFormat)
        if store.status() == QSettings.Status.FormatError:
            store = self._recover_from_corrupt(store)
        return store

    def _recover_from_corrupt(self, store: QSettings) -> QSettings:
        broken = Path(store.fileName())
        backup = broken.with_name(f"{broken.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        log.warning("settings store %s is corrupt; moving it to %s and using defaults", broken, backup)
        fmt = store.format()
        del store
        try:
            os.replace(broken, backup)
        except OSError as exc:
            log.warning("could not move the corrupt settings aside: %s", exc)
            backup = broken
        self.notes.append(Note(_NOTE_CORRUPT, {"backup": str(backup)}))
        if fmt == QSettings.Format.IniFormat and backup != broken:
            fresh = QSettings(str(broken), QSettings.Format.IniFormat)
        else:
            # Could not move it aside: use a private file for this session, leave the broken one be.
            scratch = Path(tempfile.gettempdir()) / f"mixgrv-settings-{os.getpid()}.ini"
            fresh = QSettings(str(scratch), QSettings.Format.IniFormat)
            fresh.clear()
        return fresh

    @property
    def file_name(self) -> str:
        return self._store.fileName()

    # -- typed access ----------------------------------------------------------------------
    def get(self, option: Option[T]) -> T:
        try:
            raw = self._store.value(option.key)
        except Exception as exc:  # noqa: BLE001 - a value Qt cannot even unmarshal
            log.warning("setting %s unreadable: %s", option.key, exc)
            raw = object()
        if raw is None:
            return option.default
        try:
            return option.convert(raw)
        except (TypeError, ValueError, OverflowError):
            if option.key not in self._reported_keys:
                self._reported_keys.add(option.key)
                log.warning("setting %s has an invalid value %r; using the default", option.key, raw)
                self.notes.append(Note(_NOTE_BAD_VALUE, {"key": option.key}))
            return option.default

    def set(self, option: Option[T], value: T) -> None:
        option.convert(value)  # refuse a wrong type here rather than store it
        self._store.setValue(option.key, option.to_store(value))
        from mixgrv_app.signals import app_signals

        app_signals().settings_changed.emit(option.key)

    def reset(self, option: Option[Any]) -> None:
        self._store.remove(option.key)

    def sync(self) -> bool:
        """Write pending changes; False (and a note) when the store cannot be written."""
        self._store.sync()
        if self._store.status() == QSettings.Status.AccessError:
            note = Note(_NOTE_UNWRITABLE, {"path": self._store.fileName()})
            if note not in self.notes:
                self.notes.append(note)
            return False
        return True

    def take_notes(self) -> list[Note]:
        notes, self.notes = self.notes, []
        return notes


_settings: Settings | None = None


def settings() -> Settings:
    """The app's settings (opened on first use)."""
    global _settings
    if _settings is None:
        _settings = Settings()
    return _settings


def reset_for_tests() -> None:
    """Forget the open store so the next ``settings()`` re-reads $MIXGRV_HOME."""
    global _settings
    _settings = None
