"""The job protocol shared by the CLI, the Qt workers and the tests.

A long job is a plain function ``run(request, events, cancel) -> result``:

* ``events`` is a callable that receives the typed events below (progress with stage, done,
  total and ETA; log lines; metrics such as step/loss; artifacts such as a written file);
* ``cancel`` is a :class:`CancelToken`; the job calls ``cancel.raise_if_cancelled()`` between
  units of work and leaves no half-written file behind when it raises :class:`Cancelled`.

Workers forward events as Qt signals, the CLI draws a progress bar, tests collect them in a
list. Jobs that need their own process (models, training) run through core/child_jobs.py with
these same events. Nothing here imports Qt or torch.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Union


@dataclass(frozen=True)
class Progress:
    stage: str                 # machine name of the stage: "decode", "diffusion", "track", ...
    done: float                # units finished in this stage
    total: float               # units in this stage (0 when unknown)
    eta_s: float | None = None # seconds left in this stage, when it can be estimated
    message: str = ""          # short English detail (a file name, "step 3/8")
    overall: float | None = None  # 0..1 over the whole job, when known


@dataclass(frozen=True)
class Log:
    level: str                 # "debug" | "info" | "warning" | "error"
    message: str
    code: str = ""             # message key for the UI (see core.errors), "" for plain lines
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    step: int
    values: dict[str, float]   # loss, lr, grad_norm, epoch, seconds, memory_gb, ...


@dataclass(frozen=True)
class Artifact:
    kind: str                  # "audio", "checkpoint", "adapter", "tensors", "sample", ...
    path: str
    info: dict[str, Any] = field(default_factory=dict)


Event = Union[Progress, Log, Metric, Artifact]
EventSink = Callable[[Event], None]


def ignore_events(_event: Event) -> None:
    """An event sink for callers that do not care."""


class Cancelled(Exception):
    """Raised inside a job when its CancelToken was cancelled."""


class CancelToken:
    """Thread-safe cancel flag checked by jobs between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


class ProgressTracker:
    """Emits Progress events for one stage and estimates the time left from the rate so far."""

    def __init__(self, events: EventSink, stage: str, total: float, *, weight: tuple[float, float] | None = None) -> None:
        self.events = events
        self.stage = stage
        self.total = float(total)
        self.done = 0.0
        self.started = time.monotonic()
        # (start, span) of this stage inside the whole job, for the overall fraction
        self.weight = weight

    def eta(self) -> float | None:
        if self.done <= 0 or self.total <= 0:
            return None
        elapsed = time.monotonic() - self.started
        return max(0.0, elapsed / self.done * (self.total - self.done))

    def update(self, done: float, message: str = "") -> None:
        self.done = float(done)
        overall = None
        if self.weight is not None and self.total > 0:
            start, span = self.weight
            overall = start + span * min(1.0, self.done / self.total)
        self.events(Progress(self.stage, self.done, self.total, self.eta(), message, overall))
