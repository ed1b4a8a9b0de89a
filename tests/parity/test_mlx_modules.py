"""Module-level parity on the MLX backend (MLX CPU here): the a_, c_, d_, e_, h_, k_ cases
through the MLX loader, which reads the official files directly. Tolerances: the cases' own
suggested_atol (MLX CPU lands within them; its DiT error is ~3e-5 against 4e-5, larger than
torch's 2e-6 — recorded here so a regression shows)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from safetensors.numpy import load_file

mx = pytest.importorskip("mlx.core")

from mixgrv_app.core.mlx_model import loading  # noqa: E402


def _case(parity, name):
    cases = json.loads((parity / "cases.json").read_text())["cases"]
    tensors = dict(load_file(str(parity / "cases" / "shared_conditioning.safetensors")))
    tensors.update(load_file(str(parity / cases[name]["file"])))
    return cases[name], {k: mx.array(v) for k, v in tensors.items()}


def _check(case, t, key, got):
    want = np.array(t[key])
    got = np.array(got.astype(mx.float32) if got.dtype in (mx.float32, mx.bfloat16, mx.float16) else got)
    assert got.shape == want.shape, (key, got.shape, want.shape)
    if not np.issubdtype(want.dtype, np.floating):
        assert np.array_equal(got.astype(want.dtype), want), key
        return
    name = key.split(".", 1)[1]
    tol = case["tolerance"].get(name, case["tolerance"].get(name.removesuffix("_from_indices")))
    atol = float(tol["suggested_atol"]) if isinstance(tol, dict) else 0.0
    err = float(np.abs(got - want).max())
    assert err <= atol, f"{key}: {err:.3g} > {atol:.3g}"


@pytest.fixture(scope="module")
def dit(parity_checkpoints):
    return loading.load_dit_model(parity_checkpoints / "acestep-v15-turbo")


def test_text_encoder(parity, parity_checkpoints):
    te = loading.load_text_encoder(parity_checkpoints / "Qwen3-Embedding-0.6B")
    case, t = _case(parity, "a_text_encoder")
    _check(case, t, "out.last_hidden_state", te(t["in.text_input_ids"]))
    _check(case, t, "out.lyric_embeddings", te.embed_tokens(t["in.lyric_input_ids"]))


def test_condition_encoder(parity, dit):
    case, t = _case(parity, "c_condition_encoder")
    states, mask = dit.encoder(t["in.text_hidden_states"], t["in.text_attention_mask"], t["in.lyric_hidden_states"],
                               t["in.lyric_attention_mask"], t["in.refer_audio_acoustic_hidden_states_packed"],
                               t["in.refer_audio_order_mask"])
    _check(case, t, "out.encoder_hidden_states", states)
    _check(case, t, "out.encoder_attention_mask", mask)


def test_dit_forward(parity, dit):
    names = [n for n in json.loads((parity / "cases.json").read_text())["cases"] if n.startswith("d_")]
    for name in names:
        case, t = _case(parity, name)
        _check(case, t, "out.velocity", dit.decoder(t["in.hidden_states"], t["in.timestep"], t["in.timestep_r"],
                                                    t["in.encoder_hidden_states"], t["in.context_latents"]))


def test_tokenizer_and_codes(parity, dit):
    case, t = _case(parity, "e_audio_tokenizer_fsq")
    quantized, indices, mask5 = dit.tokenize(t["in.x"], t["in.silence_latent"], t["in.attention_mask"])
    _check(case, t, "out.quantized", quantized)
    _check(case, t, "out.indices", indices)
    _check(case, t, "out.mask_5hz", mask5)
    _check(case, t, "out.detokenized", dit.detokenize(quantized))
    _check(case, t, "out.quantized_from_indices", dit.tokenizer.quantizer.get_output_from_indices(t["out.indices"]))
    case, t = _case(parity, "e_codes_to_hints")
    ids = [int(m) for m in re.findall(r"<\|audio_code_(\d+)\|>", case["params"]["code_string"])]
    codes = np.clip(np.array(ids), 0, dit.tokenizer.quantizer.codebook_size - 1)
    _check(case, t, "out.hints_25hz", dit.codes_to_hints(mx.array(codes)[None, :, None]))


def test_vae(parity, parity_checkpoints):
    vae = loading.load_vae(parity_checkpoints / "vae")
    case, t = _case(parity, "h_vae_decode")
    _check(case, t, "out.audio", vae.decode(t["in.latents"]))
    case, t = _case(parity, "h_vae_encode")
    mean, std = vae.encode(t["in.audio"])
    _check(case, t, "out.posterior_mean", mean)
    _check(case, t, "out.posterior_std", std)
    case, t = _case(parity, "h_vae_tiled_decode")
    _check(case, t, "out.audio_tiled", vae.tiled_decode(t["in.latents"], case["params"]["chunk_size"], case["params"]["overlap"]))


def test_lm(parity, parity_checkpoints):
    lm_dir = sorted(p for p in parity_checkpoints.iterdir() if p.name.startswith("acestep-5Hz-lm-"))[0]
    lm = loading.load_lm(lm_dir)
    case, t = _case(parity, "k_lm_logits_greedy")
    _check(case, t, "out.next_token_logits", lm.logits(t["in.input_ids"])[:, -1])
    want = np.array(t["out.greedy_new_tokens"]).reshape(-1)
    assert np.array(lm.greedy(t["in.input_ids"], want.shape[0])).reshape(-1).tolist() == want.tolist()


def test_silence_latent_without_torch(parity_checkpoints):
    import subprocess
    import sys

    code = ("import sys; from mixgrv_app.core.mlx_model.loading import load_silence_latent; "
            f"s = load_silence_latent({str(parity_checkpoints / 'acestep-v15-turbo')!r}); "
            "print(s.shape, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "(1, 15000, 64) False", out.stderr
