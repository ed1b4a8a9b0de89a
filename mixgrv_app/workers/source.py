"""Bridge for the Generation tab's source audio: its length and waveform overview, read off the
GUI thread (a long file takes a moment to decode). The job runs in a ``workers.base.JobRunner``
thread; decoding and the peak scan are numpy/libsndfile work in ``core``.
"""

from __future__ import annotations

from typing import Any, Callable

from mixgrv_app.core.jobs import CancelToken, EventSink


def overview_job(path: str) -> Callable[[EventSink, CancelToken], Any]:
    """A job returning ``(path, seconds, peaks)`` for ``path``; a file that cannot be decoded
    fails with core's ``request.source_undecodable`` (and a too long one ``request.source_too_long``)."""

    def job(_events: EventSink, cancel: CancelToken) -> tuple[str, float, list[float]]:
        from mixgrv_app.core.audio import decode
        from mixgrv_app.core.errors import AudioError
        from mixgrv_app.core.history import peaks_of
        from mixgrv_app.core.requests import check_source_seconds, source_error

        try:
            decoded = decode(path)
        except (AudioError, OSError) as exc:
            raise source_error(path, exc) from exc
        cancel.raise_if_cancelled()
        seconds = float(decoded.info.duration)
        check_source_seconds(path, seconds)
        return path, seconds, peaks_of(decoded.data)

    return job
