"""The stall meter the end-to-end tests bound the GUI thread with (tests/support/stall.py) sees
what it must: the GUI thread's own work, and a sleep in the GUI thread (a lock, a pipe, the GIL)."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from support.stall import StallMeter

BLOCK_MS = 120


def _measure(qtbot, block) -> StallMeter:
    meter = StallMeter()
    meter.start()
    qtbot.wait(30)
    QTimer.singleShot(0, block)
    qtbot.wait(BLOCK_MS + 60)
    meter.stop()
    return meter


def test_a_sleep_in_the_gui_thread_counts(qapp, qtbot):
    meter = _measure(qtbot, lambda: time.sleep(BLOCK_MS / 1e3))
    assert meter.max_stall_ms >= BLOCK_MS - 10, meter.report()   # sleeping is not waiting for a core
    assert meter.max_busy_ms < BLOCK_MS / 2, meter.report()


def test_work_in_the_gui_thread_counts(qapp, qtbot):
    def spin() -> None:
        end = time.thread_time() + BLOCK_MS / 1e3
        while time.thread_time() < end:
            pass

    meter = _measure(qtbot, spin)
    assert meter.max_busy_ms >= BLOCK_MS - 10, meter.report()
    assert meter.max_stall_ms >= BLOCK_MS - 10 - meter.waited_ms, meter.report()


def test_resume_after_a_stop_keeps_the_worst(qapp, qtbot):
    meter = _measure(qtbot, lambda: time.sleep(BLOCK_MS / 1e3))
    worst = meter.max_stall_ms
    meter.start()
    qtbot.wait(30)
    assert meter.stop() == worst
    meter.reset()
    assert meter.max_stall_ms == meter.max_gap_ms == meter.max_busy_ms == 0.0
