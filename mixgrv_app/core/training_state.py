"""A training run on disk: its folder, metrics, checkpoints and the state that makes resume exact.

``paths.runs_dir()/<name>/`` holds ``run.json`` (config, dataset, model, versions, status),
``metrics.csv`` (one flushed row per optimizer step), ``checkpoints/<label>/`` and
``final/adapter/``. A checkpoint is a PEFT adapter folder (upstream's keys) plus
``training_state.safetensors`` (AdamW moments and step counts, RNG states) and
``training_state.json`` (:class:`TrainingState`: step, epoch, position and data order of the
epoch, best loss, world size) — no pickle anywhere. In a distributed run rank 0 alone writes
here; the RNG states of the other ranks travel to it and are saved as ``rng.torch.rankN``.

Crash safety: a checkpoint is written into ``.<label>.part`` and renamed into place; the JSON
is written last, so a folder with it is complete. Replacing or pruning a checkpoint first
renames it to a dot-name (one atomic rename), so a kill never leaves a half-deleted folder
that still looks like a checkpoint. :func:`recover` finishes or discards whatever a kill
interrupted. Nothing here imports torch at module level.
"""

from __future__ import annotations

import csv
import os
import shutil
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from mixgrv_app import paths
from mixgrv_app.core.errors import TrainingError
from mixgrv_app.core.fileio import read_json, write_json

STATE_JSON, STATE_TENSORS, ADAPTER = "training_state.json", "training_state.safetensors", "adapter"
METRIC_FIELDS = ("step", "epoch", "loss", "lr", "grad_norm", "seconds", "memory_gb")


def run_dir(name: str) -> Path:
    return paths.runs_dir() / name


def adapter_title(adapter: str | Path) -> str:
    """A short name for a run's adapter folder: "<run>" for its final adapter, "<run> · <checkpoint>"
    for a checkpoint's; any other folder by its own name."""
    folder = Path(adapter)
    if folder.name == ADAPTER:
        holder = folder.parent
        if holder.name == "final":
            return holder.parent.name
        if holder.parent.name == "checkpoints":
            return f"{holder.parent.parent.name} · {holder.name}"
    return folder.name
@dataclass
class TrainingState:
    """Where a run stands; saved as ``training_state.json`` in every checkpoint.

    ``batch_in_epoch`` counts global micro-batches (``batch_size × world_size`` tracks each) of
    ``epoch_order``; ``world_size`` is the number of processes that trained up to here (1 for
    checkpoints written before distributed training existed)."""

    global_step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    epoch_order: list[int] | None = None
    epoch_loss_sum: float = 0.0
    epoch_loss_count: int = 0
    last_epoch_loss: float | None = None
    best_loss: float | None = None
    best_label: str | None = None
    skipped_steps: int = 0
    world_size: int = 1

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainingState":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------------------------ checkpoints
def _is_checkpoint(folder: Path) -> bool:
    return folder.is_dir() and not folder.name.startswith(".") and (folder / STATE_JSON).is_file() \
        and (folder / STATE_TENSORS).is_file() and (folder / ADAPTER / "adapter_model.safetensors").is_file()


def _step_of(folder: Path) -> int:
    try:
        return int(read_json(folder / STATE_JSON).get("global_step", 0))
    except (OSError, ValueError):
        return -1


def checkpoint_dirs(run: Path) -> list[Path]:
    """Complete checkpoints of ``run``, oldest step first."""
    folder = run / "checkpoints"
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if _is_checkpoint(p)), key=_step_of)


def latest_checkpoint(run: Path) -> Path | None:
    dirs = checkpoint_dirs(run)
    return dirs[-1] if dirs else None


def list_checkpoints(name: str) -> list[dict[str, Any]]:
    """The checkpoints of run ``name`` for the Training tab: label, step, epoch, loss, adapter, sample."""
    run = run_dir(name)
    best = _best_label(run)
    out = []
    for folder in checkpoint_dirs(run):
        state = read_json(folder / STATE_JSON)
        sample = folder / "sample.flac"
        out.append({"label": folder.name, "path": str(folder), "adapter_dir": str(folder / ADAPTER),
                    "step": state.get("global_step", 0), "epoch": state.get("epoch", 0),
                    "loss": state.get("last_epoch_loss"), "best": folder.name == best,
                    "sample": str(sample) if sample.is_file() else ""})
    return out


