"""Our modules, built with the full-size configs on the meta device, have exactly the official
checkpoint keys and shapes (../shared/parity/official-keys)."""

from __future__ import annotations

import json

import torch

from mixgrv_app.core.configs import DiTConfig, Qwen3Config, VAEConfig
from mixgrv_app.core.torch_model.model import AceStepModel
from mixgrv_app.core.torch_model.qwen3 import Qwen3TextEncoder
from mixgrv_app.core.torch_model.vae import OobleckVAE, unfold_weight_norm


def _official(parity, name):
    return {k: tuple(v) for k, v in json.loads((parity.parent / "official-keys" / f"{name}.json").read_text())}


def _ours(module):
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def test_turbo_dit_keys_and_shapes(parity):
    with torch.device("meta"):
        model = AceStepModel(DiTConfig())  # the defaults are the 2B turbo model
    assert _ours(model) == _official(parity, "acestep-v15-turbo")
    assert sum(v.numel() for v in model.state_dict().values()) == 2_393_872_518


def test_text_encoder_keys_and_shapes(parity):
    config = Qwen3Config(vocab_size=151669, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
                         num_attention_heads=16, num_key_value_heads=8, head_dim=128)
    with torch.device("meta"):
        encoder = Qwen3TextEncoder(config)
    official = {k.removeprefix("model."): v for k, v in _official(parity, "qwen3-embedding-0.6b").items()}
    assert _ours(encoder) == official


def test_vae_keys_and_shapes(parity):
    with torch.device("meta"):
        vae = OobleckVAE(VAEConfig())
    ours = {k: tuple(v.shape) for k, v in unfold_weight_norm(vae.state_dict()).items()}
    official = _official(parity, "vae")
    assert ours == official  # incl. weight_g [in, 1, 1] of the transposed convs


def test_xl_config_builds_with_its_own_condition_width():
    xl = DiTConfig(hidden_size=2560, intermediate_size=9728, num_hidden_layers=32, num_attention_heads=32,
                   num_key_value_heads=8, encoder_hidden_size=2048, fsq_dim=2048)
    with torch.device("meta"):
        model = AceStepModel(xl)
    shapes = _ours(model)
    assert shapes["decoder.condition_embedder.weight"] == (2560, 2048)
    assert shapes["decoder.layers.0.self_attn.q_proj.weight"] == (4096, 2560)
    assert shapes["null_condition_emb"] == (1, 1, 2048)
