"""The condition encoder in MLX (mirror of ``core/torch_model/condition.py``)."""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn
import numpy as np

from mixgrv_app.core.configs import DiTConfig
from mixgrv_app.core.mlx_model.blocks import EncoderStack


def pack_sequences(a: mx.array, b: mx.array, mask_a: mx.array, mask_b: mx.array) -> tuple[mx.array, mx.array]:
    """Concatenate along time; valid rows first in their original order (stable), pads last."""
    x = mx.concatenate([a, b], axis=1)
    mask = mx.concatenate([mask_a.astype(mx.bool_), mask_b.astype(mx.bool_)], axis=1)
    order = mx.array(np.argsort(~np.array(mask), axis=1, kind="stable"))
    x = mx.take_along_axis(x, order[..., None], axis=1)
    lengths = mask.astype(mx.int32).sum(axis=1, keepdims=True)
    return x, mx.arange(x.shape[1])[None, :] < lengths


class LyricEncoder(EncoderStack):
    def __call__(self, lyric_embeddings: mx.array, mask: mx.array) -> mx.array:
        return self.run_layers(self.embed_tokens(lyric_embeddings), key_padding=mask.astype(mx.bool_))


class TimbreEncoder(EncoderStack):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.special_token = mx.zeros((1, 1, kwargs["hidden"]))  # stored upstream, never used

    def __call__(self, packed: mx.array, order: mx.array, batch: int) -> tuple[mx.array, mx.array]:
        rows = self.run_layers(self.embed_tokens(packed))[:, 0, :]
        order_np = np.array(order).astype(np.int64)
        refs = max(1, int(np.bincount(order_np, minlength=batch).max()) if order_np.size else 1)
        index = np.zeros((batch, refs), dtype=np.int64)
        valid = np.zeros((batch, refs), dtype=bool)
        slot = np.zeros(batch, dtype=np.int64)
        for n, item in enumerate(order_np.tolist()):
            index[item, slot[item]] = n
            valid[item, slot[item]] = True
            slot[item] += 1
        gathered = rows[mx.array(index.reshape(-1))].reshape(batch, refs, -1)
        mask = mx.array(valid)
        return mx.where(mask[..., None], gathered, mx.zeros_like(gathered)), mask


class ConditionEncoder(nn.Module):
    def __init__(self, config: DiTConfig) -> None:
        super().__init__()
        c = config
        self.text_projector = nn.Linear(c.text_hidden_dim, c.condition_width, bias=False)
        self.lyric_encoder = LyricEncoder(**c.encoder_stack_args(c.text_hidden_dim, c.num_lyric_encoder_hidden_layers))
        self.timbre_encoder = TimbreEncoder(**c.encoder_stack_args(c.timbre_hidden_dim, c.num_timbre_encoder_hidden_layers))

    def __call__(self, text_hidden_states, text_attention_mask, lyric_hidden_states, lyric_attention_mask,
                 refer_audio_packed, refer_audio_order_mask):
        text = self.text_projector(text_hidden_states)
        lyrics = self.lyric_encoder(lyric_hidden_states, lyric_attention_mask)
        timbre, timbre_mask = self.timbre_encoder(refer_audio_packed, refer_audio_order_mask, text.shape[0])
        states, mask = pack_sequences(lyrics, timbre, lyric_attention_mask, timbre_mask)
        return pack_sequences(states, text, mask, text_attention_mask)