def _best_label(run: Path) -> str | None:
    last = latest_checkpoint(run)
    return read_json(last / STATE_JSON).get("best_label") if last else None


def _discard(folder: Path) -> None:
    """Rename out of sight first (atomic), then delete: a kill mid-delete leaves only a dot-folder."""
    trash = folder.with_name(f".{folder.name}.trash")
    if trash.exists():
        shutil.rmtree(trash, ignore_errors=True)
    os.replace(folder, trash)
    shutil.rmtree(trash, ignore_errors=True)


def publish_folder(tmp: Path, final: Path) -> None:
    """Move the finished ``tmp`` folder to ``final``, replacing an older one without a gap that
    :func:`recover` cannot close."""
    old = final.with_name(f".{final.name}.old")
    if final.exists():
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
    os.replace(tmp, final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def recover(run: Path) -> None:
    """Finish what a kill interrupted: promote a complete new checkpoint whose rename did not
    happen, restore an old one that was moved aside, and delete every other leftover."""
    for parent in (run / "checkpoints", run / "final"):
        if not parent.is_dir():
            continue
        for leftover in sorted(p for p in parent.iterdir() if p.name.startswith(".")):
            name = leftover.name[1:].rsplit(".", 1)[0]
            target = parent / name
            whole = _is_checkpoint_named(leftover) if parent.name == "checkpoints" else \
                (leftover / "adapter_model.safetensors").is_file() and (leftover / "adapter_config.json").is_file()
            if leftover.name.endswith((".part", ".old")) and whole and not target.exists():
                os.replace(leftover, target)
            else:
                shutil.rmtree(leftover, ignore_errors=True)


def _is_checkpoint_named(folder: Path) -> bool:
    return (folder / STATE_JSON).is_file() and (folder / STATE_TENSORS).is_file() \
        and (folder / ADAPTER / "adapter_model.safetensors").is_file()


def prune(run: Path, keep_last: int, best_label: str | None) -> None:
    """Keep the newest ``keep_last`` checkpoints plus the best one."""
    dirs = checkpoint_dirs(run)
    keep = {d.name for d in dirs[-max(1, keep_last):]} | ({best_label} if best_label else set())
    for d in dirs:
        if d.name not in keep:
            _discard(d)


def save_checkpoint(run: Path, label: str, peft_model, optimizer, rng_states: dict[str, Any], state: TrainingState,
                    keep_last: int) -> Path:
    """Adapter + optimizer/RNG state into ``checkpoints/<label>/`` atomically; prune old ones."""
    import torch
    from safetensors.torch import save_file

    final = run / "checkpoints" / label
    tmp = final.with_name(f".{label}.part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    peft_model.save_pretrained(str(tmp / ADAPTER))
    tensors = {f"rng.{k}": v for k, v in rng_states.items()}
    names = {id(p): n for n, p in peft_model.named_parameters() if p.requires_grad}
    for group in optimizer.param_groups:
        for p in group["params"]:
            st = optimizer.state.get(p)
            if st:
                key = names[id(p)]
                tensors[f"adam.{key}.exp_avg"] = st["exp_avg"].contiguous()
                tensors[f"adam.{key}.exp_avg_sq"] = st["exp_avg_sq"].contiguous()
                tensors[f"adam.{key}.step"] = torch.as_tensor(st["step"], dtype=torch.float64).reshape(1)
    save_file({k: v.detach().cpu() for k, v in tensors.items()}, str(tmp / STATE_TENSORS))
    write_json(tmp / STATE_JSON, state.to_dict())  # last: its presence marks the folder complete
    publish_folder(tmp, final)
    prune(run, keep_last, state.best_label)
    return final


def restore_checkpoint(checkpoint: Path, peft_model, optimizer) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load the adapter and AdamW state into the live objects; returns (state JSON, RNG tensors).

    The JSON stays a plain dict here (``TrainingState.from_dict`` reads it) so that tools can
    inspect checkpoints of any version."""
    import torch
    from safetensors.torch import load_file

    adapter = load_file(str(checkpoint / ADAPTER / "adapter_model.safetensors"))
    params = {name.replace(".default.", "."): p for name, p in peft_model.named_parameters() if p.requires_grad}
    if set(adapter) != set(params):
        missing = sorted(set(params) ^ set(adapter))[0]
        raise TrainingError("training.bad_checkpoint", f"{checkpoint.name}: the adapter does not fit this run ({missing}).",
                            checkpoint=checkpoint.name)
    with torch.no_grad():
        for key, value in adapter.items():
            params[key].copy_(value)
    tensors = load_file(str(checkpoint / STATE_TENSORS))
    names = {id(p): n for n, p in peft_model.named_parameters() if p.requires_grad}
    for group in optimizer.param_groups:
        for p in group["params"]:
            key = names[id(p)]
            if f"adam.{key}.exp_avg" in tensors:
                optimizer.state[p] = {
                    "step": torch.tensor(float(tensors[f"adam.{key}.step"][0])),
                    "exp_avg": tensors[f"adam.{key}.exp_avg"].to(p.device),
                    "exp_avg_sq": tensors[f"adam.{key}.exp_avg_sq"].to(p.device),
                }
    rng = {k[len("rng."):]: v for k, v in tensors.items() if k.startswith("rng.")}
    return read_json(checkpoint / STATE_JSON), rng


# ------------------------------------------------------------------------------------ runs
def list_runs() -> list[dict[str, Any]]:
    """Every run with its state: done, stopped (resumable), crashed (resumable), failed or running."""
    root = paths.runs_dir()
    out = []
    for run in sorted(root.iterdir()) if root.is_dir() else []:
        info_path = run / "run.json"
        if not info_path.is_file():
            continue
        try:
            info = read_json(info_path)
        except (OSError, ValueError):
            continue
        last = latest_checkpoint(run)
        status = info.get("status", "unknown")
        if status == "running" and not pid_alive(info.get("pid")):
            status = "crashed"
        out.append({
            "name": run.name, "status": status, "dataset": info.get("config", {}).get("dataset", ""),
            "final_adapter": str(run / "final" / ADAPTER) if (run / "final" / ADAPTER).is_dir() else "",
            "last_checkpoint": str(last) if last else "",
            "resumable": bool(last) and status in ("stopped", "crashed", "failed"),
            "crashed": status == "crashed",
            "step": _step_of(last) if last else 0,
            "error": info.get("error", ""),
        })
    return out


def pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def set_status(run: Path, **changes: Any) -> None:
    info = read_json(run / "run.json")
    info.update(changes)
    write_json(run / "run.json", info)


# ------------------------------------------------------------------------------------ metrics
def read_metrics(run: Path) -> list[dict[str, float]]:
    path = run / "metrics.csv"
    if not path.is_file():
        return []
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            try:
                rows.append({k: float(v) for k, v in row.items() if k and v not in ("", None)})
            except ValueError:  # a line cut by a kill mid-write
                continue
    return rows


class MetricsLog:
    """metrics.csv, one row per optimizer step, flushed (a kill loses nothing written).

    On resume the rows after the checkpoint's step are dropped: the resumed run writes them
    again, identically.
    """

    def __init__(self, path: Path, resume_step: int | None) -> None:
        rows = []
        if resume_step is not None and path.is_file():
            rows = [r for r in read_metrics(path.parent) if r.get("step", 0) <= resume_step]
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=METRIC_FIELDS)
            writer.writeheader()
            for row in rows:
                writer.writerow(_row(row))
        os.replace(tmp, path)
        self._fh = open(path, "a", newline="", encoding="utf-8")
        self._writer = csv.DictWriter(self._fh, fieldnames=METRIC_FIELDS)

    def write(self, row: dict[str, float]) -> None:
        self._writer.writerow(_row(row))
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def _row(values: dict[str, float]) -> dict[str, str]:
    # repr round-trips a float exactly, so rows rewritten on resume equal the originals
    return {k: (str(int(values[k])) if k == "step" else repr(float(values[k]))) if k in values else ""
            for k in METRIC_FIELDS}
