"""Bridge for LoRA training: runs ``core.training.run_in_child`` under a JobRunner.

The training itself happens in a child process (core/training.py), so this thread only relays
events; the GUI stays responsive and an out-of-memory kill cannot take the window down. The
session turns the outcome into one ``finished((kind, detail))`` signal: kind is "done",
"stopped", "crashed" or "failed".
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from mixgrv_app.core import models
from mixgrv_app.core.jobs import CancelToken, EventSink
from mixgrv_app.workers.base import JobRunner
from mixgrv_app.workers.preprocess import pick_variant

from mixgrv_app.core.training import TRAINING_FIELDS

PANEL_KEYS = tuple(TRAINING_FIELDS)  # the settings the Training tab edits


def presets() -> dict[str, dict[str, Any]]:
    from mixgrv_app.core.training import PRESETS, TrainingConfig

    defaults = TrainingConfig()
    return {name: {k: values.get(k, getattr(defaults, k)) for k in PANEL_KEYS} for name, values in PRESETS.items()}


def preset_for(dataset: Any) -> str:
    from mixgrv_app.core.training import preset_for as choose

    return choose(len(dataset.tracks) if dataset is not None else 0)


def resumable_runs() -> list[dict[str, Any]]:
    from mixgrv_app.core.training import list_runs

    out = []
    for run in list_runs():
        if run["resumable"]:
            state = "crashed" if run["crashed"] else "stopped"
            out.append({**run, "description": f"{state}, step {run['step']}"})
    return out


def loss_history(run_name: str) -> list[tuple[int, float]]:
    from mixgrv_app.core.training import read_metrics, run_dir

    return [(int(r["step"]), r["loss"]) for r in read_metrics(run_dir(run_name)) if "loss" in r and r["loss"] == r["loss"]]


class TrainingSession(QObject):
    """One training or resume run; signals arrive in the GUI thread."""

    progress = Signal(object)
    metric = Signal(object)
    log = Signal(object)
    artifact = Signal(object)
    finished = Signal(object)   # (kind, detail)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner: JobRunner | None = None

    def _launch(self, job) -> None:
        runner = JobRunner(job, self, kind="training")  # Stop = save a checkpoint, end the run as stopped
        runner.progress.connect(self.progress)
        runner.metric.connect(self.metric)
        runner.log.connect(self.log)
        runner.artifact.connect(self.artifact)
        runner.succeeded.connect(self._on_succeeded)
        runner.failed.connect(self._on_failed)
        self._runner = runner
        runner.start()

    def start(self, dataset: str, models_root: str, settings: dict[str, Any]) -> None:
        from mixgrv_app.core.training import TrainingConfig, run_in_child

        values = {k: settings[k] for k in PANEL_KEYS if k in settings}
        config = TrainingConfig(dataset=dataset, models_dir=models_root, name=settings.get("name", ""),
                                variant=settings.get("variant") or pick_variant(models_root) or models.TURBO, **values)

        def job(events: EventSink, cancel: CancelToken) -> Any:
            return run_in_child(config, events, cancel)

        self._launch(job)

    def resume(self, run_name: str, models_root: str) -> None:
        from mixgrv_app.core.training import TrainingConfig, run_in_child

        def job(events: EventSink, cancel: CancelToken) -> Any:
            return run_in_child(TrainingConfig(), events, cancel, resume=run_name)

        self._launch(job)

    def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()

    def is_running(self) -> bool:
        return self._runner is not None and self._runner.is_running()

    def wait(self, timeout_ms: int = -1) -> bool:
        return self._runner.wait(timeout_ms) if self._runner is not None else True

    @Slot(object)
    def _on_succeeded(self, result: Any) -> None:
        self.finished.emit((result.status, result))

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        kind = "crashed" if getattr(exc, "code", "") == "training.crashed" else "failed"
        self.finished.emit((kind, exc))
