"""The condition encoder of ACE-Step 1.5 (torch): caption, lyrics and timbre → one sequence.

* text: the Qwen3 caption states through ``text_projector`` (no bias);
* lyrics: raw token embeddings → ``lyric_encoder`` (band on even layers, padding mask applied);
* timbre: packed reference latents [N, T, 64] → ``timbre_encoder`` → row 0 of each (upstream's
  special token is stored but not prepended), scattered back per batch item by an order mask.

``pack_sequences`` then moves the valid rows of (lyrics, timbre) and of (that, text) to the
front, keeping their order: [lyric valid | timbre valid | text valid | pads]. Mirrored in
``core/mlx_model/condition.py``.
"""

from __future__ import annotations

import torch
from torch import nn

from mixgrv_app.core.configs import DiTConfig
from mixgrv_app.core.torch_model.blocks import EncoderStack


def pack_sequences(a: torch.Tensor, b: torch.Tensor, mask_a: torch.Tensor, mask_b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenate along time, then stable-sort rows so valid ones come first."""
    x = torch.cat([a, b], dim=1)
    mask = torch.cat([mask_a, mask_b], dim=1).to(torch.bool)
    order = torch.argsort(mask.to(torch.int8), dim=1, descending=True, stable=True)
    x = torch.gather(x, 1, order[..., None].expand(-1, -1, x.shape[-1]))
    lengths = mask.sum(dim=1, keepdim=True)
    packed_mask = torch.arange(x.shape[1], device=x.device)[None, :] < lengths
    return x, packed_mask


class LyricEncoder(EncoderStack):
    def forward(self, lyric_embeddings: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.run_layers(self.embed_tokens(lyric_embeddings), key_padding=mask.to(torch.bool))


class TimbreEncoder(EncoderStack):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        width = kwargs["hidden"]
        self.special_token = nn.Parameter(torch.zeros(1, 1, width))  # stored upstream, never used

    def forward(self, packed: torch.Tensor, order: torch.Tensor, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """packed [N, T, 64], order [N] (batch index of each reference) → ([B, R, C], mask [B, R])."""
        rows = self.run_layers(self.embed_tokens(packed))[:, 0, :]
        counts = torch.bincount(order, minlength=batch)
        refs = int(counts.max().item()) if counts.numel() else 0
        out = rows.new_zeros(batch, max(refs, 1), rows.shape[-1])
        mask = torch.zeros(batch, max(refs, 1), dtype=torch.bool, device=rows.device)
        slot = torch.zeros(batch, dtype=torch.long)
        for n, item in enumerate(order.tolist()):
            out[item, slot[item]] = rows[n]
            mask[item, slot[item]] = True
            slot[item] += 1
        return out, mask


class ConditionEncoder(nn.Module):
    def __init__(self, config: DiTConfig) -> None:
        super().__init__()
        c = config
        self.text_projector = nn.Linear(c.text_hidden_dim, c.condition_width, bias=False)
        self.lyric_encoder = LyricEncoder(**c.encoder_stack_args(c.text_hidden_dim, c.num_lyric_encoder_hidden_layers))
        self.timbre_encoder = TimbreEncoder(**c.encoder_stack_args(c.timbre_hidden_dim, c.num_timbre_encoder_hidden_layers))

    def forward(
        self,
        text_hidden_states: torch.Tensor,
        text_attention_mask: torch.Tensor,
        lyric_hidden_states: torch.Tensor,
        lyric_attention_mask: torch.Tensor,
        refer_audio_packed: torch.Tensor,
        refer_audio_order_mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        text = self.text_projector(text_hidden_states)
        lyrics = self.lyric_encoder(lyric_hidden_states, lyric_attention_mask)
        timbre, timbre_mask = self.timbre_encoder(refer_audio_packed, refer_audio_order_mask, text.shape[0])
        states, mask = pack_sequences(lyrics, timbre, lyric_attention_mask, timbre_mask)
        return pack_sequences(states, text, mask, text_attention_mask)

