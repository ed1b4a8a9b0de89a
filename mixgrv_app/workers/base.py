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
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import logging
import threading
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, Signal, Slot

from mixgrv_app.core.jobs import Artifact, CancelToken, Cancelled, EventSink, Log, Metric, Progress

log = logging.getLogger(__name__)

Job = Callable[[EventSink, CancelToken], Any]

# Kinds carried by the private relay signal.
_EVENT, _SUCCEEDED, _FAILED, _CANCELLED = "event", "succeeded", "failed", "cancelled"


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

    def __init__(self, job: Job, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job = job
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
        self.finished.emit()
