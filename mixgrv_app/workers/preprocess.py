"""Bridge for the preprocessing job (``core.preprocess.run``) plus the cheap facts the
Training tab shows around it: which models are there, and which tracks are already prepared.

Nothing here imports torch: the job function imports it when the runner calls it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from mixgrv_app.core import models
from mixgrv_app.core.jobs import CancelToken, EventSink


def pick_variant(models_root: str | Path) -> str | None:
    """The DiT folder whose condition encoder preprocessing uses: turbo when installed."""
    return models.preferred_dit(models_root)


def describe_models(models_root: str | Path, variant: str | None = None) -> tuple[bool, str]:
    """(usable, short description) of the model folder, for the status line."""
    variant = variant or pick_variant(models_root)
    if variant is None or not models.essentials_ready(models_root):
        return False, ""
    return True, f"{variant} · {models.VAE_FOLDER} · {models.TEXT_ENCODER_FOLDER} ({models_root})"


def _request(dataset: str, models_root: str, max_seconds: float, variant: str | None = None) -> Any:
    """``variant``: the DiT chosen under "학습할 모델" (its condition encoder makes the tensors)."""
    from mixgrv_app.core.preprocess import PreprocessRequest

    return PreprocessRequest(dataset=dataset, models_dir=str(models_root),
                             variant=variant or pick_variant(models_root) or models.TURBO, max_seconds=float(max_seconds))


def track_states(dataset: str, models_root: str, max_seconds: float = 240.0, variant: str | None = None) -> dict[str, str]:
    """track id -> "done" (tensors up to date) or "pending". Cheap: hashes labels, stats files."""
    from mixgrv_app.core import preprocess
    from mixgrv_app.core.dataset import open_dataset
    from mixgrv_app.core.errors import MixgrvError

    try:
        ds = open_dataset(dataset)
        request = _request(dataset, models_root, max_seconds, variant)
        key_of_models = preprocess.models_key(request.models_dir, request.variant)
    except (MixgrvError, OSError):
        return {}
    out_dir = preprocess.tensors_dir(ds.name)
    dtype = preprocess._effective_dtype(request)
    states = {}
    for track in ds.tracks:
        inputs = preprocess.track_inputs(track, ds.meta, request.seed)
        key = preprocess.track_key(track, inputs, request, key_of_models, dtype)
        states[track.id] = "done" if preprocess._is_current(out_dir, track.id, key) else "pending"
    return states


def preprocess_job(dataset: str, models_root: str, max_seconds: float,
                   variant: str | None = None) -> Callable[[EventSink, CancelToken], Any]:
    """Preprocessing runs in a child process (torch import and model work never touch the GUI's GIL)."""

    def job(events: EventSink, cancel: CancelToken) -> Any:
        from dataclasses import asdict

        from mixgrv_app.core.child_jobs import run_in_child_process
        from mixgrv_app.core.preprocess import result_from_dict

        request = asdict(_request(dataset, models_root, max_seconds, variant))
        return result_from_dict(run_in_child_process("mixgrv_app.core.preprocess:child_entry", request, events, cancel))

    return job


def summarise(result: Any) -> dict[str, int]:
    return {"done": len(result.processed), "skipped": len(result.unchanged), "failed": len(result.failed)}


def prepared_variant(dataset: str) -> str | None:
    """The DiT the dataset's tensors were last prepared with (its manifest says), None if unprepared.
    The condition encoder (``encoder_hidden_states``) and the silence context come from that DiT's
    folder, so a run on another model needs the tensors prepared again."""
    from mixgrv_app.core.fileio import read_json
    from mixgrv_app.core.preprocess import MANIFEST, tensors_dir

    try:
        return read_json(tensors_dir(dataset) / MANIFEST).get("mixgrv", {}).get("variant") or None
    except (OSError, ValueError, AttributeError):
        return None
