"""Qwen3 in torch: the caption text encoder (Qwen3-Embedding-0.6B) and the 5 Hz LM.

Both are a token embedding, causal pre-norm layers (the shared ``EncoderLayer`` with q/k norm
and RoPE) and a final norm. The text encoder returns ``last_hidden_state`` and is called
without an attention mask, exactly like upstream (right-padded positions are computed too);
lyrics only go through ``embed_tokens``. The LM adds a head tied to the embedding table.
Checkpoint keys may or may not carry a ``model.`` prefix; the loader strips it.
Mirrored in ``core/mlx_model/qwen3.py``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mixgrv_app.core.configs import Qwen3Config
from mixgrv_app.core.torch_model.blocks import EncoderLayer, RMSNorm, RotaryEmbedding, apply_rope, attention_mask


class Qwen3TextEncoder(nn.Module):
    def __init__(self, config: Qwen3Config) -> None:
        super().__init__()
        c = config
        self.config = config
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(
            EncoderLayer(c.hidden_size, c.intermediate_size, c.num_attention_heads, c.num_key_value_heads, c.head_dim,
                         c.rms_norm_eps)
            for _ in range(c.num_hidden_layers)
        )
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.rotary_emb = RotaryEmbedding(c.head_dim, c.rope_theta)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """ids [B, L] → last_hidden_state [B, L, hidden] (causal, no padding mask)."""
        h = self.embed_tokens(input_ids)
        length = h.shape[1]
        rope = self.rotary_emb(length, h.device, h.dtype)
        mask = attention_mask(length, device=h.device, causal=True)
        for layer in self.layers:
            h = layer(h, rope, mask)
        return self.norm(h)


class LMCache:
    """Per-layer K/V buffers preallocated for ``capacity`` positions, plus the key mask.

    Rows are left-padded (upstream's CFG batch): ``valid`` marks real keys. Positions are the
    buffer slots 0…capacity−1 for every row, as transformers does for a padded batch without
    position ids (only absolute positions shift; relative ones, which RoPE uses, do not). A row's
    keys may be copied into another cache's row, rotated to their new slots (``copy_row``): that is
    how a prompt prefix computed once is reused (``core/lm/prefix.py``).
    """

    def __init__(self, model: "Qwen3CausalLM", batch: int, capacity: int, device, dtype) -> None:
        c = model.config
        shape = (batch, c.num_key_value_heads, capacity, c.head_dim)
        self.k = [torch.empty(shape, device=device, dtype=dtype) for _ in range(c.num_hidden_layers)]
        self.v = [torch.empty(shape, device=device, dtype=dtype) for _ in range(c.num_hidden_layers)]
        self.valid = torch.ones(batch, capacity, dtype=torch.bool, device=device)
        self.rope = model.rotary_emb
        self.cos, self.sin = self.rope(capacity, device, dtype)
        self.capacity = capacity
        self.length = 0
        self.padded = False
        self._decode_mask: torch.Tensor | None = None

    def grow(self, end: int, step: int = 256) -> None:
        """Make room for slots up to ``end`` (by at least ``step`` slots): a run whose length is
        only capped (the CoT, the understand modes) starts small instead of reserving the cap."""
        if end <= self.capacity:
            return
        extra = max(end, self.capacity + step) - self.capacity
        for buffers in (self.k, self.v):
            for i, t in enumerate(buffers):
                buffers[i] = torch.cat([t, t.new_zeros(t.shape[0], t.shape[1], extra, t.shape[3])], dim=2)
        self.valid = torch.cat([self.valid, self.valid.new_ones(self.valid.shape[0], extra)], dim=1)
        self.capacity += extra
        self.cos, self.sin = self.rope(self.capacity, self.cos.device, self.cos.dtype)
        self._decode_mask = None

    def set_valid(self, valid: torch.Tensor | None) -> None:
        """Mark the left pads of the first ``valid.shape[1]`` slots (``valid`` [B, W] bool)."""
        if valid is not None and not bool(valid.all()):
            self.valid[:, : valid.shape[1]] = valid
            self.padded = True
            self._decode_mask = None

    def copy_row(self, row: int, source: "LMCache", source_row: int, source_start: int, start: int, count: int) -> None:
        """``count`` slots of ``source``'s row ``source_row`` from ``source_start`` into this cache's
        row ``row`` at ``start``; the slots before ``start`` are zeroed (pads: masked, but finite).

        A key moved by d = start − source_start slots is rotated by d positions (RoPE rotations add
        up: R(p + d) = R(d)·R(p)), so it is the key that position would have had; values move as they are."""
        shift = start - source_start
        cos, sin = self.cos[abs(shift)], self.sin[abs(shift)] * (1.0 if shift >= 0 else -1.0)
        for layer in range(len(self.k)):
            keys = source.k[layer][source_row, :, source_start:source_start + count]
            self.k[layer][row, :, start:start + count] = apply_rope(keys, cos, sin) if shift else keys
            self.v[layer][row, :, start:start + count] = source.v[layer][source_row, :, source_start:source_start + count]
            self.k[layer][row, :, :start] = 0
            self.v[layer][row, :, :start] = 0

    def trimmed(self) -> "LMCache":
        """A copy holding only the filled slots (what is kept for reuse; frees the rest)."""
        out = object.__new__(LMCache)
        out.__dict__.update(self.__dict__)
        out.k = [k[:, :, : self.length].clone() for k in self.k]
        out.v = [v[:, :, : self.length].clone() for v in self.v]
        out.valid = self.valid[:, : self.length].clone()
        out.cos, out.sin = self.cos[: self.length], self.sin[: self.length]
        out.capacity, out._decode_mask = self.length, None
        return out

    def decode_mask(self, dtype) -> torch.Tensor | None:
        """Additive [B, 1, 1, capacity] mask hiding the left pads (None without padding)."""
        if not self.padded:
            return None
        if self._decode_mask is None:
            m = torch.zeros(self.valid.shape, dtype=dtype, device=self.valid.device)
            self._decode_mask = m.masked_fill_(~self.valid, torch.finfo(dtype).min)[:, None, None, :]
        return self._decode_mask[..., : self.length + 1]


class Qwen3CausalLM(Qwen3TextEncoder):
    """The 5 Hz LM: the same body with an output head tied to ``embed_tokens``, plus cached
    prefill/decode for generation (``core/lm/engine.py`` drives them)."""

    def logits(self, input_ids: torch.Tensor) -> torch.Tensor:
        return F.linear(self.forward(input_ids), self.embed_tokens.weight)

    def new_cache(self, batch: int, capacity: int) -> LMCache:
        w = self.embed_tokens.weight
        return LMCache(self, batch, capacity, w.device, w.dtype)

    def _attend(self, layer, x: torch.Tensor, cache: LMCache, index: int, start: int, mask, rows: slice) -> torch.Tensor:
        attn = layer.self_attn
        b, length, _ = x.shape
        q = attn.q_norm(attn.q_proj(x).view(b, length, attn.heads, attn.head_dim)).transpose(1, 2)
        k = attn.k_norm(attn.k_proj(x).view(b, length, attn.kv_heads, attn.head_dim)).transpose(1, 2)
        v = attn.v_proj(x).view(b, length, attn.kv_heads, attn.head_dim).transpose(1, 2)
        cos, sin = cache.cos[start:start + length], cache.sin[start:start + length]
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        end = start + length
        cache.k[index][rows, :, start:end] = k
        cache.v[index][rows, :, start:end] = v
        keys, values = cache.k[index][rows, :, :end], cache.v[index][rows, :, :end]
        out = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask, scale=attn.head_dim ** -0.5,
                                             enable_gqa=attn.kv_heads != attn.heads)
        return attn.o_proj(out.transpose(1, 2).reshape(b, length, attn.heads * attn.head_dim))

    def _run(self, ids: torch.Tensor, cache: LMCache, mask, logits: bool = True, start: int | None = None,
             rows: slice = slice(None)) -> torch.Tensor:
        start = cache.length if start is None else start
        h = self.embed_tokens(ids)
        for i, layer in enumerate(self.layers):
            h = h + self._attend(layer, layer.input_layernorm(h), cache, i, start, mask, rows)
            h = h + layer.mlp(layer.post_attention_layernorm(h))
        cache.length = max(cache.length, start + ids.shape[1])
        last = self.norm(h[:, -1])
        return F.linear(last, self.embed_tokens.weight).float() if logits else last

    @torch.inference_mode()
    def prefill(self, ids: torch.Tensor, valid: torch.Tensor | None, cache: LMCache, logits: bool = True) -> torch.Tensor:
        """Prompt ids [B, L] (left-padded; ``valid`` [B, L] bool marks real tokens) → next-token
        logits [B, V] in float32 (``logits=False``: the final-norm hidden state [B, H], for a head
        over only the tokens that may come next); fills the cache's first L slots."""
        cache.set_valid(valid)
        return self.extend(ids, cache, 0, logits=logits)

    @torch.inference_mode()
    def extend(self, ids: torch.Tensor, cache: LMCache, start: int, row: int | None = None,
               logits: bool = True) -> torch.Tensor:
        """Prompt ids at slots start…start+L−1 of every row (``row``: of that row only, ids [1, L]),
        attending to the keys already cached before ``start``: a prefill that resumes after a
        reused prefix. Returns what :meth:`prefill` returns, for those rows."""
        rows = slice(None) if row is None else slice(row, row + 1)
        end = start + ids.shape[1]
        cache.grow(end)
        padding = cache.valid[rows, :end] if cache.padded else None
        mask = attention_mask(end, device=ids.device, causal=True, key_padding=padding,
                              dtype=self.embed_tokens.weight.dtype, start=start)
        return self._run(ids, cache, mask, logits, start=start, rows=rows)

    @torch.inference_mode()
    def decode(self, ids: torch.Tensor, cache: LMCache, logits: bool = True) -> torch.Tensor:
        """One new token per row [B, 1] → next-token logits [B, V] (float32), or the hidden state."""
        cache.grow(cache.length + ids.shape[1])
        return self._run(ids, cache, cache.decode_mask(self.embed_tokens.weight.dtype), logits)

    @torch.no_grad()
    def greedy(self, input_ids: torch.Tensor, max_new_tokens: int, eos_token_id: int | None = None) -> torch.Tensor:
        """Greedy continuation with the cache (no constraints: module tests and quick checks)."""
        cache = self.new_cache(input_ids.shape[0], input_ids.shape[1] + max_new_tokens)
        logits = self.prefill(input_ids, None, cache)
        out = []
        for step in range(max_new_tokens):
            nxt = logits.argmax(-1, keepdim=True)
            out.append(nxt)
            if step + 1 == max_new_tokens or (eos_token_id is not None and bool((nxt == eos_token_id).all())):
                break
            logits = self.decode(nxt, cache)
        return torch.cat(out, dim=1)
