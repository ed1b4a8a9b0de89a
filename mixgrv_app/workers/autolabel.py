"""Bridge for auto-label (``core.autolabel``): the job runs in a child process (VAE, tokenizer
and LM never load in the window's process); the runner is registered with the quit guard as
kind "autolabel" (quit cancels it: every finished song is already saved)."""

from __future__ import annotations

from typing import Any, Callable

from mixgrv_app.core.jobs import CancelToken, EventSink


def autolabel_job(dataset: str, models_root: str, *, only_unlabeled: bool = True, overwrite: bool = False,
                  lm: str = "0.6B", max_tokens: int | None = None) -> Callable[[EventSink, CancelToken], Any]:
    def job(events: EventSink, cancel: CancelToken) -> Any:
        from dataclasses import asdict

        from mixgrv_app.core.autolabel import AutoLabelRequest, result_from_dict
        from mixgrv_app.core.child_jobs import run_in_child_process

        request = AutoLabelRequest(dataset, str(models_root), only_unlabeled=only_unlabeled, overwrite=overwrite,
                                   lm=lm, max_tokens=max_tokens)
        return result_from_dict(run_in_child_process("mixgrv_app.core.autolabel:child_entry", asdict(request), events, cancel))

    return job
