"""LoRA training end to end on the parity checkpoints: learns, resumes exactly, survives kill -9,
and writes adapters that PEFT and our generator read."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest
import torch

from mixgrv_app.core import checkpoints
from mixgrv_app.core.errors import TrainingError
from mixgrv_app.core.jobs import CancelToken
from mixgrv_app.core.training import (ADAPTER, TrainingConfig, flow_matching_loss, list_runs, read_metrics, run_dir,
                                      run_in_child, train)
from tests.support.training_data import prepared_dataset

torch.set_num_threads(1)


@pytest.fixture()
def dataset(tmp_path, parity_checkpoints):
    return prepared_dataset(tmp_path, parity_checkpoints)


def _config(dataset, models, **kw):
    base = dict(dataset=dataset, models_dir=str(models), epochs=3, rank=4, alpha=8, dropout=0.0, learning_rate=1e-3,
                save_every=1, warmup_steps=1, device="cpu", seed=3)
    base.update(kw)
    return TrainingConfig(**base)


def test_training_lowers_the_loss_on_a_fixed_batch(dataset, parity_checkpoints):
    from peft import PeftModel
    from mixgrv_app.core.training import collate, load_dataset_tensors

    batch = collate(load_dataset_tensors(dataset))
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(batch["x0"].shape, generator=g)
    t = torch.tensor([0.7, 0.4])

    def fixed_loss(decoder):
        with torch.no_grad():
            return flow_matching_loss(decoder, batch["x0"], noise, t, batch["encoder_hidden_states"],
                                      batch["context_latents"]).item()

    base = checkpoints.load_dit_model(parity_checkpoints / "acestep-v15-turbo")
    before = fixed_loss(base.decoder)
    result = train(_config(dataset, parity_checkpoints, name="learn", epochs=25, save_every=25, timesteps="turbo8"))
    assert result.status == "done" and (run_dir("learn") / "final" / ADAPTER / "adapter_model.safetensors").is_file()
    fresh = checkpoints.load_dit_model(parity_checkpoints / "acestep-v15-turbo")
    tuned = PeftModel.from_pretrained(fresh.decoder, result.final_adapter)  # upstream's loader path
    after = fixed_loss(fresh.decoder)
    assert after < before * 0.9, (before, after)
    keys = json.loads((run_dir("learn") / "final" / ADAPTER / "adapter_config.json").read_text())
    assert keys["peft_type"] == "LORA" and keys["r"] == 4
    assert tuned is not None

    # the adapter changes what our generator makes, with the same request and seed
    from mixgrv_app.core.pipeline import Generator
    from mixgrv_app.core.requests import AdapterSpec, GenerationRequest

    gen = Generator(parity_checkpoints, backend="torch", device="cpu")
    plain = gen.generate(GenerationRequest(caption="test tone", duration=10, seed=5, adapters=[]))
    styled = gen.generate(GenerationRequest(caption="test tone", duration=10, seed=5,
                                            adapters=[AdapterSpec(result.final_adapter, 1.0)]))
    assert plain.audio[0].shape == styled.audio[0].shape
    assert float(abs(plain.audio[0] - styled.audio[0]).max()) > 1e-3


def test_stop_then_resume_equals_uninterrupted(dataset, parity_checkpoints):
    full = train(_config(dataset, parity_checkpoints, name="straight", dropout=0.1))
    stopped = train(_config(dataset, parity_checkpoints, name="paused", dropout=0.1), stop_after_steps=3)
    assert stopped.status == "stopped" and stopped.global_step == 3
    assert any(r["name"] == "paused" and r["resumable"] for r in list_runs())
    resumed = train(TrainingConfig(), resume="paused")
    assert resumed.status == "done"
    straight = [r["loss"] for r in read_metrics(run_dir("straight"))]
    paused = [r["loss"] for r in read_metrics(run_dir("paused"))]
    assert len(straight) == len(paused) == full.global_step
    assert straight == paused  # identical on CPU, not merely close


def test_child_process_stop_and_kill(dataset, parity_checkpoints):
    import psutil

    events = []
    cancel = CancelToken()
    config = _config(dataset, parity_checkpoints, name="killed", epochs=400, save_every=1)
    outcome = {}

    def run():
        try:
            outcome["result"] = run_in_child(config, events.append, cancel)
        except TrainingError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(list((run_dir("killed") / "checkpoints").glob("epoch_*"))) < 2:
        time.sleep(0.2)
    children = psutil.Process().children(recursive=True)
    assert children, "training child not found"
    for child in children:
        if "mixgrv_app.core.training:child_entry" in " ".join(child.cmdline()):
            os.kill(child.pid, signal.SIGKILL)
    thread.join(60)
    err = outcome.get("error")
    assert err is not None and err.code == "training.crashed", outcome
    assert "Resume from checkpoint" in err.message
    runs = {r["name"]: r for r in list_runs()}
    assert runs["killed"]["crashed"] and runs["killed"]["resumable"]
    for ckpt in (run_dir("killed") / "checkpoints").iterdir():  # every saved checkpoint is whole
        if ckpt.name.endswith(".part"):  # an interrupted write: never picked up as a checkpoint
            continue
        assert (ckpt / "training_state.json").is_file() and (ckpt / ADAPTER / "adapter_model.safetensors").is_file()
    resumed = train(TrainingConfig(epochs=runs["killed"]["step"] // 2 + 2), resume="killed")
    assert resumed.status == "done"

    # graceful stop through the child runner saves a checkpoint and reports "stopped"
    cancel2 = CancelToken()
    config2 = _config(dataset, parity_checkpoints, name="graceful", epochs=400, save_every=1000)
    timer = threading.Timer(8.0, cancel2.cancel)
    timer.start()
    result = run_in_child(config2, events.append, cancel2)
    assert result.status == "stopped" and result.last_checkpoint
