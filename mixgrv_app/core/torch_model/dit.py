"""The ACE-Step 1.5 diffusion transformer (DiT decoder) in torch.

``DiTDecoder.forward(x_t, t, r, encoder_hidden_states, context_latents)`` predicts the flow
velocity ``noise − x0`` for latents [B, T, 64]. Input channels are [src | chunk mask | x_t];
two latent frames make one token (Conv1d k=2 s=2); every layer is AdaLN-modulated
self-attention (band on even layers), plain cross-attention to the condition, and a modulated
SwiGLU MLP, with shift/scale/gate from ``scale_shift_table + time_proj``. Upstream ignores the
attention masks here (padded condition rows are attended), and so do we.

``layers.N.{self_attn,cross_attn}.{q,k,v,o}_proj`` are plain ``nn.Linear`` so a PEFT wrap of
this module saves adapters with upstream's keys. Mirrored in ``core/mlx_model/dit.py``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mixgrv_app.core.configs import DiTConfig
from mixgrv_app.core.torch_model.blocks import Attention, RMSNorm, RotaryEmbedding, SwiGLUMLP, attention_mask

TIMESTEP_DIM = 256


class _ToChannelsFirst(nn.Module):
    """[B, T, C] ↔ [B, C, T]; a parameter-free slot so the conv keeps the key ``proj_in.1``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(1, 2)


class TimestepEmbedding(nn.Module):
    """t → (temb [B, hidden], per-layer modulation [B, 6, hidden]); sinusoid is [cos, sin]."""

    def __init__(self, hidden: int, scale: float = 1000.0) -> None:
        super().__init__()
        self.hidden, self.scale = hidden, scale
        self.linear_1 = nn.Linear(TIMESTEP_DIM, hidden)
        self.linear_2 = nn.Linear(hidden, hidden)
        self.time_proj = nn.Linear(hidden, 6 * hidden)

    def sinusoid(self, t: torch.Tensor) -> torch.Tensor:
        half = TIMESTEP_DIM // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
        args = (t.float() * self.scale)[:, None] * freqs[None, :]
        return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)

    def forward(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        emb = self.sinusoid(t).to(self.linear_1.weight.dtype)
        temb = self.linear_2(F.silu(self.linear_1(emb)))
        proj = self.time_proj(F.silu(temb)).view(t.shape[0], 6, self.hidden)
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
        self.scale_shift_table = nn.Parameter(torch.zeros(1, 6, h))
        self.window = c.sliding_window if c.is_sliding(index) else None

    def forward(self, h: torch.Tensor, modulation: torch.Tensor, context: torch.Tensor,
                rope: tuple[torch.Tensor, torch.Tensor], mask: torch.Tensor | None) -> torch.Tensor:
        shift1, scale1, gate1, shift2, scale2, gate2 = (self.scale_shift_table + modulation).chunk(6, dim=1)
        h = h + gate1 * self.self_attn(self.self_attn_norm(h) * (1 + scale1) + shift1, rope=rope, mask=mask)
        h = h + self.cross_attn(self.cross_attn_norm(h), context=context)
        return h + gate2 * self.mlp(self.mlp_norm(h) * (1 + scale2) + shift2)


class DiTDecoder(nn.Module):
    def __init__(self, config: DiTConfig) -> None:
        super().__init__()
        c, h = config, config.hidden_size
        self.config = config
        self.patch_size = c.patch_size
        self.proj_in = nn.Sequential(_ToChannelsFirst(), nn.Conv1d(c.in_channels, h, c.patch_size, stride=c.patch_size),
                                     _ToChannelsFirst())
        self.time_embed = TimestepEmbedding(h)
        self.time_embed_r = TimestepEmbedding(h)
        self.condition_embedder = nn.Linear(c.condition_width, h)
        self.layers = nn.ModuleList(DiTLayer(c, i) for i in range(c.num_hidden_layers))
        self.norm_out = RMSNorm(h, c.rms_norm_eps)
        self.proj_out = nn.Sequential(
            _ToChannelsFirst(),
            nn.ConvTranspose1d(h, c.audio_acoustic_hidden_dim, c.patch_size, stride=c.patch_size),
            _ToChannelsFirst(),
        )
        self.scale_shift_table = nn.Parameter(torch.zeros(1, 2, h))
        self.rotary_emb = RotaryEmbedding(c.head_dim, c.rope_theta)
        self.gradient_checkpointing = False

    def embed_condition(self, encoder_hidden_states: torch.Tensor) -> torch.Tensor:
        """The cross-attention context; constant over the diffusion steps, so callers may cache it."""
        return self.condition_embedder(encoder_hidden_states)

    def forward(
        self,
        hidden_states: torch.Tensor,
        timestep: torch.Tensor,
        timestep_r: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None,
        context_latents: torch.Tensor,
        *,
        context: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x_t [B, T, 64], t and r [B], condition [B, L, C] (or its embedded ``context``),
        context_latents [B, T, 128] → velocity [B, T, 64]."""
        frames = hidden_states.shape[1]
        temb_t, proj_t = self.time_embed(timestep)
        temb_r, proj_r = self.time_embed_r(timestep - timestep_r)
        temb, modulation = temb_t + temb_r, proj_t + proj_r

        h = torch.cat([context_latents, hidden_states], dim=-1)
        if frames % self.patch_size:
            h = F.pad(h, (0, 0, 0, self.patch_size - frames % self.patch_size))
        # The patch conv hands back a transposed view; elementwise ops would carry that layout
        # through every layer, and a Linear fed it cannot fold [B, T, C] into one GEMM (torch
        # then copies the whole weight per call). One copy here keeps the stream row-major.
        h = self.proj_in(h).contiguous()
        if context is None:
            context = self.embed_condition(encoder_hidden_states)

        tokens = h.shape[1]
        rope = self.rotary_emb(tokens, h.device, h.dtype)
        masks: dict[int | None, torch.Tensor | None] = {}
        for layer in self.layers:
            if layer.window not in masks:
                masks[layer.window] = attention_mask(tokens, device=h.device, window=layer.window)
            if self.gradient_checkpointing and self.training and torch.is_grad_enabled():
                h = torch.utils.checkpoint.checkpoint(layer, h, modulation, context, rope, masks[layer.window],
                                                      use_reentrant=False)
            else:
                h = layer(h, modulation, context, rope, masks[layer.window])

        shift, scale = (self.scale_shift_table + temb[:, None, :]).chunk(2, dim=1)
        h = self.norm_out(h) * (1 + scale) + shift
        return self.proj_out(h)[:, :frames]
