"""Child processes for heavy jobs: the other half of the job protocol (core/jobs.py).

Heavy jobs (preprocessing, training, generation) run in a child Python process: an
out-of-memory kill, a Metal crash or a long C call holding the GIL cannot freeze or take down
the window. The protocol is JSON lines: events on stdout, "stop" on stdin, then one RESULT,
ERROR or CANCELLED line per job. Two shapes share it:

* ``run_in_child_process``: one job, one process (preprocessing, training);
* ``ChildService``: one long-lived process that keeps state between calls (the warm models of
  the Generation tab) and runs its handler's methods one after the other.
"""

from __future__ import annotations

import functools as _functools
import threading
import time
import json as _json
import os as _os
import subprocess as _subprocess
import sys as _sys
from dataclasses import asdict as _asdict
from typing import Any, Callable

from mixgrv_app.core.jobs import Artifact, CancelToken, Cancelled, Event, EventSink, Log, Metric, Progress, ignore_events

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


def child_command(*args: str) -> list[str]:
    """The command line that runs ``python -m mixgrv_app ARGS`` here or inside the .app bundle.

    Frozen (PyInstaller), ``sys.executable`` is the app binary itself and takes no ``-m``; its
    ``__main__`` dispatches the hidden ``--job-child`` / ``--job-service`` flags.
    """
    if getattr(_sys, "frozen", False):
        return [_sys.executable, *args]
    return [_sys.executable, "-m", "mixgrv_app", *args]


def _spawn(*args: str) -> "_subprocess.Popen[str]":
    env = dict(_os.environ, PYTHONUNBUFFERED="1")
    return _subprocess.Popen(child_command(*args), stdin=_subprocess.PIPE, stdout=_subprocess.PIPE,
                             stderr=_subprocess.PIPE, text=True, encoding="utf-8", env=env)


def _keep_stderr_tail(proc: "_subprocess.Popen[str]") -> list[str]:
    """Drain the child's stderr in a thread (a full pipe would block it); keep the last lines."""
    tail: list[str] = []

    def read() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            tail.append(line.rstrip())
            del tail[:-40]

    threading.Thread(target=read, daemon=True).start()
    return tail


def _read_outcome(stdout: Any, events: EventSink) -> tuple[str, Any] | None:
    """Relay event lines until the job's last line; None when the pipe closed first."""
    for line in stdout:
        line = line.rstrip("\n")
        if line.startswith("RESULT "):
            return "result", _json.loads(line[7:])
        if line.startswith("ERROR "):
            return "error", _json.loads(line[6:])
        if line == "CANCELLED":
            return "cancelled", None
        event = decode_event(line)
        if event is not None:
            events(event)
    return None


def _unpack(outcome: tuple[str, Any]) -> Any:
    from mixgrv_app.core.errors import MixgrvError

    kind, payload = outcome
    if kind == "cancelled":
        raise Cancelled()
    if kind == "error":
        raise MixgrvError(payload["code"], payload["message"], **payload.get("params", {}))
    return payload


def _outcome_line(run: Callable[[], Any]) -> str:
    """Run one job in the child; its last protocol line. Unexpected exceptions become an
    ``job.internal`` error with the traceback on stderr (the process stays usable)."""
    import traceback

    from mixgrv_app.core.errors import MixgrvError

    try:
        result = run()
    except Cancelled:
        return "CANCELLED"
    except MixgrvError as exc:
        error = {"code": exc.code, "message": exc.message, "params": {k: str(v) for k, v in exc.params.items()}}
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which shows it
        traceback.print_exc()
        error = {"code": "job.internal", "message": f"{type(exc).__name__}: {exc}",
                 "params": {"reason": f"{type(exc).__name__}: {exc}"}}
    else:
        return "RESULT " + _json.dumps(result, ensure_ascii=False)
    return "ERROR " + _json.dumps(error, ensure_ascii=False)


def run_in_child_process(target: str, request: dict[str, Any], events: EventSink = ignore_events,
                         cancel: CancelToken | None = None, on_start: Callable[[int], Any] | None = None) -> dict[str, Any]:
    """Run ``target`` ("package.module:function") in a child process and relay its events.

    Cancel sends "stop"; the child's function sees its CancelToken set and ends as it would
    in-process (a MixgrvError or Cancelled raised there is raised here again). Returns the
    function's result dict. Raises :class:`ChildDied` when the child vanishes without one.
    """
    cancel = cancel or CancelToken()
    proc = _spawn("--job-child", target)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    if on_start is not None:
        on_start(proc.pid)
    proc.stdin.write(_json.dumps(request) + "\n")
    proc.stdin.flush()
    stderr_tail = _keep_stderr_tail(proc)

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

    threading.Thread(target=watch_cancel, daemon=True).start()
    outcome = _read_outcome(proc.stdout, events)
    code = proc.wait()
    if outcome is None:
        raise ChildDied(code, "\n".join(stderr_tail[-8:]))
    return _unpack(outcome)


