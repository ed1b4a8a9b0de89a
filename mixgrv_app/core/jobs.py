"""The job protocol shared by the CLI, the Qt workers and the tests.

A long job is a plain function ``run(request, events, cancel) -> result``:

* ``events`` is a callable that receives the typed events below (progress with stage, done,
  total and ETA; log lines; metrics such as step/loss; artifacts such as a written file);
* ``cancel`` is a :class:`CancelToken`; the job calls ``cancel.raise_if_cancelled()`` between
  units of work and leaves no half-written file behind when it raises :class:`Cancelled`.

Workers forward events as Qt signals, the CLI draws a progress bar, tests collect them in a
list. Nothing here imports Qt or torch.
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

    def advance(self, n: float = 1.0, message: str = "") -> None:
        self.update(self.done + n, message)


# ---------------------------------------------------------------------------------- child processes
#
# Heavy jobs (preprocessing, training) run in a child Python process: an out-of-memory kill,
# a Metal crash or a long C call holding the GIL cannot freeze or take down the window. The
# child runs ``module:function(request_dict, events, cancel) -> dict`` (see child_main); the
# protocol is JSON lines — events on stdout, "stop" on stdin, then one RESULT or ERROR line.

import json as _json
import os as _os
import subprocess as _subprocess
import sys as _sys
from dataclasses import asdict as _asdict

_EVENT_TYPES = {"Progress": Progress, "Log": Log, "Metric": Metric, "Artifact": Artifact}


def encode_event(event: Event) -> str:
    return _json.dumps({"type": type(event).__name__, "data": _asdict(event)}, ensure_ascii=False)


def decode_event(line: str) -> Event | None:
    try:
        payload = _json.loads(line)
        return _EVENT_TYPES[payload["type"]](**payload["data"])
    except (ValueError, KeyError, TypeError):
        return None


class ChildDied(Exception):
    """The child process ended without a result (killed, crashed). ``returncode`` says how."""

    def __init__(self, returncode: int, stderr_tail: str) -> None:
        how = f"signal {-returncode}" if returncode < 0 else f"exit code {returncode}"
        super().__init__(f"the job process ended unexpectedly ({how})")
        self.returncode = returncode
        self.how = how
        self.stderr_tail = stderr_tail


def run_in_child_process(target: str, request: dict[str, Any], events: EventSink = ignore_events,
                         cancel: CancelToken | None = None, on_start: Callable[[int], Any] | None = None) -> dict[str, Any]:
    """Run ``target`` ("package.module:function") in a child process and relay its events.

    Cancel sends "stop"; the child's function sees its CancelToken set and ends as it would
    in-process (a MixgrvError or Cancelled raised there is raised here again). Returns the
    function's result dict. Raises :class:`ChildDied` when the child vanishes without one.
    """
    from mixgrv_app.core.errors import MixgrvError

    cancel = cancel or CancelToken()
    env = dict(_os.environ, PYTHONUNBUFFERED="1")
    proc = _subprocess.Popen([_sys.executable, "-m", "mixgrv_app.core.jobs", target], stdin=_subprocess.PIPE,
                             stdout=_subprocess.PIPE, stderr=_subprocess.PIPE, text=True, encoding="utf-8", env=env)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    if on_start is not None:
        on_start(proc.pid)
    proc.stdin.write(_json.dumps(request) + "\n")
    proc.stdin.flush()
    stderr_tail: list[str] = []

    def read_stderr() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            stderr_tail.append(line.rstrip())
            del stderr_tail[:-40]

    def watch_cancel() -> None:
        while proc.poll() is None:
            if cancel.cancelled:
                try:
                    proc.stdin.write("stop\n")  # type: ignore[union-attr]
                    proc.stdin.flush()  # type: ignore[union-attr]
                except (BrokenPipeError, ValueError, OSError):
                    pass
                return
            time.sleep(0.05)

    threading.Thread(target=read_stderr, daemon=True).start()
    threading.Thread(target=watch_cancel, daemon=True).start()
    outcome: tuple[str, Any] | None = None
    for line in proc.stdout:
        line = line.rstrip("\n")
        if line.startswith("RESULT "):
            outcome = ("result", _json.loads(line[7:]))
        elif line.startswith("ERROR "):
            outcome = ("error", _json.loads(line[6:]))
        elif line == "CANCELLED":
            outcome = ("cancelled", None)
        else:
            event = decode_event(line)
            if event is not None:
                events(event)
    code = proc.wait()
    if outcome is None:
        raise ChildDied(code, "\n".join(stderr_tail[-8:]))
    kind, payload = outcome
    if kind == "cancelled":
        raise Cancelled()
    if kind == "error":
        raise MixgrvError(payload["code"], payload["message"], **payload.get("params", {}))
    return payload


def child_main(target: str) -> int:
    """The child's side: request on stdin, events as JSON lines on stdout."""
    import importlib

    from mixgrv_app.core.errors import MixgrvError

    out = _sys.stdout
    _sys.stdout = _sys.stderr  # stray prints must not corrupt the event stream
    request = _json.loads(_sys.stdin.readline())
    cancel = CancelToken()
    lock = threading.Lock()

    def read_stop() -> None:
        for line in _sys.stdin:
            if line.strip() == "stop":
                cancel.cancel()
                return

    def emit(event: Event) -> None:
        with lock:
            out.write(encode_event(event) + "\n")
            out.flush()

    threading.Thread(target=read_stop, daemon=True).start()
    module_name, func_name = target.split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    try:
        result = func(request, emit, cancel)
    except Cancelled:
        line = "CANCELLED"
    except MixgrvError as exc:
        line = "ERROR " + _json.dumps({"code": exc.code, "message": exc.message,
                                       "params": {k: str(v) for k, v in exc.params.items()}}, ensure_ascii=False)
    else:
        line = "RESULT " + _json.dumps(result, ensure_ascii=False)
    with lock:
        out.write(line + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    import signal as _signal

    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)  # Ctrl+C in a terminal reaches the parent, which sends "stop"
    _sys.exit(child_main(_sys.argv[1]))
