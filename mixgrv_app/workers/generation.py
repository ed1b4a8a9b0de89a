"""The Generation tab's worker: queues model work to the warm model process, relays its events.

The models live in a child process (``core/generation_service.py`` behind
``core.child_jobs.ChildService``), so nothing the frameworks do can hold this process's interpreter
lock: the window stays responsive while models load and takes render, and the GUI process never
imports torch or MLX. One thread here sends the queued jobs to that process in order and waits
on its pipe (blocking I/O, no interpreter lock held).

The Qt side is ``workers.base.EventRelay``, the bridge ``JobRunner`` uses too: the thread only
*emits* one private relay signal, queued to this QObject in the GUI thread, which re-emits the
public signals there (platform-notes: PySide6 6.12 runs lambdas connected to worker-thread
signals in the worker thread). Widgets connect to the public signals only.

When the model process dies (killed for memory, a framework crash) the job fails with
``generate.process_died``; the next job starts a fresh process and loads the models again.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import logging
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal, Slot

from mixgrv_app.core.errors import MixgrvError
from mixgrv_app.core.history import History, Take, new_id
from mixgrv_app.core.child_jobs import ChildDied, ChildService
from mixgrv_app.core.jobs import Cancelled, CancelToken, EventSink
from mixgrv_app.workers.base import _CANCELLED, _EVENT, _FAILED, _SUCCEEDED, EventRelay, RunningJob, job_registry

log = logging.getLogger(__name__)

SERVICE = "mixgrv_app.core.generation_service:create"


@dataclass
class RenderSpec:
    """One render inside a job: the form values and the adapters wanted for it."""

    values: dict[str, Any]
    adapters: list[dict[str, Any]]   # [{name, path, scale, enabled}]
    ab_label: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"values": self.values, "adapters": self.adapters, "ab_label": self.ab_label}


@dataclass
class GenerationOutcome:
    takes: list[Take]
    group: str
    ab: bool = False
    adapter_problems: dict[str, str] = field(default_factory=dict)  # adapter path -> message
    backend: dict[str, Any] = field(default_factory=dict)  # what the takes ran on (core.backend.describe)


class GenerationWorker(EventRelay):
    """Queue model work to the model process; signals arrive in the GUI thread, in order.

    Public signals (GUI thread): ``progress(Progress)``, ``log(Log)``, ``artifact(Artifact)``,
    ``started(str kind)``, ``succeeded((kind, result))``, ``failed(exception)``, ``cancelled()``,
    then ``finished(kind)`` after each job.
    """

    started = Signal(str)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal(str)  # the kind of job that ended: generate / ab / adapters / warmup / settings

    def __init__(self, models_root: str | Path, history: History, parent: QObject | None = None,
                 backend: str = "auto") -> None:
        super().__init__(parent)
        self.history = history
        self.service = ChildService(SERVICE, {"models_root": str(models_root), "results_root": str(history.root),
                                              "backend": backend})
        self.load_count = 0  # base-model loads in the current model process, as it last reported (tests: LoRA switches never reload)
        self._queue: "queue.Queue[tuple[int, str, Callable[[EventSink, CancelToken], Any], CancelToken] | None]" = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="mixgrv-generation", daemon=True)
        self._job_id = 0
        self._current: CancelToken | None = None
        self.last_failed_kind = ""
        self._pending: dict[int, str] = {}  # job id -> kind, until its outcome was delivered
        # listed in the job registry (the quit guard) while a take is queued or rendering;
        # "stop and save" cancels it: finished takes are already in the history
        self.running_entry = RunningJob("generation", self.cancel)
        self._thread.start()

    # -- GUI thread: submit / cancel ---------------------------------------------------------
    def set_models_root(self, models_root: str | Path) -> None:
        self.service.init["models_root"] = str(models_root)  # a restarted process starts there too

        def job(events: EventSink, cancel: CancelToken) -> None:
            self.service.call("set_models_root", {"models_root": str(models_root)}, events, cancel)
        self._submit("settings", job)

    def set_backend(self, backend: str) -> None:
        """auto / mlx / torch for the next take (the models reload on it when it differs)."""
        self.service.init["backend"] = backend

        def job(events: EventSink, cancel: CancelToken) -> None:
            self.service.call("set_backend", {"backend": backend}, events, cancel)
        self._submit("settings", job)

    def generate(self, specs: list[RenderSpec], ab: bool = False) -> int:
        """Render ``specs`` one after the other in the model process; one ``succeeded`` for all."""
        group = new_id()

        def job(events: EventSink, cancel: CancelToken) -> GenerationOutcome:
            done = self.service.call("render_set", {"specs": [s.to_json() for s in specs], "group": group}, events, cancel)
            self.load_count = int(done["load_count"])
            takes = [Take.from_json(t) for t in done["takes"]]
            # recorded here, not in the GUI thread: rewriting the index (fsync) takes a while
            self.history.add(takes)
            return GenerationOutcome(takes, group, ab, dict(done["adapter_problems"]), dict(done.get("backend") or {}))

        return self._submit("ab" if ab else "generate", job)

    def warm_up(self) -> int:
        """Start the model process and import the framework there ahead of the first take."""
        def job(events: EventSink, cancel: CancelToken) -> None:
            self.service.call("warm_up", {}, events, cancel)
        return self._submit("warmup", job)

    def sync_adapters(self, adapters: list[dict[str, Any]]) -> int:
        """Apply the LoRA panel's wanted state now (when models are loaded; else at the next take)."""
        def job(events: EventSink, cancel: CancelToken) -> dict[str, str]:
            return dict(self.service.call("sync_adapters", {"adapters": adapters}, events, cancel)["problems"])
        return self._submit("adapters", job)

    def lm_write(self, args: dict[str, Any]) -> int:
        """Issue 15: the LM writes caption, lyrics and metas (simple mode / format) in the model
        process; ``succeeded(("lm", {"values", "metadata", ...}))``."""
        def job(events: EventSink, cancel: CancelToken) -> dict[str, Any]:
            return dict(self.service.call("lm_write", dict(args), events, cancel))
        return self._submit("lm", job)

    def cancel(self) -> None:
        token = self._current
        if token is not None:
            token.cancel()

    def is_busy(self) -> bool:
        return bool(self._pending)

    def is_generating(self) -> bool:
        """A generation or A/B job is queued or running (adapter syncs and warm-up do not count)."""
        return any(kind in ("generate", "ab", "lm") for kind in self._pending.values())

    def shutdown(self, timeout_s: float = 5.0, grace_s: float = 1.0) -> bool:
        """Cancel what runs, stop the thread and the model process (the models are released).

        The model process holds nothing to save: a take is written whole or not at all, and the
        history is written here. So a process that has not ended its call ``grace_s`` after the
        cancel (loading a model has no cancel points) is ended rather than waited for; the call
        then returns at once and the thread stops."""
        self.cancel()
        job_registry().remove(self.running_entry)
        self._queue.put(None)
        self._thread.join(grace_s)
        self.service.close(grace_s)
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _submit(self, kind: str, job: Callable[[EventSink, CancelToken], Any]) -> int:
        self._job_id += 1
        token = CancelToken()
        self._pending[self._job_id] = kind
        if kind in ("generate", "ab", "lm"):
            job_registry().add(self.running_entry)
        self._queue.put((self._job_id, kind, job, token))
        return self._job_id

    # -- worker thread --------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                break
            job_id, kind, job, token = item
            self._current = token
            self._emit(job_id, "started", kind)

            def events(event: Any, _id: int = job_id) -> None:
                self._emit(_id, _EVENT, event)

            try:
                token.raise_if_cancelled()
                result = job(events, token)
            except Cancelled:
                self._emit(job_id, _CANCELLED, None)
            except ChildDied as died:
                log.error("the model process died (%s); stderr tail:\n%s", died.how, died.stderr_tail)
                self._emit(job_id, _FAILED, MixgrvError(
                    "generate.process_died", f"The model process stopped unexpectedly ({died.how}). "
                    "Generate again to reload the models; if it happens again, choose a shorter duration "
                    "or a smaller batch.", how=died.how))
            except BaseException as exc:  # noqa: BLE001 - the GUI must hear about every failure
                log.error("generation job failed", exc_info=exc)
                self._emit(job_id, _FAILED, exc)
            else:
                self._emit(job_id, _SUCCEEDED, (kind, result))
            finally:
                self._current = None

    # -- GUI thread: delivery ----------------------------------------------------------------------
    @Slot(object, object, object)
    def _deliver(self, job_id: object, kind: object, payload: object) -> None:
        if kind == "started":
            self.started.emit(payload)
            return
        if kind == _EVENT:
            self._relay_event(payload)
            return
        job_kind = self._pending.pop(job_id, "")  # type: ignore[arg-type]
        if not self.is_generating():
            job_registry().remove(self.running_entry)
        if kind == _SUCCEEDED:
            self.succeeded.emit(payload)
        elif kind == _FAILED:
            self.last_failed_kind = job_kind
            self.failed.emit(payload)
        else:
            self.cancelled.emit()
        self.finished.emit(job_kind)