def _protocol_stdout() -> Any:
    """The real stdout for protocol lines; stray prints go to stderr instead."""
    out = _sys.stdout
    _sys.stdout = _sys.stderr
    return out


def _resolve(target: str) -> Any:
    import importlib

    module_name, name = target.split(":")
    return getattr(importlib.import_module(module_name), name)


def child_main(target: str) -> int:
    """The one-job child: request on stdin, events as JSON lines on stdout."""
    out = _protocol_stdout()
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
    func = _resolve(target)
    line = _outcome_line(lambda: func(request, emit, cancel))
    with lock:
        out.write(line + "\n")
        out.flush()
    return 0


class ChildService:
    """A long-lived child process that keeps state (warm models) between calls.

    ``factory`` ("package.module:callable") is called once in the child with ``init`` and
    returns a handler; ``call(method, args, events, cancel)`` runs ``handler.method(args,
    events, cancel) -> JSON-able`` there and relays its events here. Calls run one at a time in
    the order made (a lock serialises callers). When the child dies — killed for memory, a
    crash in a framework — the call raises :class:`ChildDied` and the next call starts a fresh
    child (the handler's state, e.g. loaded models, is rebuilt). ``close`` ends the child.
    """

    def __init__(self, factory: str, init: dict[str, Any] | None = None) -> None:
        self.factory, self.init = factory, dict(init or {})
        self._proc: "_subprocess.Popen[str] | None" = None
        self._stderr: list[str] = []
        self._lock = threading.Lock()
        self.starts = 0  # how many child processes were started (each starts cold)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def _ensure(self) -> "_subprocess.Popen[str]":
        if self._proc is None or self._proc.poll() is not None:
            self._proc = _spawn("--job-service", self.factory)
            self._stderr = _keep_stderr_tail(self._proc)
            self._proc.stdin.write(_json.dumps(self.init) + "\n")  # type: ignore[union-attr]
            self._proc.stdin.flush()  # type: ignore[union-attr]
            self.starts += 1
        return self._proc

    def _send(self, proc: "_subprocess.Popen[str]", line: str) -> None:
        try:
            proc.stdin.write(line + "\n")  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
        except (BrokenPipeError, ValueError, OSError):
            pass  # the child is gone; reading its stdout reports that

    def call(self, method: str, args: dict[str, Any] | None = None, events: EventSink = ignore_events,
             cancel: CancelToken | None = None) -> Any:
        cancel = cancel or CancelToken()
        with self._lock:
            proc = self._ensure()
            self._send(proc, "CALL " + _json.dumps({"method": method, "args": args or {}}, ensure_ascii=False))
            finished = threading.Event()

            def watch_cancel() -> None:
                while not finished.wait(0.05):
                    if cancel.cancelled:
                        self._send(proc, "stop")
                        return

            threading.Thread(target=watch_cancel, daemon=True).start()
            try:
                outcome = _read_outcome(proc.stdout, events)
            finally:
                finished.set()
            if outcome is None:
                code = proc.wait()
                self._proc = None
                raise ChildDied(code, "\n".join(self._stderr[-8:]))
        return _unpack(outcome)

    def close(self, timeout_s: float = 5.0) -> None:
        """Ask the child to exit (end of input), kill it if it does not within ``timeout_s``."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            proc.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass
        try:
            proc.wait(timeout_s)
        except _subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def service_main(factory: str) -> int:
    """The service child: init on the first stdin line, then CALL lines; "stop" cancels the
    running call. End of stdin (the parent closed it or died) ends the process."""
    import queue

    out = _protocol_stdout()
    init = _json.loads(_sys.stdin.readline() or "{}")
    calls: "queue.Queue[tuple[dict[str, Any], CancelToken] | None]" = queue.Queue()
    current: list[CancelToken] = [CancelToken()]
    lock = threading.Lock()

    def read_input() -> None:
        for line in _sys.stdin:
            line = line.strip()
            if line == "stop":
                current[0].cancel()  # the latest call: the parent only stops the one it waits for
            elif line.startswith("CALL "):
                token = CancelToken()
                current[0] = token
                calls.put((_json.loads(line[5:]), token))
        calls.put(None)

    def emit(event: Event) -> None:
        with lock:
            out.write(encode_event(event) + "\n")
            out.flush()

    threading.Thread(target=read_input, daemon=True).start()
    handler = _resolve(factory)(init)
    while (item := calls.get()) is not None:
        call, token = item
        method = getattr(handler, call["method"])
        line = _outcome_line(_functools.partial(method, call["args"], emit, token))
        with lock:
            out.write(line + "\n")
            out.flush()
    close = getattr(handler, "close", None)
    if callable(close):
        close()
    return 0


def main(argv: list[str]) -> int:
    """``--job-child module:function`` or ``--job-service module:factory`` (see child_command)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal reaches the parent, which sends "stop"
    flag, target = argv[0], argv[1]
    return child_main(target) if flag == "--job-child" else service_main(target)


if __name__ == "__main__":
    _sys.exit(main(["--job-child", *_sys.argv[1:]]))
