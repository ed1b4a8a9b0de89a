"""Logging to a rotating file, and uncaught exceptions shown to the user instead of a silent death.

``setup_logging()`` writes ``mixgrv.log`` (1 MB × 5 generations) in ``paths.logs_dir()``, which already
falls back to a temporary folder when the real one is not writable; if even that fails, logs go
to stderr only and the app still starts.

``install_excepthook(reporter)`` routes ``sys.excepthook`` and ``threading.excepthook`` to the
log and then to an :class:`ErrorReporter`, which shows one dialog at a time, in the GUI thread
(exceptions from worker threads are queued there), naming the log file and offering to open it.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import logging
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

LOG_NAME = "mixgrv.log"
_handler: logging.Handler | None = None
_log_file: Path | None = None
log = logging.getLogger("mixgrv")


class RotatingFile(logging.FileHandler):
    """A size-rotated log file (mixgrv.log, mixgrv.log.1 ... .N).

    The standard RotatingFileHandler lives in logging.handlers, whose imports (socket, pickle,
    queue) cost ~10 ms of start-up; this is the part of it mixgrv needs.
    """

    def __init__(self, path: Path, max_bytes: int = 1_000_000, backups: int = 5) -> None:
        super().__init__(path, encoding="utf-8")
        self.max_bytes, self.backups = max_bytes, backups

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.stream is not None and self.stream.tell() >= self.max_bytes:
                self._rotate()
        except OSError:
            pass  # rotation is a nicety; never lose the record for it
        super().emit(record)

    def _rotate(self) -> None:
        self.stream.close()
        self.stream = None
        base = self.baseFilename
        for n in range(self.backups - 1, 0, -1):
            if os.path.exists(f"{base}.{n}"):
                os.replace(f"{base}.{n}", f"{base}.{n + 1}")
        os.replace(base, f"{base}.1")
        self.stream = self._open()


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Attach the rotating file handler (once); returns the log file, or None if none could be opened."""
    global _handler, _log_file
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
        _handler = None
    from mixgrv_app import paths

    try:
        folder = paths.logs_dir()
        path = folder / LOG_NAME
        handler: logging.Handler = RotatingFile(path)
        _log_file = path
    except OSError as exc:
        handler = logging.StreamHandler(sys.stderr)
        _log_file = None
        print(f"mixgrv: cannot write a log file ({exc}); logging to stderr", file=sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"))
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    _handler = handler
    return _log_file


def log_file() -> Path | None:
    return _log_file


class ErrorReporter(QObject):
    """Shows uncaught exceptions in a dialog; lives in the GUI thread."""

    _queued = Signal(str, str)  # (summary, traceback text), may be emitted from any thread

    def __init__(self, parent_window: QWidget | None = None) -> None:
        super().__init__()
        self.parent_window = parent_window
        self.dialog: QMessageBox | None = None
        self.suppressed = 0  # errors that arrived while a dialog was already open
        # Auto connection: queued when the error comes from a worker thread, direct from the GUI
        # thread. (No Qt.ConnectionType here: touching the Qt namespace costs ~20 ms at start-up.)
        self._queued.connect(self._show)

    def report(self, summary: str, details: str) -> None:
        try:
            self._queued.emit(summary, details)
        except RuntimeError:
            pass  # the app is shutting down

    @Slot(str, str)
    def _show(self, summary: str, details: str) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        if self.dialog is not None and self.dialog.isVisible():
            self.suppressed += 1
            return
        where = str(_log_file) if _log_file else self.tr("standard error (no log file could be written)")
        box = QMessageBox(self.parent_window)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(self.tr("mixgrv"))
        box.setText(self.tr("Something went wrong inside mixgrv."))
        box.setInformativeText(
            self.tr(
                "Your files are safe. You can keep working, or quit and open mixgrv again.\n\n"
                "The details were written to the log:\n{path}"
            ).format(path=where)
        )
        box.setDetailedText(f"{summary}\n\n{details}")
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        if _log_file:
            show = box.addButton(self.tr("Show Log"), QMessageBox.ButtonRole.ActionRole)
            show.clicked.connect(self._open_log_folder)
        box.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.dialog = box
        box.open()  # not exec(): a nested loop inside an excepthook is fragile

    @Slot()
    def _open_log_folder(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        if _log_file:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(_log_file.parent)))


def install_excepthook(reporter: ErrorReporter) -> None:
    """Send uncaught exceptions (main and worker threads) to the log and then to ``reporter``."""

    def handle(exc_type, exc, tb, where: str = "main thread") -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        import traceback

        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.critical("uncaught exception in %s\n%s", where, details)
        print(details, file=sys.stderr, end="")  # a terminal user sees it too (the .app has no terminal)
        reporter.report(f"{exc_type.__name__}: {exc}", details)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        handle(args.exc_type, args.exc_value, args.exc_traceback, f"thread {args.thread.name if args.thread else '?'}")

    sys.excepthook = handle
    threading.excepthook = thread_hook
