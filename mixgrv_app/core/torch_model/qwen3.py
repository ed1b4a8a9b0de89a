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
from mixgrv_app.core.torch_model.blocks import EncoderLayer, RMSNorm, RotaryEmbedding, attention_mask


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


class Qwen3CausalLM(Qwen3TextEncoder):
    """The 5 Hz LM: the same body with an output head tied to ``embed_tokens``."""

    def logits(self, input_ids: torch.Tensor) -> torch.Tensor:
        return F.linear(self.forward(input_ids), self.embed_tokens.weight)

    @torch.no_grad()
    def greedy(self, input_ids: torch.Tensor, max_new_tokens: int, eos_token_id: int | None = None) -> torch.Tensor:
        """Greedy continuation (no cache: the LM here serves tests and short prompts)."""
        ids = input_ids
        for _ in range(max_new_tokens):
            nxt = self.logits(ids)[:, -1].argmax(-1, keepdim=True)
            ids = torch.cat([ids, nxt], dim=1)
            if eos_token_id is not None and bool((nxt == eos_token_id).all()):
                break
        return ids[:, input_ids.shape[1]:]
