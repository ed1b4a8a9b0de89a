"""The DiT decoder in MLX (mirror of ``core/torch_model/dit.py``; channels-last convs).

``proj_in``/``proj_out`` are 3-slot lists so the conv keeps the key ``proj_in.1``/``proj_out.1``
of the official file; the loader transposes their weights to MLX's [out, k, in] layout once.
"""

from __future__ import annotations

import math

import mlx.core as mx
import mlx.nn as nn

from mixgrv_app.core.configs import DiTConfig
from mixgrv_app.core.mlx_model.blocks import Attention, RMSNorm, RotaryEmbedding, SwiGLUMLP, attention_mask

TIMESTEP_DIM = 256


class _Slot(nn.Module):
    """Parameter-free placeholder (the torch file's transpose modules); MLX convs are NLC already."""

    def __call__(self, x: mx.array) -> mx.array:
        return x


class TimestepEmbedding(nn.Module):
    def __init__(self, hidden: int, scale: float = 1000.0) -> None:
        super().__init__()
        self.hidden, self.scale = hidden, scale
        self.linear_1 = nn.Linear(TIMESTEP_DIM, hidden)
        self.linear_2 = nn.Linear(hidden, hidden)
        self.time_proj = nn.Linear(hidden, 6 * hidden)

    def sinusoid(self, t: mx.array) -> mx.array:
        half = TIMESTEP_DIM // 2
        freqs = mx.exp(-math.log(10000.0) * mx.arange(half, dtype=mx.float32) / half)
        args = (t.astype(mx.float32) * self.scale)[:, None] * freqs[None, :]
        return mx.concatenate([mx.cos(args), mx.sin(args)], axis=-1)

    def __call__(self, t: mx.array) -> tuple[mx.array, mx.array]:
        emb = self.sinusoid(t).astype(self.linear_1.weight.dtype)
        temb = self.linear_2(nn.silu(self.linear_1(emb)))
        proj = self.time_proj(nn.silu(temb)).reshape(t.shape[0], 6, self.hidden)
        return temb, proj


class DiTLayer(nn.Module):
    def __init__(self, config: DiTConfig, index: int) -> None:
        super().__init__()
        c, h = config, config.hidden_size
        self.self_attn_norm = RMSNorm(h, c.rms_norm_eps)
        self.self_attn = Attention(h, c.num_attention_heads, c.num_key_value_heads, c.head_dim, c.rms_norm_eps,
                                   bias=c.attention_bias)
        self.cross_attn_norm = RMSNorm(h, c.rms_norm_eps)
        self.cross_attn = Attention(h, c.num_attention_heads, c.num_key_value_heads, c.head_dim, c.rms_norm_eps,
                                    bias=c.attention_bias, cross=True)
        self.mlp_norm = RMSNorm(h, c.rms_norm_eps)
        self.mlp = SwiGLUMLP(h, c.intermediate_size)
        self.scale_shift_table = mx.zeros((1, 6, h))
        self._window = c.sliding_window if c.is_sliding(index) else None

    def __call__(self, h, modulation, context, rope, mask):
        parts = mx.split(self.scale_shift_table + modulation, 6, axis=1)
        shift1, scale1, gate1, shift2, scale2, gate2 = parts
        h = h + gate1 * self.self_attn(self.self_attn_norm(h) * (1 + scale1) + shift1, rope=rope, mask=mask)
        h = h + self.cross_attn(self.cross_attn_norm(h), context=context)
        return h + gate2 * self.mlp(self.mlp_norm(h) * (1 + scale2) + shift2)


class DiTDecoder(nn.Module):
    def __init__(self, config: DiTConfig) -> None:
        super().__init__()
        c, h = config, config.hidden_size
        self._config = config
        self.patch_size = c.patch_size
        self.proj_in = [_Slot(), nn.Conv1d(c.in_channels, h, c.patch_size, stride=c.patch_size), _Slot()]
        self.time_embed = TimestepEmbedding(h)
        self.time_embed_r = TimestepEmbedding(h)
        self.condition_embedder = nn.Linear(c.condition_width, h)
        self.layers = [DiTLayer(c, i) for i in range(c.num_hidden_layers)]
        self.norm_out = RMSNorm(h, c.rms_norm_eps)
        self.proj_out = [_Slot(), nn.ConvTranspose1d(h, c.audio_acoustic_hidden_dim, c.patch_size, stride=c.patch_size),
                         _Slot()]
        self.scale_shift_table = mx.zeros((1, 2, h))
        self.rotary_emb = RotaryEmbedding(c.head_dim, c.rope_theta)

    def embed_condition(self, encoder_hidden_states: mx.array) -> mx.array:
        return self.condition_embedder(encoder_hidden_states)

    def __call__(self, hidden_states, timestep, timestep_r, encoder_hidden_states, context_latents, *, context=None):
        frames = hidden_states.shape[1]
        temb_t, proj_t = self.time_embed(timestep)
        temb_r, proj_r = self.time_embed_r(timestep - timestep_r)
        temb, modulation = temb_t + temb_r, proj_t + proj_r
        h = mx.concatenate([context_latents, hidden_states], axis=-1)
        if frames % self.patch_size:
            pad = self.patch_size - frames % self.patch_size
            h = mx.pad(h, [(0, 0), (0, pad), (0, 0)])
        h = self.proj_in[1](h)
        if context is None:
            context = self.embed_condition(encoder_hidden_states)
        tokens = h.shape[1]
        rope = self.rotary_emb(tokens, h.dtype)
        masks: dict = {}
        for layer in self.layers:
            if layer._window not in masks:
                masks[layer._window] = attention_mask(tokens, window=layer._window, dtype=h.dtype)
            h = layer(h, modulation, context, rope, masks[layer._window])
        shift, scale = mx.split(self.scale_shift_table + temb[:, None, :], 2, axis=1)
        h = self.norm_out(h) * (1 + scale) + shift
        return self.proj_out[1](h)[:, :frames]
