"""Python's cyclic garbage collector, run only in the GUI thread.

CPython collects when an allocation crosses a threshold, in whichever thread made it. If that is
a worker thread (the generation relay, a dataset import) and the garbage holds Qt wrappers — a
closure over a widget, a dead dialog — Qt objects get destroyed outside the GUI thread, and Qt
crashes in its destructor (we saw such segfaults, "Garbage-collecting" in a non-GUI thread).
So automatic collection is switched off and a timer in the GUI thread does the same work: a
young-generation pass when enough objects were allocated, older generations as often as
CPython's own thresholds would. Reference counting still frees everything that is not a cycle
at once; only cycles wait for the timer.

A full pass walks every tracked object: with 350 k of them (PySide6, numpy, our modules; torch
too in a test process) that is 100–200 ms in one go, a visible freeze. So what is alive at start
and what survives a full pass is frozen (``gc.freeze``): long-lived by then, never scanned again,
and full passes stay proportional to what was made since. The price: a reference cycle among
frozen objects that dies later is not reclaimed; such objects are few (windows, models of the
tabs) and live as long as the app anyway.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Owns the collection policy for the process while it lives (``install`` makes one)."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        gc.freeze()  # everything made during start-up (modules, classes, the window) is long-lived
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start()
        self.passes = [0, 0, 0]

    def collect_due(self) -> None:
        """Collect the generations CPython would have collected by now (never a full pass for nothing)."""
        young, middle, old = gc.get_count()
        if young < self.threshold[0]:
            return
        generation = 0
        if middle >= self.threshold[1]:
            generation = 2 if old >= self.threshold[2] else 1
        gc.collect(generation)
        self.passes[generation] += 1
        if generation == 2:
            gc.freeze()  # the survivors of a full pass are long-lived: keep the next one short


_installed: list[GuiThreadCollector] = []


def install(app: QCoreApplication | None = None) -> GuiThreadCollector:
    """Switch to GUI-thread collection for this application (once; later calls return it)."""
    app = app or QCoreApplication.instance()
    assert app is not None, "create the QApplication first"
    # A plain list, not app.findChild(type): that call loads shiboken's signature machinery
    # (~12 ms of regex compiling) on the start path.
    for collector in _installed:
        try:
            if collector.parent() is app:
                return collector
        except RuntimeError:  # its application was destroyed (tests make several)
            pass
    _installed[:] = [GuiThreadCollector(app)]
    return _installed[0]
