"""Training engine pieces: schedule, settings, memory guard, crash recovery of the run folder,
and the engine's decoder set-up leaving the maths unchanged."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch

from mixgrv_app.core import checkpoints
from mixgrv_app.core.torch_model import loading
from mixgrv_app.core.errors import TrainingError
from mixgrv_app.core.training import (TrainingConfig, estimate_run_memory, flow_matching_loss, inject_lora,
                                      learning_rate, lora_parameter_count, lora_parameters, prepare_decoder,
                                      resolve_base_dtype, train)
from mixgrv_app.core.training_state import MetricsLog, checkpoint_dirs, read_metrics, recover, run_dir
from tests.support.training_data import write_tensor_dataset

torch.set_num_threads(1)


@pytest.mark.parametrize("total,warmup", [(50, 100), (200, 7), (3, 100)])
def test_learning_rate_equals_upstreams_schedulers(total, warmup):
    """LinearLR(0.1 → 1) then CosineAnnealingWarmRestarts(T_0 = rest, eta_min = 0.01·lr)."""
    config = TrainingConfig(learning_rate=3e-4, warmup_steps=warmup)
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([param], lr=config.learning_rate)
    steps = min(warmup, max(1, total // 10))
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [
        torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=steps),
        torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=max(1, total - steps),
                                                             eta_min=0.01 * config.learning_rate)],
        milestones=[steps])
    for step in range(total):
        assert learning_rate(step, total, config) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9, abs=1e-15), step
        opt.step()
        sched.step()


def test_settings_are_checked():
    with pytest.raises(TrainingError) as info:
        TrainingConfig(base_dtype="float16")
    assert info.value.code == "training.bad_setting" and "float16" in info.value.message
    for bad in (dict(targets="mlp"), dict(timesteps="uniform"), dict(rank=0), dict(learning_rate=0),
                dict(grad_accum=0), dict(dropout=1.0)):
        with pytest.raises(TrainingError):
            TrainingConfig(**bad)
    assert resolve_base_dtype(TrainingConfig(), "cpu") == "float32"
    assert resolve_base_dtype(TrainingConfig(), "mps") == "bfloat16"
    assert resolve_base_dtype(TrainingConfig(), "cuda") == "bfloat16"
    assert resolve_base_dtype(TrainingConfig(base_dtype="float32"), "mps") == "float32"


def test_lora_count_matches_upstream_at_full_size():
    from mixgrv_app.core.configs import DiTConfig

    full = DiTConfig()
    assert lora_parameter_count(full, TrainingConfig(rank=64)) == 44_040_192  # acestep15-facts §7.4
    assert lora_parameter_count(full, TrainingConfig(rank=8)) == 5_505_024


@pytest.mark.parametrize("targets,kinds", [("self", {"self_attn"}), ("cross", {"cross_attn"}),
                                           ("both", {"self_attn", "cross_attn"})])
def test_targets_select_the_attention_kind(parity_checkpoints, targets, kinds):
    model = loading.load_dit_model(parity_checkpoints / "acestep-v15-turbo")
    params = lora_parameters(inject_lora(model.decoder, TrainingConfig(rank=4, alpha=8, targets=targets)))
    assert {k.split(".")[4] for k in params} == kinds
    assert all(p.dtype == torch.float32 for p in params.values())
    assert lora_parameter_count(model.config, TrainingConfig(rank=4, targets=targets)) == \
        sum(p.numel() for p in params.values())


def test_engine_setup_keeps_loss_and_gradients(parity_checkpoints):
    """Checkpointing and the contiguous residual stream change speed and memory, not maths."""
    g = torch.Generator().manual_seed(0)
    x0, noise = torch.randn(2, 37, 64, generator=g), torch.randn(2, 37, 64, generator=g)
    ctx, cond, t = torch.randn(2, 37, 128, generator=g), torch.randn(2, 9, 48, generator=g), torch.tensor([0.3, 0.8])
    results = []
    for engine in (False, True):
        model = loading.load_dit_model(parity_checkpoints / "acestep-v15-turbo")
        config = TrainingConfig(rank=4, alpha=8, dropout=0.0)
        torch.manual_seed(1)
        peft = prepare_decoder(model.decoder, config) if engine else inject_lora(model.decoder, config)
        params = lora_parameters(peft)
        with torch.no_grad():
            for p in params.values():  # LoRA B starts at zero: give the gradients something to flow through
                p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
        if engine:
            assert model.decoder.gradient_checkpointing
        loss = flow_matching_loss(model.decoder, x0, noise, t, cond, ctx)
        loss.backward()
        results.append((loss.item(), {k: p.grad.clone() for k, p in params.items()}))
    (plain_loss, plain_grads), (engine_loss, engine_grads) = results
    assert engine_loss == pytest.approx(plain_loss, abs=1e-6)
    assert max((engine_grads[k] - v).abs().max().item() for k, v in plain_grads.items()) < 1e-6


def test_memory_guard_refuses_and_names_the_setting(parity_checkpoints, monkeypatch):
    import psutil

    hidden = checkpoints.read_config(parity_checkpoints / "acestep-v15-turbo")["hidden_size"]
    dataset = write_tensor_dataset("long-clips", [3000, 2800], hidden, rows=16)
    base = dict(dataset=dataset, models_dir=str(parity_checkpoints), device="cpu", name="too-big")
    one, eight = (estimate_run_memory(TrainingConfig(**base, batch_size=b)).need_gb for b in (1, 8))
    assert eight > one
    total = (one + eight) / 2 / 0.75 * 1e9  # batch 1 fits, batch 8 does not
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(total=total))
    with pytest.raises(TrainingError) as info:
        train(TrainingConfig(**base, batch_size=8))
    assert info.value.code == "training.too_big" and info.value.params["setting"] == "batch size"
    assert "batch size" in info.value.message
    assert not run_dir("too-big").exists()  # refused before loading anything or creating the run


def test_recover_finishes_or_discards_interrupted_writes(tmp_path):
    run = tmp_path / "run"
    ck = run / "checkpoints"

    def fake_checkpoint(folder, step):
        (folder / "adapter").mkdir(parents=True)
        (folder / "adapter" / "adapter_model.safetensors").write_bytes(b"x")
        (folder / "training_state.safetensors").write_bytes(b"x")
        (folder / "training_state.json").write_text(json.dumps({"global_step": step}))

    fake_checkpoint(ck / "epoch_00001", 2)
    fake_checkpoint(ck / ".epoch_00002.part", 4)        # written, not yet renamed: promote
    (ck / ".epoch_00003.part").mkdir()                   # half written: discard
    fake_checkpoint(ck / ".epoch_00001.old", 2)          # replaced and renamed: drop the old one
    fake_checkpoint(ck / ".epoch_00000.trash", 1)        # pruning interrupted: finish it
    assert [p.name for p in checkpoint_dirs(run)] == ["epoch_00001"]
    recover(run)
    assert sorted(p.name for p in ck.iterdir()) == ["epoch_00001", "epoch_00002"]
    assert [p.name for p in checkpoint_dirs(run)] == ["epoch_00001", "epoch_00002"]


def test_metrics_rewritten_exactly_on_resume(tmp_path):
    log = MetricsLog(tmp_path / "metrics.csv", None)
    rows = [{"step": s, "epoch": s / 3, "loss": 1 / (s + 7), "lr": 3e-4 * s / 7, "grad_norm": float("nan"),
             "seconds": s * 0.1, "memory_gb": 1.5} for s in range(1, 6)]
    for row in rows:
        log.write(row)
    log.close()
    MetricsLog(tmp_path / "metrics.csv", 3).close()
    kept = read_metrics(tmp_path)
    assert [r["step"] for r in kept] == [1, 2, 3]
    assert [r["loss"] for r in kept] == [r["loss"] for r in rows[:3]]
    assert [r["lr"] for r in kept] == [r["lr"] for r in rows[:3]]


def test_checkpoints_keep_the_last_k_plus_the_best_and_timed_ones(parity_checkpoints):
    from mixgrv_app.core.training import list_checkpoints

    hidden = checkpoints.read_config(parity_checkpoints / "acestep-v15-turbo")["hidden_size"]
    dataset = write_tensor_dataset("keep-set", [12, 10], hidden, rows=6)
    base = dict(dataset=dataset, models_dir=str(parity_checkpoints), rank=4, alpha=8, device="cpu", warmup_steps=1,
                learning_rate=1e-3)
    train(TrainingConfig(**base, name="keep", epochs=6, save_every=1, keep_last=2))
    saved = list_checkpoints("keep")
    labels = [c["label"] for c in saved]
    assert labels[-2:] == ["epoch_00005", "epoch_00006"] and len(labels) <= 3
    best = [c for c in saved if c["best"]]
    assert len(best) == 1 and best[0]["loss"] == min(c["loss"] for c in saved)

    train(TrainingConfig(**base, name="timed", epochs=2, save_every=2, save_every_minutes=1e-9, keep_last=10))
    labels = [c["label"] for c in list_checkpoints("timed")]
    assert "step_0000001" in labels and labels[-1] == "epoch_00002"
