"""LoRA training end to end on the parity checkpoints: learns, resumes exactly, stops gracefully
through the child runner, renders samples, writes adapters that PEFT and our generator read,
and the `mixgrv train` CLI drives it with a progress bar. (kill -9 and NaN: tests/faults.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mixgrv_app.core import checkpoints
from mixgrv_app.core.torch_model import loading
from mixgrv_app.core.jobs import Artifact, CancelToken
from mixgrv_app.core.training import (ADAPTER, TrainingConfig, flow_matching_loss, list_checkpoints, list_runs,
                                      read_metrics, run_dir, run_in_child, train)
from tests.support.training_data import prepared_dataset, write_tensor_dataset

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[2]


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
    from safetensors.torch import load_file

    from mixgrv_app.core.training import collate, load_dataset_tensors

    batch = collate(load_dataset_tensors(dataset))
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(batch["x0"].shape, generator=g)
    t = torch.tensor([0.7, 0.4])

    def fixed_loss(decoder):
        with torch.no_grad():
            return flow_matching_loss(decoder, batch["x0"], noise, t, batch["encoder_hidden_states"],
                                      batch["context_latents"]).item()

    base = loading.load_dit_model(parity_checkpoints / "acestep-v15-turbo")
    before = fixed_loss(base.decoder)
    events = []
    result = train(_config(dataset, parity_checkpoints, name="learn", epochs=25, save_every=25, timesteps="turbo8",
                           render_samples=True), events.append)
    assert result.status == "done" and (run_dir("learn") / "final" / ADAPTER / "adapter_model.safetensors").is_file()
    fresh = loading.load_dit_model(parity_checkpoints / "acestep-v15-turbo")
    PeftModel.from_pretrained(fresh.decoder, result.final_adapter)  # upstream's loader path
    after = fixed_loss(fresh.decoder)
    print(f"fixed-batch loss {before:.4f} -> {after:.4f}")
    assert after < before * 0.9, (before, after)

    # upstream's adapter layout: config fields and 8 tensors per layer with upstream's key names
    folder = run_dir("learn") / "final" / ADAPTER
    cfg = json.loads((folder / "adapter_config.json").read_text())
    assert (cfg["peft_type"], cfg["task_type"], cfg["r"], cfg["lora_alpha"], cfg["bias"]) == \
        ("LORA", "FEATURE_EXTRACTION", 4, 8, "none")
    assert sorted(cfg["target_modules"]) == ["k_proj", "o_proj", "q_proj", "v_proj"]
    keys = set(load_file(str(folder / "adapter_model.safetensors")))
    layers = checkpoints.read_config(parity_checkpoints / "acestep-v15-turbo")["num_hidden_layers"]
    assert keys == {f"base_model.model.layers.{n}.{a}.{p}.lora_{ab}.weight" for n in range(layers)
                    for a in ("self_attn", "cross_attn") for p in ("q_proj", "k_proj", "v_proj", "o_proj")
                    for ab in "AB"}

    # the checkpoint carries a fixed-seed sample rendered with its adapter
    saved = list_checkpoints("learn")
    assert saved and saved[-1]["sample"], saved
    import soundfile as sf

    info = sf.info(saved[-1]["sample"])
    assert info.samplerate == 48000 and info.frames >= 10 * 48000
    assert any(isinstance(e, Artifact) and e.info.get("sample") for e in events)

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


def test_resume_is_exact_with_batches_padding_and_accumulation(parity_checkpoints):
    """Three clips of different lengths, batch 2 (zero-padded), accumulation 2, turbo8 timesteps,
    self-attention only; stopped twice mid-run, resumed twice: identical losses."""
    hidden = checkpoints.read_config(parity_checkpoints / "acestep-v15-turbo")["hidden_size"]
    dataset = write_tensor_dataset("padded", [30, 22, 17], hidden, rows=10)
    kw = dict(epochs=6, batch_size=2, grad_accum=2, timesteps="turbo8", targets="self", dropout=0.1)
    train(_config(dataset, parity_checkpoints, name="once", **kw))
    train(_config(dataset, parity_checkpoints, name="twice", **kw), stop_after_steps=2)
    train(TrainingConfig(), resume="twice", stop_after_steps=4)
    train(TrainingConfig(), resume="twice")
    once = read_metrics(run_dir("once"))
    twice = read_metrics(run_dir("twice"))
    assert [r["loss"] for r in once] == [r["loss"] for r in twice] and len(once) == 6
    assert [r["lr"] for r in once] == [r["lr"] for r in twice]
    from safetensors.torch import load_file

    keys = load_file(str(run_dir("once") / "final" / ADAPTER / "adapter_model.safetensors"))
    assert keys and all(".self_attn." in k for k in keys)
    a = load_file(str(run_dir("twice") / "final" / ADAPTER / "adapter_model.safetensors"))
    assert all(torch.equal(a[k], v) for k, v in keys.items())


def test_graceful_stop_through_the_child_runner(parity_checkpoints):
    hidden = checkpoints.read_config(parity_checkpoints / "acestep-v15-turbo")["hidden_size"]
    dataset = write_tensor_dataset("stop-set", [24, 20], hidden, rows=12)
    cancel = CancelToken()
    events = []

    def sink(event):
        events.append(event)
        if isinstance(event, Artifact) and event.kind == "checkpoint":
            cancel.cancel()  # Stop as soon as the first scheduled checkpoint is out

    result = run_in_child(_config(dataset, parity_checkpoints, name="graceful", epochs=400), sink, cancel)
    assert result.status == "stopped" and result.last_checkpoint
    assert Path(result.last_checkpoint, "training_state.json").is_file()
    run = {r["name"]: r for r in list_runs()}["graceful"]
    assert run["status"] == "stopped" and run["resumable"] and run["step"] == result.global_step


def test_cli_train_shows_progress_and_writes_the_adapter(parity_checkpoints, tmp_path):
    hidden = checkpoints.read_config(parity_checkpoints / "acestep-v15-turbo")["hidden_size"]
    dataset = write_tensor_dataset("cli-set", [24, 20], hidden, rows=12)
    out = subprocess.run(
        [sys.executable, "-m", "mixgrv_app", "train", dataset, "--models", str(parity_checkpoints), "--name", "cli-run",
         "--epochs", "3", "--rank", "4", "--alpha", "8", "--lr", "1e-3", "--save-every", "1", "--seed", "5",
         "--targets", "cross", "--timesteps", "turbo8", "--device", "cpu", "--grad-accum", "1", "--batch-size", "1"],
        cwd=REPO, env=dict(os.environ), capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "done:" in out.stdout
    for piece in ("epoch 3/3", "loss=", "ETA", "6/6"):
        assert piece in out.stderr, (piece, out.stderr[-1500:])
    from safetensors.torch import load_file

    keys = load_file(str(run_dir("cli-run") / "final" / ADAPTER / "adapter_model.safetensors"))
    assert keys and all(".cross_attn." in k for k in keys)
    config = json.loads((run_dir("cli-run") / "run.json").read_text())["config"]
    assert (config["rank"], config["alpha"], config["seed"], config["timesteps"]) == (4, 8, 5, "turbo8")
