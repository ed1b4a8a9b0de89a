"""Bridge for the model jobs (download, verify, remove) of ``core.model_download`` under a JobRunner.

The bytes move in a child process (``download_in_child`` / ``verify_in_child``), so this only
relays events to the GUI thread. One :class:`ModelJobs` per window runs one job at a time; the
manager sheet, the welcome sheet and the status bar all listen to the same object, and because
it runs on :class:`~mixgrv_app.workers.base.JobRunner` a quit guard that counts runners sees a
download as a running job (``is_running``; ``shutdown`` cancels and waits — the next run resumes).

``models_root(settings)`` is the one answer to "which models folder does the app use".
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from mixgrv_app import settings as opts
from mixgrv_app.core.jobs import CancelToken, EventSink
from mixgrv_app.workers.base import JobRunner

DOWNLOAD, VERIFY, REMOVE = "download", "verify", "remove"
DONE, CANCELLED, FAILED = "done", "cancelled", "failed"


def models_root(settings: opts.Settings | None = None) -> str:
    """The models folder in use: the one chosen in the settings, else the app's own."""
    from mixgrv_app.core import models

    chosen = (settings or opts.settings()).get(opts.MODELS_ROOT)
    return chosen or str(models.default_root())


class ModelJobs(QObject):
    """One model job at a time; signals arrive in the GUI thread."""

    started = Signal(str)             # the kind: download / verify / remove
    progress = Signal(object)         # core.jobs.Progress (stages download / file / verify)
    metric = Signal(object)           # core.jobs.Metric (bytes_per_s, done_bytes, total_bytes, eta_s, ...)
    log = Signal(object)              # core.jobs.Log
    component_ready = Signal(str)     # a folder verified and usable (Artifact kind "model")
    finished = Signal(str, str, object)  # (job kind, DONE / CANCELLED / FAILED, result dict or exception)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner: JobRunner | None = None
        self.kind = ""
        self.child_pid: int | None = None  # the process moving the bytes (None for remove)

    # -- starting ------------------------------------------------------------------------------
    def download(self, root: str, names: list[str]) -> None:
        """Fetch (or link from the Hugging Face cache) and verify ``names`` into ``root``."""
        from mixgrv_app.core import model_download

        request = model_download.DownloadRequest(root=str(root), components=list(names))

        def job(events: EventSink, cancel: CancelToken) -> Any:
            return model_download.download_in_child(request, events, cancel, on_start=self._child_started)

        self._launch(DOWNLOAD, job)

    def verify(self, root: str, names: list[str] | None = None) -> None:
        """Hash the downloaded folders again; a damaged file is fetched again."""
        from mixgrv_app.core import model_download

        def job(events: EventSink, cancel: CancelToken) -> Any:
            return model_download.verify_in_child(root, names, events, cancel, repair=True, on_start=self._child_started)

        self._launch(VERIFY, job)

    def remove(self, root: str, names: list[str]) -> None:
        """Delete folders (only the link for one that points into the HF cache). No model work:
        it runs in this process, off the GUI thread."""
        from mixgrv_app.core import model_download

        def job(events: EventSink, cancel: CancelToken) -> Any:
            for name in names:
                cancel.raise_if_cancelled()
                model_download.remove(root, name)
            return {"removed": list(names)}

        self._launch(REMOVE, job)

    def _launch(self, kind: str, job) -> None:  # noqa: ANN001
        if self.is_running():
            raise RuntimeError("a model job is already running")
        # the quit guard names downloads and verifications; its "stop and save" cancels them,
        # which keeps every finished file and the partial ones for the next run
        runner = JobRunner(job, self, kind="download" if kind != REMOVE else "job")
        runner.progress.connect(self.progress)
        runner.metric.connect(self.metric)
        runner.log.connect(self.log)
        runner.artifact.connect(self._on_artifact)
        runner.succeeded.connect(lambda result: self.finished.emit(kind, DONE, result))
        runner.failed.connect(lambda exc: self.finished.emit(kind, FAILED, exc))
        runner.cancelled.connect(lambda: self.finished.emit(kind, CANCELLED, None))
        self._runner, self.kind, self.child_pid = runner, kind, None
        runner.start()
        self.started.emit(kind)

    # -- control -------------------------------------------------------------------------------
    def cancel(self) -> None:
        if self._runner is not None:
            self._runner.cancel()

    def is_running(self) -> bool:
        return self._runner is not None and self._runner.is_running()

    def wait(self, timeout_ms: int = -1) -> bool:
        return self._runner.wait(timeout_ms) if self._runner is not None else True

    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Quit: stop the job (a download resumes next time from what is on disk) and wait."""
        if self.is_running():
            self.cancel()
            self.wait(timeout_ms)

    def _child_started(self, pid: int) -> None:  # job thread: a plain attribute write
        self.child_pid = pid

    @Slot(object)
    def _on_artifact(self, artifact: Any) -> None:
        if getattr(artifact, "kind", "") == "model":
            self.component_ready.emit(str(artifact.info.get("component", "")))
