"""Module-level parity with upstream ACE-Step on the parity set (torch backend).

Every case of cases.json whose name starts with a module prefix runs through OUR loader on
the set's checkpoints/ folder: a_ (text encoder), c_ (condition encoder), d_ (DiT forward),
e_ (audio tokenizer / FSQ / detokenizer, codes → hints), h_ (VAE), k_ (5 Hz LM). Tolerances
are the case's own suggested_atol; integer outputs must match exactly. Another set in the same
format (other dims, other seeds) runs unchanged via MIXGRV_PARITY_DIR.
"""

from __future__ import annotations

import json
import re

import pytest
import torch
from safetensors.torch import load_file

from mixgrv_app.core import checkpoints
from mixgrv_app.core.torch_model import loading
from tests.conftest import case_names

torch.set_num_threads(1)


def _cases(parity, prefix):
    cases = json.loads((parity / "cases.json").read_text())["cases"]
    return [name for name in cases if name.startswith(prefix)]


def _load_case(parity, name):
    cases = json.loads((parity / "cases.json").read_text())["cases"]
    tensors = dict(load_file(str(parity / "cases" / "shared_conditioning.safetensors")))
    tensors.update(load_file(str(parity / cases[name]["file"])))
    return cases[name], tensors


def _atol(case, key):
    """The case's suggested_atol for ``out.<name>``; ``<name>_from_indices`` shares ``<name>``'s."""
    name = key.split(".", 1)[1]
    tolerances = case.get("tolerance", {})
    tol = tolerances.get(name, tolerances.get(name.removesuffix("_from_indices")))
    if isinstance(tol, dict):
        return float(tol["suggested_atol"])
    return 0.0  # "exact"


def _check(case, tensors, key, got):
    want = tensors[key]
    assert tuple(got.shape) == tuple(want.shape), f"{key}: shape {tuple(got.shape)} != {tuple(want.shape)}"
    if not want.is_floating_point():
        assert torch.equal(got.to(want.dtype), want), f"{key}: integer values differ"
        return 0.0
    err = (got.float() - want.float()).abs().max().item()
    assert err <= _atol(case, key), f"{key}: max abs error {err:.3g} > atol {_atol(case, key):.3g}"
    return err


@pytest.fixture(scope="module")
def dit(parity_checkpoints):
    return loading.load_dit_model(parity_checkpoints / "acestep-v15-turbo")


@pytest.fixture(scope="module")
def text_encoder(parity_checkpoints):
    return loading.load_text_encoder(parity_checkpoints / checkpoints.TEXT_ENCODER_FOLDER)


@pytest.fixture(scope="module")
def vae(parity_checkpoints):
    return loading.load_vae(parity_checkpoints / checkpoints.VAE_FOLDER)


@torch.no_grad()
@pytest.mark.parametrize("name", case_names("a_"))
def test_text_encoder_cases(parity, text_encoder, name):
    case, t = _load_case(parity, name)
    _check(case, t, "out.last_hidden_state", text_encoder(t["in.text_input_ids"]))
    _check(case, t, "out.lyric_embeddings", text_encoder.embed_tokens(t["in.lyric_input_ids"]))


@torch.no_grad()
@pytest.mark.parametrize("name", case_names("c_"))
def test_condition_encoder_cases(parity, dit, name):
    case, t = _load_case(parity, name)
    states, mask = dit.encoder(t["in.text_hidden_states"], t["in.text_attention_mask"], t["in.lyric_hidden_states"],
                               t["in.lyric_attention_mask"], t["in.refer_audio_acoustic_hidden_states_packed"],
                               t["in.refer_audio_order_mask"])
    _check(case, t, "out.encoder_hidden_states", states)
    _check(case, t, "out.encoder_attention_mask", mask)


@torch.no_grad()
@pytest.mark.parametrize("name", case_names("d_"))
def test_dit_forward_cases(parity, dit, name):
    case, t = _load_case(parity, name)
    velocity = dit.decoder(t["in.hidden_states"], t["in.timestep"], t["in.timestep_r"],
                           t["in.encoder_hidden_states"], t["in.context_latents"])
    _check(case, t, "out.velocity", velocity)


@torch.no_grad()
def test_audio_tokenizer_cases(parity, dit):
    case, t = _load_case(parity, "e_audio_tokenizer_fsq")
    quantized, indices, mask5 = dit.tokenize(t["in.x"], t["in.silence_latent"], t["in.attention_mask"])
    _check(case, t, "out.quantized", quantized)
    _check(case, t, "out.indices", indices)
    _check(case, t, "out.mask_5hz", mask5)
    _check(case, t, "out.detokenized", dit.detokenize(quantized))
    from_indices = dit.tokenizer.quantizer.get_output_from_indices(t["out.indices"])
    _check(case, t, "out.quantized_from_indices", from_indices)
    _check(case, t, "out.detokenized_from_indices", dit.detokenize(from_indices))


@torch.no_grad()
@pytest.mark.parametrize("name", case_names("e_codes"))
def test_codes_to_hints_cases(parity, dit, name):
    case, t = _load_case(parity, name)
    ids = [int(m) for m in re.findall(r"<\|audio_code_(\d+)\|>", case["params"]["code_string"])]
    codes = torch.tensor(ids, dtype=torch.int64).clamp(0, dit.tokenizer.quantizer.codebook_size - 1)
    _check(case, t, "out.code_ids_parsed", codes)
    _check(case, t, "out.hints_25hz", dit.codes_to_hints(codes[None, :, None]))


@torch.no_grad()
def test_vae_cases(parity, vae):
    case, t = _load_case(parity, "h_vae_decode")
    _check(case, t, "out.audio", vae.decode(t["in.latents"]))
    case, t = _load_case(parity, "h_vae_encode")
    mean, std = vae.encode(t["in.audio"])
    _check(case, t, "out.posterior_mean", mean)
    _check(case, t, "out.posterior_std", std)
    case, t = _load_case(parity, "h_vae_tiled_decode")
    _check(case, t, "out.audio_tiled", vae.tiled_decode(t["in.latents"], case["params"]["chunk_size"], case["params"]["overlap"]))


@torch.no_grad()
@pytest.mark.parametrize("name", case_names("k_"))
def test_lm_cases(parity, parity_checkpoints, name):
    lm_dirs = sorted(p for p in parity_checkpoints.iterdir() if p.name.startswith(checkpoints.LM_PREFIX))
    assert lm_dirs, "the parity set has k_ cases but no LM folder"
    lm = loading.load_lm(lm_dirs[0])
    case, t = _load_case(parity, name)
    _check(case, t, "out.next_token_logits", lm.logits(t["in.input_ids"])[:, -1])
    want = t["out.greedy_new_tokens"]
    got = lm.greedy(t["in.input_ids"], want.shape[-1])
    assert torch.equal(got.reshape(-1), want.reshape(-1))
