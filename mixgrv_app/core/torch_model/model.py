"""``AceStepModel``: the whole ``acestep-v15-*/model.safetensors`` as one torch module.

It owns the DiT ``decoder``, the condition ``encoder``, the audio ``tokenizer`` /
``detokenizer`` and ``null_condition_emb`` (the "no condition" row used for CFG and training
dropout), with upstream's key names. ``prepare_condition`` builds what the DiT reads —
encoder states, their mask, and ``context_latents`` = [source | chunk mask] where cover items
use the 5 Hz tokenised-then-detokenised source as hints. Sampling lives in core/schedule.py and
core/pipeline.py, training in core/training.py. Mirrored in ``core/mlx_model/model.py``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mixgrv_app.core.configs import DiTConfig
from mixgrv_app.core.torch_model.condition import ConditionEncoder
from mixgrv_app.core.torch_model.dit import DiTDecoder
from mixgrv_app.core.torch_model.fsq import AudioDetokenizer, AudioTokenizer


class AceStepModel(nn.Module):
    def __init__(self, config: DiTConfig) -> None:
        super().__init__()
        self.config = config
        self.decoder = DiTDecoder(config)
        self.encoder = ConditionEncoder(config)
        self.tokenizer = AudioTokenizer(config)
        self.detokenizer = AudioDetokenizer(config)
        self.null_condition_emb = nn.Parameter(torch.zeros(1, 1, config.condition_width))

    def tokenize(self, latents: torch.Tensor, silence_latent: torch.Tensor,
                 attention_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """latents [B, T, 64] → (quantized [B, T5, C], indices int32 [B, T5, 1], mask [B, T5]).

        T is padded to a multiple of the pool window with the first frames of the silence
        latent ([1, ≥pad, 64], time-major) and a zero mask; the mask is max-pooled to 5 Hz.
        """
        b, t, _ = latents.shape
        window = self.config.pool_window_size
        if attention_mask is None:
            attention_mask = torch.ones(b, t, dtype=latents.dtype, device=latents.device)
        pad = (-t) % window
        if pad:
            filler = silence_latent[:, :pad].to(device=latents.device, dtype=latents.dtype).expand(b, pad, -1)
            latents = torch.cat([latents, filler], dim=1)
            attention_mask = F.pad(attention_mask, (0, pad))
        quantized, indices = self.tokenizer(latents)
        mask5 = attention_mask.reshape(b, -1, window).amax(dim=-1)
        return quantized, indices, mask5

    def detokenize(self, quantized: torch.Tensor) -> torch.Tensor:
        return self.detokenizer(quantized)

    def codes_to_hints(self, indices: torch.Tensor) -> torch.Tensor:
        """5 Hz code indices [B, T5] or [B, T5, 1] → 25 Hz hints [B, 5·T5, 64]."""
        return self.detokenize(self.tokenizer.quantizer.get_output_from_indices(indices))

    def prepare_condition(
        self,
        text_hidden_states: torch.Tensor,
        text_attention_mask: torch.Tensor,
        lyric_hidden_states: torch.Tensor,
        lyric_attention_mask: torch.Tensor,
        refer_audio_packed: torch.Tensor,
        refer_audio_order_mask: torch.Tensor,
        src_latents: torch.Tensor,
        chunk_masks: torch.Tensor,
        is_covers: torch.Tensor,
        silence_latent: torch.Tensor | None = None,
        precomputed_hints: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """→ (encoder_hidden_states [B, L, C], encoder_attention_mask bool [B, L], context_latents [B, T, 128])."""
        states, mask = self.encoder(text_hidden_states, text_attention_mask, lyric_hidden_states,
                                    lyric_attention_mask, refer_audio_packed, refer_audio_order_mask)
        frames = src_latents.shape[1]
        covers = is_covers.reshape(-1).to(torch.bool)
        src = src_latents
        if bool(covers.any()):
            if precomputed_hints is not None:
                hints = precomputed_hints[:, :frames]
            else:
                if silence_latent is None:
                    raise ValueError("silence_latent is needed to tokenize cover sources")
                quantized, _, _ = self.tokenize(src_latents, silence_latent)
                hints = self.detokenize(quantized)[:, :frames]
            src = torch.where(covers[:, None, None], hints.to(src.dtype), src)
        if chunk_masks.shape[-1] != src.shape[-1]:
            chunk_masks = chunk_masks[..., None].expand(-1, -1, src.shape[-1])
        return states, mask, torch.cat([src, chunk_masks.to(src.dtype)], dim=-1)
