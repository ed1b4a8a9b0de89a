"""``AceStepModel`` in MLX (mirror of ``core/torch_model/model.py``)."""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn

from mixgrv_app.core.configs import DiTConfig
from mixgrv_app.core.mlx_model.condition import ConditionEncoder
from mixgrv_app.core.mlx_model.dit import DiTDecoder
from mixgrv_app.core.mlx_model.fsq import AudioDetokenizer, AudioTokenizer


class AceStepModel(nn.Module):
    def __init__(self, config: DiTConfig) -> None:
        super().__init__()
        self._config = config
        self.decoder = DiTDecoder(config)
        self.encoder = ConditionEncoder(config)
        self.tokenizer = AudioTokenizer(config)
        self.detokenizer = AudioDetokenizer(config)
        self.null_condition_emb = mx.zeros((1, 1, config.condition_width))

    @property
    def config(self) -> DiTConfig:
        return self._config

    def tokenize(self, latents: mx.array, silence_latent: mx.array, attention_mask: mx.array | None = None):
        b, t, _ = latents.shape
        window = self._config.pool_window_size
        if attention_mask is None:
            attention_mask = mx.ones((b, t), dtype=latents.dtype)
        pad = (-t) % window
        if pad:
            filler = mx.broadcast_to(silence_latent[:, :pad].astype(latents.dtype), (b, pad, latents.shape[-1]))
            latents = mx.concatenate([latents, filler], axis=1)
            attention_mask = mx.pad(attention_mask, [(0, 0), (0, pad)])
        quantized, indices = self.tokenizer(latents)
        mask5 = attention_mask.reshape(b, -1, window).max(axis=-1)
        return quantized, indices, mask5

    def detokenize(self, quantized: mx.array) -> mx.array:
        return self.detokenizer(quantized)

    def codes_to_hints(self, indices: mx.array) -> mx.array:
        return self.detokenize(self.tokenizer.quantizer.get_output_from_indices(indices))
