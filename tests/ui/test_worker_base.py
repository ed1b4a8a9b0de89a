"""JobRunner (workers/base.py): signals arrive in the GUI thread, in order, exactly one outcome."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QThread

from mixgrv_app.core.errors import TrainingError
from mixgrv_app.core.jobs import Artifact, Log, Metric, Progress
from mixgrv_app.workers.base import JobRunner


def _record(runner: JobRunner) -> list[tuple[str, object, bool]]:
    """Every signal as (name, payload, delivered_in_gui_thread) — lambdas on purpose (the 6.12 trap)."""
    seen: list[tuple[str, object, bool]] = []
    gui = QThread.currentThread()
    for name in ("progress", "log", "metric", "artifact", "succeeded", "failed"):
        getattr(runner, name).connect(lambda payload, n=name: seen.append((n, payload, QThread.currentThread() is gui)))
    runner.cancelled.connect(lambda: seen.append(("cancelled", None, QThread.currentThread() is gui)))
    runner.finished.connect(lambda: seen.append(("finished", None, QThread.currentThread() is gui)))
    return seen


def test_events_then_success_in_gui_thread(qtbot):
    job_threads = []

    def job(events, cancel):
        job_threads.append(threading.current_thread())
        events(Progress("work", 1, 2))
        events(Log("info", "hello"))
        events(Metric(1, {"loss": 0.5}))
        events(Artifact("audio", "/tmp/x.wav"))
        return 42

    runner = JobRunner(job)
    seen = _record(runner)
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start()
        assert runner.is_running()
    assert [s[0] for s in seen] == ["progress", "log", "metric", "artifact", "succeeded", "finished"]
    assert all(s[2] for s in seen), "a signal was delivered outside the GUI thread"
    assert job_threads[0] is not threading.main_thread()
    assert seen[4][1] == 42 and runner.result == 42
    assert not runner.is_running()


def test_failure_carries_the_exception(qtbot):
    def job(events, cancel):
        raise TrainingError("training.test", "boom", step=3)

    runner = JobRunner(job)
    seen = _record(runner)
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start()
    names = [s[0] for s in seen]
    assert names == ["failed", "finished"]
    assert isinstance(seen[0][1], TrainingError) and seen[0][1].params == {"step": 3}


def test_cancel_stops_the_job(qtbot):
    started = threading.Event()

    def job(events, cancel):
        started.set()
        for i in range(500):
            cancel.raise_if_cancelled()
            events(Progress("loop", i, 500))
            time.sleep(0.01)
        return "not cancelled"

    runner = JobRunner(job)
    seen = _record(runner)
    runner.start()
    assert started.wait(5)
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.cancel()
    names = [s[0] for s in seen]
    assert names[-2:] == ["cancelled", "finished"]
    assert "succeeded" not in names


def test_wait_delivers_outcome_before_returning(qtbot):
    runner = JobRunner(lambda events, cancel: "done")
    seen = _record(runner)
    runner.start()
    assert runner.wait(5000)
    assert [s[0] for s in seen] == ["succeeded", "finished"]
    with pytest.raises(RuntimeError):
        # restarting while running is refused; after finished it is allowed
        runner2 = JobRunner(lambda e, c: time.sleep(0.2))
        runner2.start()
        runner2.start()
    runner2.wait(5000)
    runner.start()
    assert runner.wait(5000) and runner.result == "done"


def test_wait_times_out_while_job_runs(qtbot):
    gate = threading.Event()
    runner = JobRunner(lambda events, cancel: gate.wait(5))
    runner.start()
    assert runner.wait(50) is False
    assert runner.is_running()
    gate.set()
    assert runner.wait(5000)
    assert not runner.is_running()


def test_many_signals_do_not_exhaust_none_true_false(tmp_path):
    """PySide6 6.12 on Python 3.11 drops a reference to True/None per emit / void call; a long
    job emits thousands of events. mixgrv_app.pyside_fix must keep the process alive."""
    import subprocess
    import sys

    script = (
        "import mixgrv_app.workers.base\n"
        "from PySide6.QtCore import QCoreApplication, QObject, Signal\n"
        "app = QCoreApplication([])\n"
        "class S(QObject):\n    sig = Signal(object)\n"
        "s = S(); s.sig.connect(lambda v: None)\n"
        "for i in range(20000):\n    s.sig.emit(i % 2 == 0); s.setObjectName('x')\n"
        "print('survived')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "survived" in done.stdout, done.stderr[-2000:]
