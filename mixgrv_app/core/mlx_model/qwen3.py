"""Qwen3 text encoder and 5 Hz LM in MLX (mirror of ``core/torch_model/qwen3.py``)."""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn

from mixgrv_app.core.configs import Qwen3Config
from mixgrv_app.core.mlx_model.blocks import EncoderLayer, RMSNorm, RotaryEmbedding, attention_mask


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


class Qwen3CausalLM(Qwen3TextEncoder):
    def logits(self, input_ids: mx.array) -> mx.array:
        return self.embed_tokens.as_linear(self(input_ids))

    def greedy(self, input_ids: mx.array, max_new_tokens: int, eos_token_id: int | None = None) -> mx.array:
        ids = input_ids
        for _ in range(max_new_tokens):
            nxt = mx.argmax(self.logits(ids)[:, -1], axis=-1)[:, None]
            ids = mx.concatenate([ids, nxt.astype(ids.dtype)], axis=1)
            if eos_token_id is not None and bool(mx.all(nxt == eos_token_id)):
                break
        return ids[:, input_ids.shape[1]:]
