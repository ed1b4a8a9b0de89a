"""Qwen3 text encoder and 5 Hz LM in MLX (mirror of ``core/torch_model/qwen3.py``), with the LM's
cached prefill/decode for generation. Never imports torch."""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn

from mixgrv_app.core.configs import Qwen3Config
from mixgrv_app.core.mlx_model.blocks import EncoderLayer, RMSNorm, RotaryEmbedding, apply_rope, attention_mask, _mask_min


class Qwen3TextEncoder(nn.Module):
    def __init__(self, config: Qwen3Config) -> None:
        super().__init__()
        c = config
        self._config = config
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = [EncoderLayer(c.hidden_size, c.intermediate_size, c.num_attention_heads, c.num_key_value_heads,
                                    c.head_dim, c.rms_norm_eps) for _ in range(c.num_hidden_layers)]
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.rotary_emb = RotaryEmbedding(c.head_dim, c.rope_theta)

    @property
    def config(self) -> Qwen3Config:
        return self._config

    def __call__(self, input_ids: mx.array) -> mx.array:
        h = self.embed_tokens(input_ids)
        rope = self.rotary_emb(h.shape[1], h.dtype)
        mask = attention_mask(h.shape[1], causal=True, dtype=h.dtype)
        for layer in self.layers:
            h = layer(h, rope, mask)
        return self.norm(h)


class LMCache:
    """Per-layer K/V buffers for ``capacity`` positions and the key mask (mirror of the torch
    ``LMCache``: left-padded rows, shared positions 0…capacity−1, rows copyable with rotated keys)."""

    def __init__(self, model: "Qwen3CausalLM", batch: int, capacity: int, dtype) -> None:
        c = model.config
        shape = (batch, c.num_key_value_heads, capacity, c.head_dim)
        self.k = [mx.zeros(shape, dtype=dtype) for _ in range(c.num_hidden_layers)]
        self.v = [mx.zeros(shape, dtype=dtype) for _ in range(c.num_hidden_layers)]
        self.valid = mx.ones((batch, capacity), dtype=mx.bool_)
        self.rope = model.rotary_emb
        self.cos, self.sin = self.rope(capacity, dtype)
        self.capacity = capacity
        self.length = 0
        self.padded = False
        self.dtype = dtype
        self.additive: mx.array | None = None  # [B, 1, 1, capacity] when rows are padded

    def grow(self, end: int, step: int = 256) -> None:
        """Make room for slots up to ``end`` (by at least ``step`` slots; see the torch mirror)."""
        if end <= self.capacity:
            return
        extra = max(end, self.capacity + step) - self.capacity
        for buffers in (self.k, self.v):
            for i, t in enumerate(buffers):
                buffers[i] = mx.concatenate([t, mx.zeros((t.shape[0], t.shape[1], extra, t.shape[3]), dtype=t.dtype)], axis=2)
        self.valid = mx.concatenate([self.valid, mx.ones((self.valid.shape[0], extra), dtype=mx.bool_)], axis=1)
        self.capacity += extra
        self.cos, self.sin = self.rope(self.capacity, self.dtype)
        if self.additive is not None:
            self.additive = self._additive()

    def _additive(self) -> mx.array:
        dtype = self.dtype
        return mx.where(self.valid, mx.array(0.0, dtype=dtype), mx.array(_mask_min(dtype), dtype=dtype))[:, None, None, :]

    def set_valid(self, valid: mx.array | None) -> None:
        """Mark the left pads of the first ``valid.shape[1]`` slots (``valid`` [B, W] bool)."""
        if valid is not None and not bool(mx.all(valid)):
            rest = mx.ones((valid.shape[0], self.capacity - valid.shape[1]), dtype=mx.bool_)
            self.valid = mx.concatenate([valid.astype(mx.bool_), rest], axis=1)
            self.padded = True
            self.additive = self._additive()

    def copy_row(self, row: int, source: "LMCache", source_row: int, source_start: int, start: int, count: int) -> None:
        """``count`` slots of ``source``'s row ``source_row`` from ``source_start`` into this cache's
        row ``row`` at ``start`` (keys rotated by the slot shift; see the torch mirror). The slots
        before ``start`` stay zero (pads)."""
        shift = start - source_start
        cos, sin = self.cos[abs(shift)], self.sin[abs(shift)] * (1.0 if shift >= 0 else -1.0)
        for layer in range(len(self.k)):
            keys = source.k[layer][source_row, :, source_start:source_start + count, :]
            self.k[layer][row, :, start:start + count, :] = apply_rope(keys, cos, sin) if shift else keys
            self.v[layer][row, :, start:start + count, :] = source.v[layer][source_row, :, source_start:source_start + count, :]

    def trimmed(self) -> "LMCache":
        """A copy holding only the filled slots (what is kept for reuse; frees the rest)."""
        out = object.__new__(LMCache)
        out.__dict__.update(self.__dict__)
        out.k = [mx.array(k[:, :, : self.length, :]) for k in self.k]
        out.v = [mx.array(v[:, :, : self.length, :]) for v in self.v]
        mx.eval(out.k, out.v)
        out.valid = self.valid[:, : self.length]
        out.cos, out.sin = self.cos[: self.length], self.sin[: self.length]
        out.capacity, out.additive = self.length, None
        return out

    def decode_mask(self) -> mx.array | None:
        return None if self.additive is None else self.additive[..., : self.length + 1]


