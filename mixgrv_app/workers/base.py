"""JobRunner: run one core job off the GUI thread and hand its events back as Qt signals.

A job is ``job(events, cancel) -> result`` (see ``core/jobs.py``; bind the request with a
lambda or ``functools.partial``). The runner is created and used in the GUI thread. The job
runs in a plain Python thread; every event it emits, and its outcome, travels through ONE
private signal queued to the runner itself, so

* all public signals are emitted in the GUI thread (slots may touch widgets, lambdas too);
* they arrive in the order the job produced them, and ``finished`` always comes last.

Why not a QThread with a worker object: PySide6 6.12 runs lambdas connected to worker-thread
signals in the worker thread, and ``finished -> quit`` plus ``wait()`` inside a GUI slot
deadlocks (platform-notes). A Python thread that only ever *emits* avoids both traps.

The bridge itself, :class:`EventRelay`, is shared with ``workers.generation.GenerationWorker``.

Outcome signals, exactly one per run, then ``finished``:
``succeeded(result)``, ``failed(exception)`` or ``cancelled()`` (the job raised
:class:`~mixgrv_app.core.jobs.Cancelled`).

The job registry (Anki's idea: one count of what runs in the background)
------------------------------------------------------------------------
Every running job is listed in :func:`job_registry` from ``start()`` until ``finished``: a
JobRunner registers itself, so every job kind built on it (preprocessing, imports, training,
exports, model downloads, auto-labelling, ...) is covered by the one quit guard of the main
window without new guard code. Work that does not run under a JobRunner (the generation
worker's queue) registers a :class:`RunningJob` by hand.

A job kind says two things when it is created (``JobRunner(job, parent, kind=..., on_quit=...)``):

* ``kind`` — what the quit sheet calls it: one of :data:`JOB_KINDS` ("job" when unsure);
* ``on_quit`` — what "stop and save" (중지하고 저장 후 종료) means for it:
  ``"cancel"`` (the default): cancel it and wait until it has ended; the job itself keeps what
  it made (training saves a checkpoint and marks the run stopped, preprocessing and imports
  keep the finished songs, a download keeps its partial file for the next start);
  ``"finish"``: let it run to its end, then quit (short jobs whose result is the point: an
  export).

"Quit without saving" (저장하지 않고 종료) cancels every job and ends the child processes at
once (:meth:`JobRegistry.abandon_all`): a training run is left at its last checkpoint.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, Signal, Slot

from mixgrv_app.core.jobs import Artifact, CancelToken, Cancelled, EventSink, Log, Metric, Progress

log = logging.getLogger(__name__)

Job = Callable[[EventSink, CancelToken], Any]

# Kinds carried by the private relay signal.
_EVENT, _SUCCEEDED, _FAILED, _CANCELLED = "event", "succeeded", "failed", "cancelled"


#: what a job is, for the quit sheet's words ("job" when none fits)
JOB_KINDS = ("training", "preprocess", "import", "autolabel", "download", "export", "generation", "job")
QUIT_CANCEL, QUIT_FINISH = "cancel", "finish"


@dataclass(eq=False)
class RunningJob:
    """One background job as the quit guard sees it."""

    kind: str                      # one of JOB_KINDS
    cancel: Callable[[], None]     # ask the job to stop (it keeps what it made, see the module docstring)
    on_quit: str = QUIT_CANCEL     # QUIT_CANCEL or QUIT_FINISH: what "stop and save" does with it


class JobRegistry(QObject):
    """The running background jobs of this process (GUI thread only); ``changed(count)`` on every change."""

    changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[RunningJob] = []

    def add(self, job: RunningJob) -> None:
        if job not in self._jobs:
            self._jobs.append(job)
            self.changed.emit(len(self._jobs))

    def remove(self, job: RunningJob) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
            self.changed.emit(len(self._jobs))

    def jobs(self) -> list[RunningJob]:
        return list(self._jobs)

    def count(self) -> int:
        return len(self._jobs)

    def kinds(self) -> list[str]:
        """The kinds running, each once, in JOB_KINDS order (training first)."""
        present = {job.kind for job in self._jobs}
        return [kind for kind in JOB_KINDS if kind in present] + sorted(present - set(JOB_KINDS))

    def stop_all_and_save(self) -> None:
        """"Stop and save": cancel the jobs whose cancel keeps their work, let the others finish."""
        for job in self.jobs():
            if job.on_quit == QUIT_CANCEL:
                job.cancel()

    def abandon_all(self) -> None:
        """"Quit without saving": cancel everything and end this process's children now."""
        for job in self.jobs():
            job.cancel()
        kill_child_processes()


def kill_child_processes() -> int:
    """End every child process of this one (job children, the model process); how many."""
    import psutil

    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return 0
    for child in children:
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(children, timeout=3)
    return len(children)


_registry: JobRegistry | None = None


def job_registry() -> JobRegistry:
    """The one JobRegistry of this process (made on first use, in the GUI thread)."""
    global _registry
    if _registry is None:
        _registry = JobRegistry()
    return _registry


