"""Bridge for the dataset import job: binds a request to ``core.dataset_import.run_import``.

The returned callable has the JobRunner shape ``job(events, cancel)``; the runner takes care of
the thread and of delivering events in the GUI thread.
"""

from __future__ import annotations

from typing import Callable

from mixgrv_app.core.jobs import CancelToken, EventSink


def import_job(dataset: str, paths: list[str]) -> Callable[[EventSink, CancelToken], object]:
    def job(events: EventSink, cancel: CancelToken) -> object:
        from mixgrv_app.core.dataset_import import ImportRequest, run_import

        return run_import(ImportRequest(dataset=dataset, paths=list(paths)), events, cancel)

    return job
