"""Training faults: kill -9 of the training child mid-epoch, NaN steps, persistent NaN.

What must hold: the caller hears "stopped unexpectedly at step N; resume from checkpoint K";
every checkpoint on disk loads (adapter through PEFT, optimizer/RNG state through our
restore); metrics.csv has one row per step after resuming; a non-finite step is skipped and
counted; persistent non-finite values stop the run with the cause and keep the last good
checkpoint. Tiny tensors on the parity DiT keep each step at a few milliseconds.
"""

from __future__ import annotations

import math
import os
import signal
import threading

import pytest
import torch

from mixgrv_app.core import checkpoints, training
from mixgrv_app.core.torch_model import loading
from mixgrv_app.core.errors import TrainingError
from mixgrv_app.core.jobs import CancelToken, Log, Metric
from mixgrv_app.core.training import (TrainingConfig, list_runs, prepare_decoder, read_metrics, run_dir, run_in_child,
                                      train)
from mixgrv_app.core.training_state import checkpoint_dirs, restore_checkpoint
from tests.support.training_data import write_tensor_dataset

torch.set_num_threads(1)


@pytest.fixture()
def hidden(parity_checkpoints) -> int:
    return checkpoints.read_config(parity_checkpoints / "acestep-v15-turbo")["hidden_size"]


def _config(models, dataset, **kw):
    base = dict(dataset=dataset, models_dir=str(models), rank=4, alpha=8, dropout=0.1, learning_rate=1e-3,
                save_every=1, warmup_steps=2, device="cpu", seed=11)
    base.update(kw)
    return TrainingConfig(**base)


def _assert_loadable(folder, models):
    """The adapter loads with PEFT and the whole state restores into fresh engine objects."""
    from peft import PeftModel

    fresh = loading.load_dit_model(models / "acestep-v15-turbo")
    PeftModel.from_pretrained(fresh.decoder, str(folder / "adapter"))
    fresh = loading.load_dit_model(models / "acestep-v15-turbo")
    model = prepare_decoder(fresh.decoder, TrainingConfig(rank=4, alpha=8))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad])
    state, rng = restore_checkpoint(folder, model, optimizer)
    assert state["global_step"] > 0 and "generator" in rng and "torch" in rng
    assert all(torch.isfinite(p).all() for p in model.parameters() if p.requires_grad)


def test_kill_9_mid_epoch_keeps_checkpoints_and_resumes(parity_checkpoints, hidden):
    import psutil

    dataset = write_tensor_dataset("kill-set", [24, 20], hidden, rows=12)
    config = _config(parity_checkpoints, dataset, name="killed", epochs=300)
    events, outcome = [], {}
    mid_epoch = threading.Event()

    def sink(event):
        events.append(event)
        # two batches per epoch: an odd step count means the child is inside an epoch
        if isinstance(event, Metric) and event.step >= 5 and event.step % 2 == 1:
            mid_epoch.set()

    def run():
        try:
            outcome["result"] = run_in_child(config, sink, CancelToken())
        except TrainingError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    assert mid_epoch.wait(120), "training child made no progress"
    killed = False
    for child in psutil.Process().children(recursive=True):
        if "mixgrv_app.core.training:child_entry" in " ".join(child.cmdline()):
            os.kill(child.pid, signal.SIGKILL)
            killed = True
    assert killed, "training child not found"
    thread.join(60)

    err = outcome.get("error")
    assert err is not None and err.code == "training.crashed", outcome
    assert "stopped unexpectedly at step" in err.message and "Resume from checkpoint" in err.message
    crash_logs = [e for e in events if isinstance(e, Log) and e.code == "training.crashed"]
    assert crash_logs and crash_logs[0].params["checkpoint"] == err.params["checkpoint"]
    runs = {r["name"]: r for r in list_runs()}
    assert runs["killed"]["crashed"] and runs["killed"]["resumable"]

    run = run_dir("killed")
    saved = checkpoint_dirs(run)
    assert saved and saved[-1].name == err.params["checkpoint"]
    assert not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".")], "leftovers not recovered"
    for folder in saved:
        _assert_loadable(folder, parity_checkpoints)

    resume_step = runs["killed"]["step"]
    resumed = train(TrainingConfig(epochs=resume_step // 2 + 3), resume="killed")
    assert resumed.status == "done" and resumed.global_step == (resume_step // 2 + 3) * 2
    steps = [int(r["step"]) for r in read_metrics(run)]
    assert steps == list(range(1, resumed.global_step + 1)), "metrics.csv lost or repeated rows"
    assert (run / "final" / "adapter" / "adapter_model.safetensors").is_file()


def test_a_nan_track_is_skipped_and_counted(parity_checkpoints, hidden):
    dataset = write_tensor_dataset("nan-set", [16, 16], hidden, rows=8, nan_track=1)
    events = []
    result = train(_config(parity_checkpoints, dataset, name="nan-skip", epochs=4, save_every=2), events.append)
    assert result.status == "done"
    assert result.skipped_steps == 4  # the poisoned track once per epoch
    rows = read_metrics(run_dir("nan-skip"))
    assert sum(1 for r in rows if math.isnan(r["loss"])) == 4
    assert len([e for e in events if isinstance(e, Log) and e.code == "training.nonfinite_step"]) == 4
    from safetensors.torch import load_file

    adapter = load_file(str(run_dir("nan-skip") / "final" / "adapter" / "adapter_model.safetensors"))
    assert all(torch.isfinite(v).all() for v in adapter.values())


def test_persistent_nan_stops_with_the_cause_and_keeps_the_last_good_checkpoint(parity_checkpoints, hidden, monkeypatch):
    dataset = write_tensor_dataset("nan-later", [16, 16], hidden, rows=8)
    real_loss = training.flow_matching_loss
    calls = {"n": 0}

    def loss_that_turns_nan(*args, **kwargs):
        calls["n"] += 1
        loss = real_loss(*args, **kwargs)
        return loss * float("nan") if calls["n"] > 6 else loss

    monkeypatch.setattr(training, "flow_matching_loss", loss_that_turns_nan)
    with pytest.raises(TrainingError) as info:
        train(_config(parity_checkpoints, dataset, name="nan-stop", epochs=40))
    assert info.value.code == "training.nonfinite"
    assert "float32" in info.value.message and "learning rate" in info.value.message
    run = {r["name"]: r for r in list_runs()}["nan-stop"]
    assert run["status"] == "failed" and run["resumable"] and run["step"] == 6
    _assert_loadable(checkpoint_dirs(run_dir("nan-stop"))[-1], parity_checkpoints)