class Qwen3CausalLM(Qwen3TextEncoder):
    """The 5 Hz LM: output head tied to ``embed_tokens``; cached prefill/decode for generation."""

    def logits(self, input_ids: mx.array) -> mx.array:
        return self.embed_tokens.as_linear(self(input_ids))

    def new_cache(self, batch: int, capacity: int) -> LMCache:
        emb = self.embed_tokens  # a quantized embedding keeps its compute dtype in the scales
        return LMCache(self, batch, capacity, getattr(emb, "scales", emb.weight).dtype)

    def _attend(self, layer, x: mx.array, cache: LMCache, index: int, start: int, mask, rows: slice) -> mx.array:
        attn = layer.self_attn
        b, length, _ = x.shape
        q = attn.q_norm(attn.q_proj(x).reshape(b, length, attn.heads, attn.head_dim)).transpose(0, 2, 1, 3)
        k = attn.k_norm(attn.k_proj(x).reshape(b, length, attn.kv_heads, attn.head_dim)).transpose(0, 2, 1, 3)
        v = attn.v_proj(x).reshape(b, length, attn.kv_heads, attn.head_dim).transpose(0, 2, 1, 3)
        end = start + length
        cos, sin = cache.cos[start:end], cache.sin[start:end]
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        cache.k[index][rows, :, start:end, :] = k
        cache.v[index][rows, :, start:end, :] = v
        keys, values = cache.k[index][rows, :, :end, :], cache.v[index][rows, :, :end, :]
        out = mx.fast.scaled_dot_product_attention(q, keys, values, scale=attn.head_dim ** -0.5, mask=mask)
        return attn.o_proj(out.transpose(0, 2, 1, 3).reshape(b, length, attn.heads * attn.head_dim))

    def _run(self, ids: mx.array, cache: LMCache, mask, logits: bool = True, start: int | None = None,
             rows: slice = slice(None)) -> mx.array:
        start = cache.length if start is None else start
        h = self.embed_tokens(ids)
        for i, layer in enumerate(self.layers):
            h = h + self._attend(layer, layer.input_layernorm(h), cache, i, start, mask, rows)
            h = h + layer.mlp(layer.post_attention_layernorm(h))
        cache.length = max(cache.length, start + ids.shape[1])
        last = self.norm(h[:, -1])
        return self.embed_tokens.as_linear(last).astype(mx.float32) if logits else last

    def prefill(self, ids: mx.array, valid: mx.array | None, cache: LMCache, logits: bool = True) -> mx.array:
        """Prompt ids [B, L] (left-padded; ``valid`` [B, L] bool) → next-token logits [B, V] float32
        (``logits=False``: the final-norm hidden state [B, H])."""
        cache.set_valid(valid)
        return self.extend(ids, cache, 0, logits=logits)

    def extend(self, ids: mx.array, cache: LMCache, start: int, row: int | None = None, logits: bool = True) -> mx.array:
        """Prompt ids at slots start…start+L−1 of every row (``row``: of that row only, ids [1, L]),
        attending to the keys cached before ``start`` (a prefill that resumes after a reused prefix)."""
        rows = slice(None) if row is None else slice(row, row + 1)
        end = start + ids.shape[1]
        cache.grow(end)
        padding = cache.valid[rows, :end] if cache.padded else None
        mask = attention_mask(end, causal=True, key_padding=padding, dtype=cache.dtype, start=start)
        return self._run(ids, cache, mask, logits, start=start, rows=rows)

    def decode(self, ids: mx.array, cache: LMCache, logits: bool = True) -> mx.array:
        """One new token per row [B, 1] → next-token logits [B, V] float32, or the hidden state."""
        cache.grow(cache.length + ids.shape[1])
        return self._run(ids, cache, cache.decode_mask(), logits)

    def greedy(self, input_ids: mx.array, max_new_tokens: int, eos_token_id: int | None = None) -> mx.array:
        """Greedy continuation with the cache (no constraints: module tests and quick checks)."""
        cache = self.new_cache(input_ids.shape[0], input_ids.shape[1] + max_new_tokens)
        logits = self.prefill(input_ids, None, cache)
        out = []
        for step in range(max_new_tokens):
            nxt = mx.argmax(logits, axis=-1)[:, None].astype(input_ids.dtype)
            out.append(nxt)
            if step + 1 == max_new_tokens or (eos_token_id is not None and bool(mx.all(nxt == eos_token_id))):
                break
            logits = self.decode(nxt, cache)
        return mx.concatenate(out, axis=1)
