"""Training parity with upstream's objectives on the parity set: loss and LoRA gradients.

Every ``j_*`` case in cases.json runs. ``j_model_forward_*``: the model's own forward objective
(prepare_condition, condition dropout, logit-normal t). ``j_training_loss_*``: one step of
upstream's LoRA trainers with the set's lora/adapter loaded into our PEFT-wrapped decoder; the
LoRA gradients must match key for key (adapter_model.safetensors naming).

The random draws are not taken from the case: our engine's ``draw_step_noise`` is seeded with
the case's ``global_torch_seed`` and must reproduce upstream's draws in upstream's call order
(``rng_call_order``) — checked against the recorded tensors, then used for the loss.
"""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from mixgrv_app.core.torch_model import loading
from mixgrv_app.core.training import (TrainingConfig, draw_step_noise, flow_matching_loss, inject_lora,
                                      logit_normal_timesteps, lora_parameters)
from tests.conftest import case_names

torch.set_num_threads(1)


def _cases(parity) -> dict:
    return json.loads((parity / "cases.json").read_text())["cases"]


def _case(parity, name):
    case = _cases(parity)[name]
    tensors = dict(load_file(str(parity / "cases" / "shared_conditioning.safetensors")))
    tensors.update(load_file(str(parity / case["file"])))
    return case, tensors


def _atol(case, key):
    return float(case["tolerance"][key]["suggested_atol"])


def _sampler(case) -> str:
    order = case["params"]["rng_call_order"]
    if order == ["randn_like", "randint"]:
        return "turbo8"
    assert order == ["rand", "randn_like", "randn", "randn"], f"unknown upstream draw order {order}"
    return "logit-normal"


def _seeded_draws(case, x0, null_emb, condition):
    """Our engine's draws for one step, from a generator seeded like upstream's global RNG."""
    config = TrainingConfig(timesteps=_sampler(case), cfg_dropout=case["params"].get("cfg_ratio", TrainingConfig.cfg_dropout))
    generator = torch.Generator().manual_seed(case["params"]["global_torch_seed"])
    return draw_step_noise(config, x0, null_emb, condition, generator)


def _adapter_model(parity, parity_checkpoints):
    model = loading.load_dit_model(parity_checkpoints / "acestep-v15-turbo")
    adapter_dir = parity / "lora" / "adapter"
    cfg = json.loads((adapter_dir / "adapter_config.json").read_text())
    peft_model = inject_lora(model.decoder, TrainingConfig(rank=cfg["r"], alpha=cfg["lora_alpha"], dropout=0.0))
    params = lora_parameters(peft_model)
    weights = load_file(str(adapter_dir / "adapter_model.safetensors"))
    assert set(weights) == set(params), "our LoRA parameter names differ from upstream's adapter keys"
    with torch.no_grad():
        for key, value in weights.items():
            params[key].copy_(value.float())
    return model, params


def test_every_training_case_is_known(parity):
    names = [n for n in _cases(parity) if n.startswith("j_")]
    assert names, "no j_* training cases in the parity set"
    for name in names:
        assert name.startswith(("j_model_forward", "j_training_loss")), f"unhandled training case {name}"


def test_model_forward_objective(parity, parity_checkpoints):
    names = [n for n in _cases(parity) if n.startswith("j_model_forward")]
    assert names
    model = loading.load_dit_model(parity_checkpoints / "acestep-v15-turbo")
    silence = loading.load_silence_latent(parity_checkpoints / "acestep-v15-turbo")
    for name in names:
        case, t = _case(parity, name)
        with torch.no_grad():
            states, _mask, context = model.prepare_condition(
                t["in.text_hidden_states"], t["in.text_attention_mask"], t["in.lyric_hidden_states"],
                t["in.lyric_attention_mask"], t["in.refer_audio_acoustic_hidden_states_packed"],
                t["in.refer_audio_order_mask"], t["in.src_latents"], t["in.chunk_masks"], t["in.is_covers"], silence)
            noise, tt, cond = _seeded_draws(case, t["in.x0"], model.null_condition_emb, states)
            # the draws are upstream's, in upstream's order
            assert torch.equal(noise, t["in.rng1_randn_like"])
            assert torch.equal(tt, logit_normal_timesteps(t["in.rng2_randn"], t["in.rng3_randn"]))
            keep = t["in.rng0_rand"] >= case["params"].get("cfg_ratio", TrainingConfig.cfg_dropout)
            null = model.null_condition_emb.expand_as(states)
            assert torch.equal(cond, torch.where(keep[:, None, None], states, null))
            loss = flow_matching_loss(model.decoder, t["in.x0"], noise, tt, cond, context)
        err = abs(loss.item() - t["out.loss"].item())
        print(f"{name}: loss {loss.item():.6f}, error {err:.2e}")
        assert err <= _atol(case, "loss")


@pytest.mark.parametrize("name", case_names("j_training_loss"))
def test_lora_training_step(parity, parity_checkpoints, name):
    assert name in _cases(parity), f"{name} missing from the parity set"
    case, t = _case(parity, name)
    model, params = _adapter_model(parity, parity_checkpoints)
    if "in.null_condition_emb" in t:
        assert torch.equal(model.null_condition_emb.float(), t["in.null_condition_emb"])
    noise, tt, cond = _seeded_draws(case, t["in.x0"], model.null_condition_emb.detach(), t["in.encoder_hidden_states"])
    assert torch.equal(noise, t["in.noise"])
    assert torch.equal(tt, t["in.t"])
    if "in.cfg_keep_mask" in t:
        kept = (cond == t["in.encoder_hidden_states"]).flatten(1).all(1)
        assert kept.tolist() == (t["in.cfg_keep_mask"] > 0.5).tolist()
    loss = flow_matching_loss(model.decoder, t["in.x0"], noise, tt, cond, t["in.context_latents"])
    loss.backward()
    err = abs(loss.item() - t["out.loss"].item())
    grads = {k[len("out.grad."):]: v for k, v in t.items() if k.startswith("out.grad.")}
    assert set(grads) == set(params), "LoRA parameter names differ from upstream's adapter keys"
    worst = max((params[k].grad - v).abs().max().item() for k, v in grads.items())
    print(f"{name}: loss error {err:.2e}, worst LoRA grad error {worst:.2e} over {len(grads)} tensors")
    assert err <= _atol(case, "loss")
    assert worst <= _atol(case, "grad.*"), f"worst LoRA grad error {worst:.3g}"
