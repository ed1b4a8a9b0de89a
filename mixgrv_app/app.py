"""Starting the app: QApplication, language, style, logging, one instance, the main window.

``main(paths)`` is what ``mixgrv`` with no verb runs (``python -m mixgrv_app.app [FILES]`` too).
Order matters for speed and robustness: nothing heavy is imported here (the tabs import their
own modules lazily; torch/mlx/peft only on the job path), and every start-up problem — a corrupt
settings store, an unwritable data or log folder, another mixgrv already running — turns into a
message and a fallback instead of an exception.

Finder drops on the Dock icon arrive as ``QFileOpenEvent`` on the application object (only for
types Info.plist declares). :class:`MixgrvApplication` receives them and its
:class:`FileOpenCollector` gathers the burst of one-event-per-file into one list for the
window's import entry point — holding it until the window exists when the drop launched the app.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import logging
import os
import sys
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Slot
from PySide6.QtGui import QFileOpenEvent, QIcon
from PySide6.QtWidgets import QApplication

from mixgrv_app import __version__

log = logging.getLogger(__name__)
_PROCESS_START = time.perf_counter()


def resource_dir() -> Path:
    """The top-level resources/ folder (inside the bundle when frozen)."""
    if getattr(sys, "frozen", False):
        return Path(getattr(sys, "_MEIPASS", ".")) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


class FileOpenCollector(QObject):
    """Gathers Dock/Finder file-open paths and hands them to the import entry point in one list."""

    BURST_MS = 150  # Finder sends one event per file; gather a multi-file drop into one import

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pending: list[str] = []
        self.handler: Callable[[list[str]], object] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.BURST_MS)
        self._timer.timeout.connect(self.flush)

    def set_handler(self, handler: Callable[[list[str]], object]) -> None:
        self.handler = handler
        if self.pending:
            self._timer.start()

    def add(self, event: QFileOpenEvent) -> None:
        path = event.file() or event.url().toLocalFile()
        if path:
            self.pending.append(path)
            if self.handler is not None:
                self._timer.start()

    @Slot()
    def flush(self) -> None:
        if self.handler is None or not self.pending:
            return
        paths, self.pending = self.pending, []
        self.handler(paths)


class MixgrvApplication(QApplication):
    """The QApplication with mixgrv's identity; receives macOS file-open events (Dock drops).

    An override of event() rather than an application-wide event filter: a filter sees every
    event of every widget in Python and made the first frame ~20 ms slower.
    """

    def __init__(self, argv: list[str]) -> None:
        super().__init__(argv)
        configure_identity(self)
        self.file_open = FileOpenCollector(self)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen:
            self.file_open.add(event)
            return True
        return super().event(event)


def configure_identity(app: QCoreApplication) -> None:
    app.setApplicationName("mixgrv")
    app.setApplicationDisplayName("mixgrv")
    app.setOrganizationName("mixgrv")
    app.setOrganizationDomain("mixgrv.dev")
    app.setApplicationVersion(__version__)
    if isinstance(app, QApplication):
        icon = resource_dir() / "icon.png"
        if icon.is_file():
            app.setWindowIcon(QIcon(str(icon)))
        if sys.platform == "darwin":
            # One main window: closing it quits the app (no window-less Dock state to keep alive).
            app.setQuitOnLastWindowClosed(True)


def startup_notes(settings) -> list[str]:  # noqa: ANN001 - mixgrv_app.settings.Settings
    """Everything the user should hear about once the window is up, already translated."""
    from mixgrv_app import paths

    notes = [note.text() for note in settings.take_notes()]
    folders = paths.fallback_notes()
    if folders:
        notes.append(
            QCoreApplication.translate(
                "Startup",
                "Some folders could not be written, so mixgrv is using temporary ones for now. "
                "Files saved there may disappear after a restart; check the folder permissions.",
            )
            + "\n"
            + "\n".join(folders)
        )
    return notes


def build_window(app: QApplication, settings=None):  # noqa: ANN001, ANN201
    """Language, style and the main window (shown by the caller). Used by main() and the tests."""
    from mixgrv_app import i18n
    from mixgrv_app import settings as opts
    from mixgrv_app.ui import gui_gc, style
    from mixgrv_app.ui.main_window import MainWindow

    gui_gc.install(app)  # cyclic garbage (Qt wrappers among it) is collected in this thread only
    settings = settings or opts.settings()
    i18n.install(app, i18n.resolve_language(settings.get(opts.LANGUAGE)))
    style.apply(app)
    window = MainWindow(settings)
    file_open = getattr(app, "file_open", None)
    if isinstance(file_open, FileOpenCollector):
        file_open.set_handler(window.import_audio)
    return window


HEAVY_MODULES = ("torch", "mlx", "peft", "transformers", "accelerate")


class _StartupProbe(QObject):
    """bench/startup.py and the tests: when the first frame, the tab on screen and both tab bodies
    came, and what got imported by then."""

    def __init__(self, app: QApplication, window) -> None:  # noqa: ANN001
        super().__init__(app)
        self.app = app
        window.first_frame.connect(self.on_first_frame)
        window.tab_usable.connect(self.on_tab_usable)
        window.tabs_ready.connect(self.on_tabs_ready)

    @Slot()
    def on_first_frame(self) -> None:
        print(f"MIXGRV_SHOWN {time.time():.6f}", flush=True)

    @Slot()
    def on_tab_usable(self) -> None:
        print(f"MIXGRV_USABLE {time.time():.6f}", flush=True)

    @Slot()
    def on_tabs_ready(self) -> None:
        import json

        print(f"MIXGRV_READY {time.time():.6f}", flush=True)
        heavy = sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY_MODULES))
        print(f"MIXGRV_HEAVY {json.dumps(heavy)}", flush=True)
        self.app.quit()


def main(paths: list[str] | None = None) -> int:
    """Open the window (or hand ``paths`` to the mixgrv that is already running)."""
    from mixgrv_app import logging_setup
    from mixgrv_app.single_instance import SingleInstance

    log_path = logging_setup.setup_logging()
    log.info("mixgrv %s starting (python %s, %s)", __version__, sys.version.split()[0], sys.platform)
    app = MixgrvApplication(sys.argv[:1])

    paths = [os.path.abspath(p) for p in (paths or [])]
    instance = SingleInstance(parent=app)
    if instance.send_to_running(paths):
        print("mixgrv is already running; sent it to the front" + (" with your files." if paths else "."))
        return 0

    reporter = logging_setup.ErrorReporter()
    logging_setup.install_excepthook(reporter)
    window = build_window(app)
    reporter.parent_window = window
    instance.paths_received.connect(window.receive_from_other_instance)
    if os.environ.get("MIXGRV_STARTUP_PROBE"):
        _StartupProbe(app, window)
    window.show()
    QTimer.singleShot(0, instance.listen)  # after the first frame: QtNetwork is not needed before
    log.info("window shown %.0f ms after start; log at %s", (time.perf_counter() - _PROCESS_START) * 1000, log_path)
    if paths:
        window.import_audio(paths)
    notes = startup_notes(window.settings)
    if notes:
        QTimer.singleShot(0, lambda: window.show_startup_notes(notes))
    app.aboutToQuit.connect(instance.close)
    code = app.exec()
    window.settings.sync()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
