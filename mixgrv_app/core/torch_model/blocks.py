"""Qwen3-style transformer pieces shared by every network of ACE-Step 1.5 (torch).

One implementation serves the DiT layers, the lyric and timbre encoders, the audio-token pooler
and detokenizer, the Qwen3 text encoder and the 5 Hz LM: RMSNorm with fp32 statistics,
attention with per-head q/k RMSNorm, RoPE (rotate-half, θ from the config), grouped-query
heads, an optional ±window band, causal option and key-padding mask; the SwiGLU MLP; and the
pre-norm encoder layer. Attribute names equal the official state-dict keys.

Mirrored name for name in ``core/mlx_model/blocks.py``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class RMSNorm(nn.Module):
    """x / rms(x) · weight, with the statistics in fp32 whatever the activation dtype."""

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(dtype)


class RotaryEmbedding(nn.Module):
    """cos/sin tables for positions 0..L-1 (rotate-half convention, halves duplicated)."""

    def __init__(self, head_dim: int, theta: float) -> None:
        super().__init__()
        self.head_dim, self.theta = head_dim, theta
        self.register_buffer("inv_freq", self._inv_freq("cpu"), persistent=False)

    def _inv_freq(self, device) -> torch.Tensor:
        exponents = torch.arange(0, self.head_dim, 2, dtype=torch.int64, device=device).float() / self.head_dim
        return 1.0 / (self.theta ** exponents)

    def init_buffers(self, device) -> None:
        """Recompute the (non-persistent) frequencies after a meta-device build."""
        self.inv_freq = self._inv_freq(device)

    def forward(self, length: int, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        positions = torch.arange(length, device=device, dtype=torch.float32)
        freqs = positions[:, None] * self.inv_freq.to(device=device, dtype=torch.float32)[None, :]
        emb = torch.cat([freqs, freqs], dim=-1)
        return emb.cos().to(dtype), emb.sin().to(dtype)


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x [B, H, L, D]; cos/sin [L, D]."""
    return x * cos + _rotate_half(x) * sin


def attention_mask(
    length: int,
    *,
    device: torch.device,
    window: int | None = None,
    causal: bool = False,
    key_padding: torch.Tensor | None = None,
    dtype: torch.dtype = torch.float32,
    start: int = 0,
) -> torch.Tensor | None:
    """Self-attention mask [B or 1, 1, L − start, L], or None when unrestricted.

    ``window``: bidirectional band |i − j| ≤ window. ``causal``: j ≤ i. Without padding the mask
    is boolean ("may attend"). With ``key_padding`` ([B, L] bool, True = real token) it is
    upstream's additive mask: 0 where allowed, ``finfo(dtype).min`` elsewhere. The difference
    matters for a padded query outside every valid key's band: all its scores become the same
    huge negative number, so it averages all values uniformly (a boolean mask would give NaN or
    zeros). Those rows are padding, but the DiT attends to them, so they must match upstream.
    ``start``: the queries are positions start…L−1 only (a prefill that resumes after cached keys).
    """
    if window is None and not causal and key_padding is None:
        return None
    i = torch.arange(start, length, device=device)[:, None]
    j = torch.arange(length, device=device)[None, :]
    allowed = torch.ones(length - start, length, dtype=torch.bool, device=device)
    if window is not None:
        allowed &= (i - j).abs() <= window
    if causal:
        allowed &= j <= i
    allowed = allowed[None, None]
    if key_padding is None:
        return allowed
    allowed = allowed & key_padding[:, None, None, :].to(torch.bool)
    additive = torch.zeros(allowed.shape, dtype=dtype, device=device)
    return additive.masked_fill_(~allowed, torch.finfo(dtype).min)