class EventRelay(QObject):
    """The thread → GUI bridge of a worker: its background thread calls :meth:`_emit` only, which
    emits ONE private signal queued to this object; :meth:`_deliver` (a subclass's) then runs in
    the GUI thread, in emission order, and re-emits job events with :meth:`_relay_event`."""

    progress = Signal(object)   # core.jobs.Progress
    log = Signal(object)        # core.jobs.Log
    metric = Signal(object)     # core.jobs.Metric
    artifact = Signal(object)   # core.jobs.Artifact

    _relay = Signal(object, object, object)  # (job id, kind, payload), emitted from the worker thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Explicitly queued: the emitter is the worker thread, the receiver lives in the GUI thread.
        self._relay.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def _emit(self, job_id: int, kind: str, payload: Any) -> None:
        """Worker thread: hand ``payload`` to the GUI thread."""
        try:
            self._relay.emit(job_id, kind, payload)
        except RuntimeError:
            # The worker's C++ object is gone (its window closed); nobody is listening.
            pass

    def _relay_event(self, event: Any) -> None:
        """GUI thread: a core.jobs event as the matching public signal."""
        if isinstance(event, Progress):
            self.progress.emit(event)
        elif isinstance(event, Log):
            self.log.emit(event)
        elif isinstance(event, Metric):
            self.metric.emit(event)
        elif isinstance(event, Artifact):
            self.artifact.emit(event)
        else:
            log.warning("job emitted an unknown event: %r", event)

    def _deliver(self, job_id: object, kind: object, payload: object) -> None:
        raise NotImplementedError


class JobRunner(EventRelay):
    """Runs ``job(events, cancel)`` in a background thread; signals arrive in the GUI thread."""

    succeeded = Signal(object)  # the job's return value
    failed = Signal(object)     # the exception (a MixgrvError carries code/params for ui.messages)
    cancelled = Signal()
    finished = Signal()         # after exactly one of succeeded / failed / cancelled

    def __init__(self, job: Job, parent: QObject | None = None, *, kind: str = "job",
                 on_quit: str = QUIT_CANCEL) -> None:
        super().__init__(parent)
        self._job = job
        self.entry = RunningJob(kind, self.cancel, on_quit)
        self._thread: threading.Thread | None = None
        self._cancel = CancelToken()
        self._running = False
        self._run_id = 0
        self.result: Any = None
        self.error: BaseException | None = None

    # -- control (GUI thread) -------------------------------------------------------------

    def start(self) -> None:
        if self._running:
            raise RuntimeError("JobRunner is already running; wait for finished before starting again")
        self._run_id += 1
        self._cancel = CancelToken()
        self._running = True
        self.result = None
        self.error = None
        thread = threading.Thread(
            target=self._work, args=(self._run_id, self._cancel), name=f"mixgrv-job-{self._run_id}", daemon=True
        )
        self._thread = thread
        registry = job_registry()
        registry.add(self.entry)
        if not getattr(self, "_unlists_on_destroy", False):
            # a runner deleted with its window never delivers ``finished``: unlist it then
            entry = self.entry
            self.destroyed.connect(lambda *_: registry.remove(entry))
            self._unlists_on_destroy = True
        thread.start()

    def cancel(self) -> None:
        """Ask the job to stop at its next check; ``cancelled`` follows when it does."""
        self._cancel.cancel()

    def is_running(self) -> bool:
        """True from ``start()`` until ``finished`` has been emitted."""
        return self._running

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the job thread ends (False on timeout).

        Called from the GUI thread, the signals the job left queued are delivered before this
        returns, so ``succeeded``/``failed``/``cancelled`` and ``finished`` have been emitted.
        """
        thread = self._thread
        if thread is not None:
            thread.join(None if timeout_ms is None or timeout_ms < 0 else timeout_ms / 1000.0)
            if thread.is_alive():
                return False
        if QThread.currentThread() is self.thread():
            QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        return True

    # -- job thread -----------------------------------------------------------------------

    def _work(self, run_id: int, cancel: CancelToken) -> None:
        def events(event: Any) -> None:
            self._emit(run_id, _EVENT, event)

        try:
            result = self._job(events, cancel)
        except Cancelled:
            self._emit(run_id, _CANCELLED, None)
        except BaseException as exc:  # noqa: BLE001 - the GUI must hear about every failure
            log.error("job failed", exc_info=exc)
            self._emit(run_id, _FAILED, exc)
        else:
            self._emit(run_id, _SUCCEEDED, result)

    # -- GUI thread -----------------------------------------------------------------------

    @Slot(object, object, object)
    def _deliver(self, run_id: object, kind: object, payload: object) -> None:
        if run_id != self._run_id:
            return  # a stale event from an earlier run
        if kind == _EVENT:
            self._relay_event(payload)
            return
        self._running = False
        if kind == _SUCCEEDED:
            self.result = payload
            self.succeeded.emit(payload)
        elif kind == _FAILED:
            self.error = payload  # type: ignore[assignment]
            self.failed.emit(payload)
        else:
            self.cancelled.emit()
        job_registry().remove(self.entry)
        self.finished.emit()
