"""Cyclic garbage is collected in the GUI thread only (ui/gui_gc.py)."""

from __future__ import annotations

import gc
import threading

from mixgrv_app.ui import gui_gc


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_cycles_made_in_a_worker_thread_are_freed_by_the_gui_timer(qapp, qtbot):
    collector = gui_gc.install(qapp)
    assert gui_gc.install(qapp) is collector and not gc.isenabled()
    freed_in: list[str] = []

    class Tracked(_Cycle):
        def __del__(self) -> None:
            freed_in.append(threading.current_thread().name)

    def make_garbage() -> None:
        for _ in range(5):
            Tracked()
        for _ in range(3 * collector.threshold[0]):  # far past the young threshold: CPython would collect here
            _Cycle()

    worker = threading.Thread(target=make_garbage, name="worker")
    worker.start()
    worker.join()
    assert freed_in == []  # nothing collected in the worker
    qtbot.waitUntil(lambda: len(freed_in) == 5, timeout=3000)
    assert set(freed_in) == {threading.main_thread().name} and collector.passes[0] >= 1


def test_a_full_pass_freezes_its_survivors(qapp):
    collector = gui_gc.install(qapp)
    survivors = [_Cycle() for _ in range(50)]
    frozen_before = gc.get_freeze_count()
    for _ in range(3 * collector.threshold[0]):
        _Cycle()
    saved = collector.threshold
    collector.threshold = (saved[0], 0, 0)  # older generations due at once: this pass is a full one
    try:
        collector.collect_due()
    finally:
        collector.threshold = saved
    assert collector.passes[2] >= 1 and gc.get_freeze_count() >= frozen_before + len(survivors)
