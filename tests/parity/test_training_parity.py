"""Training parity with upstream's three objectives on the parity set (loss and LoRA grads).

j_model_forward_training_loss: the model's own forward objective, fed the case's recorded RNG
draws. j_training_loss_v1_discrete / v2_cfg_dropout: one step of upstream's two LoRA trainers
with the set's lora/adapter loaded into our PEFT-wrapped decoder; the LoRA gradients must match
key for key (adapter_model.safetensors naming).
"""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from mixgrv_app.core import checkpoints
from mixgrv_app.core.training import (TrainingConfig, drop_condition, flow_matching_loss, inject_lora,
                                      logit_normal_timesteps, lora_parameters)

torch.set_num_threads(1)


def _case(parity, name):
    cases = json.loads((parity / "cases.json").read_text())["cases"]
    tensors = dict(load_file(str(parity / "cases" / "shared_conditioning.safetensors")))
    tensors.update(load_file(str(parity / cases[name]["file"])))
    return cases[name], tensors


def _atol(case, key):
    tol = case["tolerance"].get(key) or case["tolerance"].get(key.split(".")[0]) or case["tolerance"].get("grad.*")
    return float(tol["suggested_atol"]) if isinstance(tol, dict) else 0.0


def _adapter_model(parity, parity_checkpoints):
    model = checkpoints.load_dit_model(parity_checkpoints / "acestep-v15-turbo")
    adapter_dir = parity / "lora" / "adapter"
    cfg = json.loads((adapter_dir / "adapter_config.json").read_text())
    peft_model = inject_lora(model.decoder, TrainingConfig(rank=cfg["r"], alpha=cfg["lora_alpha"], dropout=0.0))
    params = lora_parameters(peft_model)
    weights = load_file(str(adapter_dir / "adapter_model.safetensors"))
    assert set(weights) == set(params)
    with torch.no_grad():
        for key, value in weights.items():
            params[key].copy_(value.float())
    return model, params


def test_model_forward_objective(parity, parity_checkpoints):
    names = [n for n in json.loads((parity / "cases.json").read_text())["cases"] if n.startswith("j_model_forward")]
    assert names
    model = checkpoints.load_dit_model(parity_checkpoints / "acestep-v15-turbo")
    silence = checkpoints.load_silence_latent(parity_checkpoints / "acestep-v15-turbo")
    for name in names:
        case, t = _case(parity, name)
        with torch.no_grad():
            states, _mask, context = model.prepare_condition(
                t["in.text_hidden_states"], t["in.text_attention_mask"], t["in.lyric_hidden_states"],
                t["in.lyric_attention_mask"], t["in.refer_audio_acoustic_hidden_states_packed"],
                t["in.refer_audio_order_mask"], t["in.src_latents"], t["in.chunk_masks"], t["in.is_covers"], silence)
            keep = t["in.rng0_rand"] >= 0.15
            cond = drop_condition(states, model.null_condition_emb, keep)
            tt = logit_normal_timesteps(t["in.rng2_randn"], t["in.rng3_randn"])
            loss = flow_matching_loss(model.decoder, t["in.x0"], t["in.rng1_randn_like"], tt, cond, context)
        assert abs(loss.item() - t["out.loss"].item()) <= _atol(case, "loss")


@pytest.mark.parametrize("name", ["j_training_loss_v1_discrete", "j_training_loss_v2_cfg_dropout"])
def test_lora_training_step(parity, parity_checkpoints, name):
    cases = json.loads((parity / "cases.json").read_text())["cases"]
    if name not in cases:
        pytest.fail(f"{name} missing from the parity set")
    case, t = _case(parity, name)
    model, params = _adapter_model(parity, parity_checkpoints)
    cond = t["in.encoder_hidden_states"]
    if "in.cfg_keep_mask" in t:
        cond = drop_condition(cond, t["in.null_condition_emb"], t["in.cfg_keep_mask"] > 0.5)
    loss = flow_matching_loss(model.decoder, t["in.x0"], t["in.noise"], t["in.t"], cond, t["in.context_latents"])
    loss.backward()
    assert abs(loss.item() - t["out.loss"].item()) <= _atol(case, "loss")
    grads = {k[len("out.grad."):]: v for k, v in t.items() if k.startswith("out.grad.")}
    assert set(grads) == set(params), "LoRA parameter names differ from upstream's adapter keys"
    worst = max((params[k].grad - v).abs().max().item() for k, v in grads.items())
    assert worst <= _atol(case, "grad.*"), f"worst LoRA grad error {worst:.3g}"
