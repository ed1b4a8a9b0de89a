"""Dataclasses for the official ``config.json`` files (DiT, VAE, Qwen3 text encoder / LM).

Each ``from_dict`` keeps the fields the model code reads and ignores the rest (``auto_map``,
``transformers_version``...), so newer config files keep loading. Values the code needs but a
file omits fall back to upstream's class defaults (the 2B turbo model). Requests (what a user
asks for) live in ``core/requests.py``; these are facts about model files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixgrv_app.core.fileio import known_fields


def _read(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


class _FromJson:
    """``from_dict`` keeps the known fields; ``from_json`` reads a config.json."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        return cls(**known_fields(cls, data))

    @classmethod
    def from_json(cls, path: str | Path):
        return cls.from_dict(_read(path))


@dataclass
class DiTConfig(_FromJson):
    """``acestep-v15-*/config.json`` (upstream's AceStepConfig); defaults are the 2B model."""

    hidden_size: int = 2048
    intermediate_size: int = 6144
    num_hidden_layers: int = 24
    num_attention_heads: int = 16
    num_key_value_heads: int = 8
    head_dim: int = 128
    rms_norm_eps: float = 1e-6
    rope_theta: float = 1_000_000.0
    max_position_embeddings: int = 32768
    attention_bias: bool = False
    use_sliding_window: bool = True
    sliding_window: int = 128
    layer_types: list[str] = field(default_factory=list)
    text_hidden_dim: int = 1024
    num_lyric_encoder_hidden_layers: int = 8
    num_timbre_encoder_hidden_layers: int = 4
    timbre_hidden_dim: int = 64
    timbre_fix_frame: int = 750
    audio_acoustic_hidden_dim: int = 64
    in_channels: int = 192
    patch_size: int = 2
    pool_window_size: int = 5
    fsq_dim: int = 2048
    fsq_input_levels: list[int] = field(default_factory=lambda: [8, 8, 8, 5, 5, 5])
    fsq_input_num_quantizers: int = 1
    num_attention_pooler_hidden_layers: int = 2
    timestep_mu: float = -0.4
    timestep_sigma: float = 1.0
    data_proportion: float = 0.5
    is_turbo: bool = True
    model_version: str = "turbo"
    encoder_hidden_size: int | None = None   # XL: width of the condition encoder (2048) when ≠ hidden
    dtype: str = "bfloat16"

    def __post_init__(self) -> None:
        if not self.layer_types:
            self.layer_types = [
                "sliding_attention" if i % 2 == 0 else "full_attention" for i in range(self.num_hidden_layers)
            ]

    @property
    def condition_width(self) -> int:
        """Width of the condition encoder output (= DiT width except on XL)."""
        return self.encoder_hidden_size or self.hidden_size

    def is_sliding(self, layer_index: int) -> bool:
        return self.use_sliding_window and self.layer_types[layer_index] == "sliding_attention"

    def layer_windows(self, count: int) -> list[int | None]:
        """Band width per layer of a stack with ``count`` layers (each stack indexes
        ``layer_types`` with its own layer numbers, as upstream does)."""
        return [self.sliding_window if self.is_sliding(i) else None for i in range(count)]

    def encoder_stack_args(self, in_dim: int, num_layers: int) -> dict[str, Any]:
        """Constructor arguments of an encoder stack (lyric, timbre, pooler, detokenizer).

        On the 2B models the encoders have the DiT's width and heads. XL gives them their own
        width (``encoder_hidden_size``); heads and MLP width then scale with it (an assumption:
        no XL key list was available to check against).
        """
        width = self.condition_width
        heads = width // self.head_dim if self.encoder_hidden_size else self.num_attention_heads
        intermediate = (self.intermediate_size * width // self.hidden_size if self.encoder_hidden_size
                        else self.intermediate_size)
        return dict(in_dim=in_dim, hidden=width, intermediate=intermediate, heads=heads,
                    kv_heads=self.num_key_value_heads, head_dim=self.head_dim, eps=self.rms_norm_eps,
                    theta=self.rope_theta, num_layers=num_layers, windows=self.layer_windows(num_layers))


@dataclass
class VAEConfig(_FromJson):
    """``vae/config.json`` (diffusers' AutoencoderOobleck)."""

    encoder_hidden_size: int = 128
    downsampling_ratios: list[int] = field(default_factory=lambda: [2, 4, 4, 6, 10])
    channel_multiples: list[int] = field(default_factory=lambda: [1, 2, 4, 8, 16])
    decoder_channels: int = 128
    decoder_input_channels: int = 64
    audio_channels: int = 2
    sampling_rate: int = 48000

    @property
    def hop_length(self) -> int:
        hop = 1
        for r in self.downsampling_ratios:
            hop *= r
        return hop


@dataclass
class Qwen3Config(_FromJson):
    """``Qwen3-Embedding-0.6B/config.json`` and ``acestep-5Hz-lm-*/config.json``."""

    vocab_size: int = 151669
    hidden_size: int = 1024
    intermediate_size: int = 3072
    num_hidden_layers: int = 28
    num_attention_heads: int = 16
    num_key_value_heads: int = 8
    head_dim: int = 128
    rms_norm_eps: float = 1e-6
    rope_theta: float = 1_000_000.0
    max_position_embeddings: int = 32768
    attention_bias: bool = False
    tie_word_embeddings: bool = True
    bos_token_id: int | None = None
    eos_token_id: int | None = None
    pad_token_id: int | None = None
    architectures: list[str] = field(default_factory=list)

