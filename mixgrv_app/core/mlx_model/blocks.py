"""Qwen3-style transformer pieces (MLX mirror of ``core/torch_model/blocks.py``).

RMSNorm with fp32 statistics, attention with per-head q/k RMSNorm, RoPE (rotate-half), grouped
K/V heads (MLX's fused attention takes them untiled), optional ±window band, causal option and
upstream's additive key-padding mask; SwiGLU MLP; the pre-norm encoder layer and stack.

Precision (bf16 weights on Metal, see backend.precision_for): RMSNorm statistics are always
computed in fp32 and cast back; masks use the *activation dtype's* most negative finite value
(torch's ``finfo(dtype).min``), never float32's min cast down — that rounds to -inf in bf16 and
a fully masked row would turn into NaN instead of a uniform average.
"""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn

NEG = -3.4028234663852886e38  # finfo(float32).min, upstream's additive mask value


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = mx.ones((dim,))
        self.eps = eps

    def __call__(self, x: mx.array) -> mx.array:
        # statistics in fp32 whatever the activation dtype (bf16 mean-of-squares loses digits
        # on large activations), normalised value cast back, then the weight: as torch_model
        h = x.astype(mx.float32)
        h = h * mx.rsqrt(mx.mean(h * h, axis=-1, keepdims=True) + self.eps)
        return self.weight * h.astype(x.dtype)


class RotaryEmbedding(nn.Module):
    def __init__(self, head_dim: int, theta: float) -> None:
        super().__init__()
        self.head_dim, self.theta = head_dim, theta

    def __call__(self, length: int, dtype) -> tuple[mx.array, mx.array]:
        exponents = mx.arange(0, self.head_dim, 2, dtype=mx.float32) / self.head_dim
        inv_freq = 1.0 / (self.theta ** exponents)
        freqs = mx.arange(length, dtype=mx.float32)[:, None] * inv_freq[None, :]
        emb = mx.concatenate([freqs, freqs], axis=-1)
        return mx.cos(emb).astype(dtype), mx.sin(emb).astype(dtype)


def _rotate_half(x: mx.array) -> mx.array:
    half = x.shape[-1] // 2
    return mx.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rope(x: mx.array, cos: mx.array, sin: mx.array) -> mx.array:
    return x * cos + _rotate_half(x) * sin


def attention_mask(length: int, *, window: int | None = None, causal: bool = False,
                   key_padding: mx.array | None = None, dtype=mx.float32, start: int = 0) -> mx.array | None:
    """Additive mask [B or 1, 1, L − start, L] in ``dtype`` (0 allowed, ``finfo(dtype).min`` elsewhere), or None.

    Additive everywhere (not boolean) so a padded query that sees no valid key averages all
    values uniformly, exactly as upstream's masks do (see the torch mirror). ``start``: the
    queries are positions start…L−1 only (a prefill that resumes after cached keys).
    """
    if window is None and not causal and key_padding is None:
        return None
    i = mx.arange(start, length)[:, None]
    j = mx.arange(length)[None, :]
    allowed = mx.ones((length - start, length), dtype=mx.bool_)
    if window is not None:
        allowed = allowed & (mx.abs(i - j) <= window)
    if causal:
        allowed = allowed & (j <= i)
    allowed = allowed[None, None]
    if key_padding is not None:
        allowed = allowed & key_padding.astype(mx.bool_)[:, None, None, :]
    return mx.where(allowed, mx.array(0.0, dtype=dtype), mx.array(_mask_min(dtype), dtype=dtype))


def _mask_min(dtype) -> float:
    """The additive mask value for ``dtype``: float32's min (upstream's NEG) or bf16's own min."""
    return NEG if dtype == mx.float32 else float(mx.finfo(dtype).min)


class Attention(nn.Module):
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

    def __call__(self, x: mx.array, rope=None, mask: mx.array | None = None, context: mx.array | None = None) -> mx.array:
        b, length, _ = x.shape
        source = context if self.cross else x
        q = self.q_norm(self.q_proj(x).reshape(b, length, self.heads, self.head_dim)).transpose(0, 2, 1, 3)
        k = self.k_norm(self.k_proj(source).reshape(b, source.shape[1], self.kv_heads, self.head_dim)).transpose(0, 2, 1, 3)
        v = self.v_proj(source).reshape(b, source.shape[1], self.kv_heads, self.head_dim).transpose(0, 2, 1, 3)
        if rope is not None and not self.cross:
            cos, sin = rope
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if mask is not None and mask.dtype != q.dtype:
            # clip first: float32's min is -inf in bf16 (a fully masked row would give NaN)
            mask = mx.maximum(mask, _mask_min(q.dtype)).astype(q.dtype)
        out = mx.fast.scaled_dot_product_attention(q, k, v, scale=self.head_dim ** -0.5, mask=mask)
        return self.o_proj(out.transpose(0, 2, 1, 3).reshape(b, length, self.heads * self.head_dim))


class SwiGLUMLP(nn.Module):
    def __init__(self, hidden: int, intermediate: int) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(hidden, intermediate, bias=False)
        self.up_proj = nn.Linear(hidden, intermediate, bias=False)
        self.down_proj = nn.Linear(intermediate, hidden, bias=False)

    def __call__(self, x: mx.array) -> mx.array:
        return self.down_proj(nn.silu(self.gate_proj(x)) * self.up_proj(x))


class EncoderLayer(nn.Module):
    def __init__(self, hidden: int, intermediate: int, heads: int, kv_heads: int, head_dim: int, eps: float) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(hidden, eps)
        self.self_attn = Attention(hidden, heads, kv_heads, head_dim, eps)
        self.post_attention_layernorm = RMSNorm(hidden, eps)
        self.mlp = SwiGLUMLP(hidden, intermediate)

    def __call__(self, x: mx.array, rope, mask: mx.array | None) -> mx.array:
        x = x + self.self_attn(self.input_layernorm(x), rope=rope, mask=mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class EncoderStack(nn.Module):
    def __init__(self, in_dim: int, hidden: int, intermediate: int, heads: int, kv_heads: int, head_dim: int,
                 eps: float, theta: float, num_layers: int, windows: list[int | None]) -> None:
        super().__init__()
        self.embed_tokens = nn.Linear(in_dim, hidden)
        self.layers = [EncoderLayer(hidden, intermediate, heads, kv_heads, head_dim, eps) for _ in range(num_layers)]
        self.norm = RMSNorm(hidden, eps)
        self.rotary_emb = RotaryEmbedding(head_dim, theta)
        self.windows = windows

    def run_layers(self, h: mx.array, key_padding: mx.array | None = None) -> mx.array:
        rope = self.rotary_emb(h.shape[1], h.dtype)
        masks: dict = {}
        for layer, window in zip(self.layers, self.windows, strict=True):
            if window not in masks:
                masks[window] = attention_mask(h.shape[1], window=window, key_padding=key_padding, dtype=h.dtype)
            h = layer(h, rope, masks[window])
        return self.norm(h)
