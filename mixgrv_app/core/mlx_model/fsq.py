"""Audio tokens in MLX (mirror of ``core/torch_model/fsq.py``)."""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn

from mixgrv_app.core.configs import DiTConfig
from mixgrv_app.core.mlx_model.blocks import EncoderStack


class ResidualFSQ(nn.Module):
    def __init__(self, dim: int, levels: list[int]) -> None:
        super().__init__()
        self._level_list = list(levels)
        self.project_in = nn.Linear(dim, len(levels))
        self.project_out = nn.Linear(len(levels), dim)
        basis = [1]
        for level in levels[:-1]:
            basis.append(basis[-1] * level)
        self._basis_list = basis

    @property
    def codebook_size(self) -> int:
        size = 1
        for level in self._level_list:
            size *= level
        return size

    def quantize(self, z: mx.array) -> tuple[mx.array, mx.array]:
        levels = mx.array(self._level_list, dtype=mx.float32)
        z = z.astype(mx.float32)
        clamp = 1.0 + 1.0 / (levels - 1.0)
        z = mx.clip(mx.tanh(z / clamp) * clamp, -1.0, 1.0)
        digits = mx.floor((levels - 1.0) * (z + 1.0) / 2.0 + 0.5)
        return digits * 2.0 / (levels - 1.0) - 1.0, digits.astype(mx.int64)

    def __call__(self, x: mx.array) -> tuple[mx.array, mx.array]:
        values, digits = self.quantize(self.project_in(x))
        indices = (digits * mx.array(self._basis_list, dtype=mx.int64)).sum(axis=-1, keepdims=True).astype(mx.int32)
        return self.project_out(values.astype(self.project_out.weight.dtype)), indices

    def get_output_from_indices(self, indices: mx.array) -> mx.array:
        idx = indices.reshape(indices.shape[0], indices.shape[1], 1).astype(mx.int64)
        levels = mx.array(self._level_list, dtype=mx.int64)
        digits = (idx // mx.array(self._basis_list, dtype=mx.int64)) % levels
        values = digits.astype(mx.float32) * 2.0 / (levels.astype(mx.float32) - 1.0) - 1.0
        return self.project_out(values.astype(self.project_out.weight.dtype))


class AttentionPooler(EncoderStack):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.special_token = mx.zeros((1, 1, kwargs["hidden"]))

    def __call__(self, groups: mx.array) -> mx.array:
        b, t5, w, c = groups.shape
        h = self.embed_tokens(groups).reshape(b * t5, w, c)
        special = mx.broadcast_to(self.special_token.astype(h.dtype), (b * t5, 1, c))
        h = mx.concatenate([special, h], axis=1)
        return self.run_layers(h)[:, 0].reshape(b, t5, c)


class AudioTokenizer(nn.Module):
    def __init__(self, config: DiTConfig) -> None:
        super().__init__()
        c = config
        width = c.condition_width
        self.pool_window = c.pool_window_size
        self.audio_acoustic_proj = nn.Linear(c.audio_acoustic_hidden_dim, width)
        self.attention_pooler = AttentionPooler(**c.encoder_stack_args(width, c.num_attention_pooler_hidden_layers))
        self.quantizer = ResidualFSQ(c.fsq_dim, c.fsq_input_levels)

    def __call__(self, latents: mx.array) -> tuple[mx.array, mx.array]:
        b, t, _ = latents.shape
        h = self.audio_acoustic_proj(latents).reshape(b, t // self.pool_window, self.pool_window, -1)
        return self.quantizer(self.attention_pooler(h))


class AudioDetokenizer(EncoderStack):
    def __init__(self, config: DiTConfig) -> None:
        c = config
        width = c.condition_width
        super().__init__(**c.encoder_stack_args(width, c.num_attention_pooler_hidden_layers))
        self.pool_window = c.pool_window_size
        self.special_tokens = mx.zeros((1, c.pool_window_size, width))
        self.proj_out = nn.Linear(width, c.audio_acoustic_hidden_dim)

    def __call__(self, quantized: mx.array) -> mx.array:
        b, t5, c = quantized.shape
        h = mx.broadcast_to(self.embed_tokens(quantized)[:, :, None, :], (b, t5, self.pool_window, c))
        h = (h + self.special_tokens.astype(h.dtype)).reshape(b * t5, self.pool_window, c)
        return self.proj_out(self.run_layers(h)).reshape(b, t5 * self.pool_window, -1)
