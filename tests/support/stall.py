"""How long the GUI thread stops answering: one meter for every end-to-end test that bounds it.

A precise timer ticks in the GUI thread; a stall is how much later than due a tick comes. On a
small, loaded machine (2 cores, a frozen build and a model process beside the tests) a thread can
be ready and still wait for a core: that wait says nothing about the app, so where Linux reports
it (``/proc/self/task/<tid>/schedstat``: run-queue delay) it is taken out of the stall. Everything
else counts: the GUI thread's own work, and any sleep on a lock, a pipe or the GIL.
``max_busy_ms`` is the GUI thread's own CPU time between two ticks; ``max_gap_ms`` the raw gap.
"""

from __future__ import annotations

import os
import threading
import time


class StallMeter:
    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        self.interval_ms = interval_ms
        self.clock = QElapsedTimer()
        self.timer = QTimer(interval=interval_ms, timerType=Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self._fd: int | None = None
        self.reset()

    def reset(self) -> None:
        """max_stall_ms: late beyond the interval, less the wait for a core; max_gap_ms: the raw
        gap between ticks; max_busy_ms: the GUI thread's CPU time between ticks; waited_ms: the
        run-queue wait taken out, in total."""
        self.max_stall_ms = self.max_gap_ms = self.max_busy_ms = self.waited_ms = 0.0

    def _queue_wait_ns(self) -> int:
        if self._fd is None:
            return 0
        return int(os.pread(self._fd, 128, 0).split()[1])

    def start(self) -> None:
        """Start (or resume) measuring; call from the GUI thread."""
        if self._fd is None:
            try:
                self._fd = os.open(f"/proc/self/task/{threading.get_native_id()}/schedstat", os.O_RDONLY)
            except OSError:  # not Linux, or no schedstat: the whole gap counts
                self._fd = None
        self.clock.start()
        self.last, self.last_cpu, self.last_wait = 0, time.thread_time(), self._queue_wait_ns()
        self.timer.start()

    def _tick(self) -> None:
        now, cpu, wait = self.clock.nsecsElapsed(), time.thread_time(), self._queue_wait_ns()
        gap = (now - self.last) / 1e6
        waited = (wait - self.last_wait) / 1e6
        self.max_gap_ms = max(self.max_gap_ms, gap)
        self.max_stall_ms = max(self.max_stall_ms, gap - self.interval_ms - waited)
        self.max_busy_ms = max(self.max_busy_ms, (cpu - self.last_cpu) * 1e3)
        self.waited_ms += waited
        self.last, self.last_cpu, self.last_wait = now, cpu, wait

    def stop(self) -> float:
        """Stop; the longest stall so far (ms). ``start`` again resumes."""
        self.timer.stop()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        return self.max_stall_ms

    def report(self) -> str:
        return (f"stall {self.max_stall_ms:.1f} ms (raw gap {self.max_gap_ms:.1f} ms, GUI-thread CPU "
                f"{self.max_busy_ms:.1f} ms, waits for a core taken out {self.waited_ms:.0f} ms in total)")

    def paused_grab(self, widget, path) -> None:
        """A screenshot (PNG encoding in this thread) is the test's own work: not counted."""
        from PySide6.QtWidgets import QApplication

        running = self.timer.isActive()
        self.timer.stop()
        QApplication.processEvents()  # pending layout requests first (a label that just got longer)
        widget.grab().save(str(path))
        if running:
            self.start()
