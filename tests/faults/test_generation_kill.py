"""Generation faults and interruptions: the model process is killed (an out-of-memory kill, a Metal
crash) mid-take, or the musician cancels a take.

What must hold for the musician: the window stays up, the take fails with the Korean/English
"the model process stopped unexpectedly (signal 9) — generate again" message, no half-written
take enters the history, and the next Generate starts a fresh process and works. Runs the real
worker and pipeline on the parity checkpoints.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import shiboken6

from mixgrv_app.core.history import History
from mixgrv_app.core.jobs import Progress
from mixgrv_app.workers.generation import GenerationOutcome, GenerationWorker, RenderSpec


def _values(seed: int) -> dict:
    return {"caption": "lo-fi piano", "lyrics": "", "instrumental": True, "language": "en", "duration": 10.0,
            "variant": "acestep-v15-turbo", "seed": seed, "batch_size": 1}


def test_killed_model_process_fails_the_take_and_the_next_take_works(qtbot, parity_checkpoints, tmp_path):
    history = History(tmp_path / "results")
    worker = GenerationWorker(parity_checkpoints, history)
    failures: list = []
    outcomes: list = []
    worker.failed.connect(failures.append)
    worker.succeeded.connect(lambda payload: outcomes.append(payload[1]))
    killed: list[int] = []

    def kill_on_first_step(event) -> None:
        if isinstance(event, Progress) and event.stage == "diffusion" and not killed:
            killed.append(worker.service.pid)
            os.kill(killed[0], signal.SIGKILL)

    worker.progress.connect(kill_on_first_step)
    try:
        with qtbot.waitSignal(worker.finished, timeout=120_000):
            worker.generate([RenderSpec(_values(1), [])])
        assert killed and len(failures) == 1 and not outcomes
        assert failures[0].code == "generate.process_died" and failures[0].params["how"] == "signal 9"
        assert history.takes() == []

        worker.progress.disconnect(kill_on_first_step)
        with qtbot.waitSignal(worker.finished, timeout=120_000):
            worker.generate([RenderSpec(_values(2), [])])
        assert len(outcomes) == 1 and isinstance(outcomes[0], GenerationOutcome)
        assert [t.seed for t in outcomes[0].takes] == [2] and len(history.takes()) == 1
        assert worker.service.starts == 2 and worker.service.pid != killed[0]
    finally:
        worker.shutdown()
        # Delete the QObject here, in the GUI thread: left to the garbage collector it could be
        # destroyed by whichever thread triggers a collection later (a crash in Qt).
        qtbot.wait(20)
        shiboken6.delete(worker)


def test_cancel_mid_take_leaves_nothing_and_keeps_the_models_warm(qtbot, parity_checkpoints, tmp_path):
    history = History(tmp_path / "results")
    worker = GenerationWorker(parity_checkpoints, history)
    cancelled: list = []
    outcomes: list = []
    worker.cancelled.connect(lambda: cancelled.append(True))
    worker.succeeded.connect(lambda payload: outcomes.append(payload[1]))

    def cancel_on_first_step(event) -> None:
        if isinstance(event, Progress) and event.stage == "diffusion" and event.done >= 1 and not cancelled:
            worker.cancel()

    worker.progress.connect(cancel_on_first_step)
    try:
        with qtbot.waitSignal(worker.finished, timeout=120_000):
            worker.generate([RenderSpec(_values(5), [])])
        assert cancelled == [True] and not outcomes and history.takes() == []
        assert not any((tmp_path / "results").glob("*/take-*"))  # no half-written take on disk
        worker.progress.disconnect(cancel_on_first_step)
        with qtbot.waitSignal(worker.finished, timeout=120_000):
            worker.generate([RenderSpec(_values(6), [])])
        assert len(outcomes) == 1 and worker.service.starts == 1 and worker.load_count == 1
    finally:
        worker.shutdown()
        qtbot.wait(20)
        shiboken6.delete(worker)


def test_backend_switch_takes_effect_on_the_next_take(qtbot, parity_checkpoints, tmp_path):
    """Settings ▸ Generation Backend: the next take runs on the chosen backend (the models reload
    once, in the same process); what it ran on comes back with the outcome for the status bar."""
    history = History(tmp_path / "results")
    worker = GenerationWorker(parity_checkpoints, history, backend="torch")
    outcomes: list = []
    worker.succeeded.connect(lambda payload: outcomes.append(payload[1]) if payload[0] == "generate" else None)
    try:
        with qtbot.waitSignal(worker.finished, timeout=120_000):
            worker.generate([RenderSpec(_values(7), [])])
        assert outcomes[-1].backend["name"] == "torch" and outcomes[-1].backend["device"] == "cpu"
        worker.set_backend("mlx")
        worker.generate([RenderSpec(_values(7), [])])
        qtbot.waitUntil(lambda: len(outcomes) == 2 and not worker.is_busy(), timeout=120_000)
        assert outcomes[-1].backend["name"] == "mlx" and worker.load_count == 2 and worker.service.starts == 1
        sidecar = json.loads(Path(outcomes[-1].takes[0].sidecar_path).read_text(encoding="utf-8"))
        assert sidecar["backend"]["name"] == "mlx"
    finally:
        worker.shutdown()
        qtbot.wait(20)
        shiboken6.delete(worker)


def test_quit_while_the_models_load_ends_the_process_and_records_nothing(qtbot, parity_checkpoints, tmp_path):
    """Quitting while the model process still loads (no cancel points there): the worker ends the
    process instead of waiting for the load, its thread stops, and no take is recorded."""
    import time

    history = History(tmp_path / "results")
    worker = GenerationWorker(parity_checkpoints, history)
    loading: list[int] = []

    def on_progress(event) -> None:
        if isinstance(event, Progress) and event.stage == "load" and event.done == 0 and not loading:
            loading.append(worker.service.pid)

    worker.progress.connect(on_progress)
    try:
        worker.generate([RenderSpec(_values(3), [])])
        qtbot.waitUntil(lambda: bool(loading), timeout=120_000)
        started = time.monotonic()
        assert worker.shutdown()
        print(f"shutdown while loading took {time.monotonic() - started:.2f} s")
        assert worker.service.pid is None
        try:
            os.kill(loading[0], 0)
            alive = True
        except ProcessLookupError:
            alive = False
        assert not alive and history.takes() == []
    finally:
        worker.progress.disconnect(on_progress)
        qtbot.wait(20)
        shiboken6.delete(worker)
