"""A terminal progress bar that consumes core job events (stderr, one line, redrawn)."""

from __future__ import annotations

import sys
import time

from mixgrv_app.core.jobs import Artifact, Event, Log, Metric, Progress


def _fmt_eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class TerminalProgress:
    """Callable event sink: draws a bar for Progress, prints logs and artifacts on their own line."""

    def __init__(self, stream=None, width: int = 28, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.quiet = quiet
        self._last_draw = 0.0
        self._line_open = False
        self._last_metric: dict[str, float] = {}

    def _clear(self) -> None:
        if self._line_open:
            self.stream.write("\r\033[K")
            self._line_open = False

    def __call__(self, event: Event) -> None:
        if self.quiet:
            return
        if isinstance(event, Progress):
            now = time.monotonic()
            finished = event.total and event.done >= event.total
            if not finished and now - self._last_draw < 0.1:
                return
            self._last_draw = now
            frac = min(1.0, event.done / event.total) if event.total else 0.0
            filled = int(frac * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            extra = " ".join(f"{k}={v:.4g}" for k, v in self._last_metric.items())
            line = f"{event.stage:<10} [{bar}] {event.done:g}/{event.total:g} ETA {_fmt_eta(event.eta_s)} {event.message} {extra}"
            self.stream.write("\r\033[K" + line[:160])
            self.stream.flush()
            self._line_open = True
        elif isinstance(event, Metric):
            self._last_metric = {k: v for k, v in event.values.items() if k in ("epoch", "loss", "lr")}
        elif isinstance(event, Log):
            if event.level == "debug":
                return
            self._clear()
            self.stream.write(f"[{event.level}] {event.message}\n")
        elif isinstance(event, Artifact):
            self._clear()
            self.stream.write(f"wrote {event.kind}: {event.path}\n")

    def close(self) -> None:
        if self._line_open:
            self.stream.write("\n")
            self._line_open = False