class Attention(nn.Module):
    """Multi-head attention with q/k RMSNorm per head and grouped K/V heads.

    Self-attention applies RoPE to q and k after their norms; cross-attention (``cross=True``)
    takes k/v from the encoder states and uses no RoPE.
    """

    def __init__(self, hidden: int, heads: int, kv_heads: int, head_dim: int, eps: float, *,
                 kv_input: int | None = None, bias: bool = False, cross: bool = False) -> None:
        super().__init__()
        self.heads, self.kv_heads, self.head_dim, self.cross = heads, kv_heads, head_dim, cross
        kv_input = kv_input or hidden
        self.q_proj = nn.Linear(hidden, heads * head_dim, bias=bias)
        self.k_proj = nn.Linear(kv_input, kv_heads * head_dim, bias=bias)
        self.v_proj = nn.Linear(kv_input, kv_heads * head_dim, bias=bias)
        self.o_proj = nn.Linear(heads * head_dim, hidden, bias=bias)
        self.q_norm = RMSNorm(head_dim, eps)
        self.k_norm = RMSNorm(head_dim, eps)

    def forward(
        self,
        x: torch.Tensor,
        rope: tuple[torch.Tensor, torch.Tensor] | None = None,
        mask: torch.Tensor | None = None,
        context: torch.Tensor | None = None,
    ) -> torch.Tensor:
        b, length, _ = x.shape
        source = context if self.cross else x
        q = self.q_norm(self.q_proj(x).view(b, length, self.heads, self.head_dim)).transpose(1, 2)
        k = self.k_norm(self.k_proj(source).view(b, source.shape[1], self.kv_heads, self.head_dim)).transpose(1, 2)
        v = self.v_proj(source).view(b, source.shape[1], self.kv_heads, self.head_dim).transpose(1, 2)
        if rope is not None and not self.cross:
            cos, sin = rope
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if self.kv_heads != self.heads:
            repeat = self.heads // self.kv_heads
            k = k.repeat_interleave(repeat, dim=1)
            v = v.repeat_interleave(repeat, dim=1)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=self.head_dim ** -0.5)
        return self.o_proj(out.transpose(1, 2).reshape(b, length, self.heads * self.head_dim))


class SwiGLUMLP(nn.Module):
    """down(silu(gate(x)) · up(x)), no biases."""

    def __init__(self, hidden: int, intermediate: int) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(hidden, intermediate, bias=False)
        self.up_proj = nn.Linear(hidden, intermediate, bias=False)
        self.down_proj = nn.Linear(intermediate, hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class EncoderLayer(nn.Module):
    """Pre-norm transformer layer: x += attn(norm(x)); x += mlp(norm(x))."""

    def __init__(self, hidden: int, intermediate: int, heads: int, kv_heads: int, head_dim: int, eps: float) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(hidden, eps)
        self.self_attn = Attention(hidden, heads, kv_heads, head_dim, eps)
        self.post_attention_layernorm = RMSNorm(hidden, eps)
        self.mlp = SwiGLUMLP(hidden, intermediate)

    def forward(self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor], mask: torch.Tensor | None) -> torch.Tensor:
        x = x + self.self_attn(self.input_layernorm(x), rope=rope, mask=mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class EncoderStack(nn.Module):
    """``embed_tokens`` → layers (band on sliding layers, optional padding mask) → ``norm``.

    The common body of the lyric and timbre encoders, the attention pooler and the detokenizer;
    each adds what is special to it around this.
    """

    def __init__(self, in_dim: int, hidden: int, intermediate: int, heads: int, kv_heads: int, head_dim: int,
                 eps: float, theta: float, num_layers: int, windows: list[int | None]) -> None:
        super().__init__()
        self.embed_tokens = nn.Linear(in_dim, hidden)
        self.layers = nn.ModuleList(
            EncoderLayer(hidden, intermediate, heads, kv_heads, head_dim, eps) for _ in range(num_layers)
        )
        self.norm = RMSNorm(hidden, eps)
        self.rotary_emb = RotaryEmbedding(head_dim, theta)
        self.windows = windows

    def run_layers(self, h: torch.Tensor, key_padding: torch.Tensor | None = None) -> torch.Tensor:
        rope = self.rotary_emb(h.shape[1], h.device, h.dtype)
        masks: dict[int | None, torch.Tensor | None] = {}
        for layer, window in zip(self.layers, self.windows, strict=True):
            if window not in masks:
                masks[window] = attention_mask(h.shape[1], device=h.device, window=window, key_padding=key_padding,
                                               dtype=h.dtype)
            h = layer(h, rope, masks[window])
        return self.norm(h)
