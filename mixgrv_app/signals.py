"""App-wide signals: parts of the window talk through these instead of holding each other.

Frescobaldi-style: one small object whose signals say what happened (the language changed, a
setting changed, someone asked to import audio, the backend status moved). Widgets connect
to what they care about; nobody needs a reference to the main window.

Create and use it in the GUI thread (``app_signals()`` makes it on first use). Worker threads
must not emit these directly: they go through ``workers.base.JobRunner``.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

from PySide6.QtCore import QObject, Signal


class AppSignals(QObject):
    #: the effective UI language changed ("ko" or "en"); retranslate visible texts
    language_changed = Signal(str)
    #: a typed setting was written (its key, e.g. "ui/language")
    settings_changed = Signal(str)
    #: files or folders to import as training audio (dropped, Dock, menu, second instance)
    import_requested = Signal(list)
    #: status bar facts: any of "backend", "device", "model" (translated, short) -> text
    status_changed = Signal(dict)
    #: a transient message for the status bar (already translated), shown for a few seconds
    status_message = Signal(str)
    #: the models folder in use (its path) changed or gained/lost a component (a download
    #: verified, a folder was deleted or chosen): the tabs read core.models again
    models_changed = Signal(str)
    #: use this LoRA adapter folder in the Generation tab (Training tab's "Use in Generation");
    #: the main window opens the tab and loads it at full strength
    adapter_chosen = Signal(str)


_instance: AppSignals | None = None


def app_signals() -> AppSignals:
    """The one AppSignals object of this process."""
    global _instance
    if _instance is None:
        _instance = AppSignals()
    return _instance
