"""Audio tokens (torch): 25 Hz latents → 5 Hz codes → 25 Hz hints.

``AudioTokenizer``: per-frame projection, then an ``AttentionPooler`` that prepends a learned
token to each group of 5 frames and keeps that row, then a one-level ``ResidualFSQ`` with
levels [8, 8, 8, 5, 5, 5] (64,000 codes). The FSQ is the symmetric variant upstream ships:
soft clamp tanh(z/c)·c with c = 1 + 1/(L−1), hard clamp to [−1, 1], round to L levels.
``AudioDetokenizer`` expands each code back to 5 frames (plus learned per-position tokens) and
projects to the 64 latent channels: the "LM hints" the DiT takes for cover and LM codes.
Mirrored in ``core/mlx_model/fsq.py``.
"""

from __future__ import annotations

import torch
from torch import nn

from mixgrv_app.core.configs import DiTConfig
from mixgrv_app.core.torch_model.blocks import EncoderStack


class ResidualFSQ(nn.Module):
    """One quantizer level of finite scalar quantization, as a module with upstream's keys."""

    def __init__(self, dim: int, levels: list[int]) -> None:
        super().__init__()
        self.levels = list(levels)
        self.project_in = nn.Linear(dim, len(levels))
        self.project_out = nn.Linear(len(levels), dim)
        self.register_buffer("_levels", torch.empty(0), persistent=False)
        self.register_buffer("_basis", torch.empty(0, dtype=torch.int64), persistent=False)
        self.init_buffers("cpu")

    def init_buffers(self, device) -> None:
        """Levels and mixed-radix basis (not stored in the files; recomputed after a meta build)."""
        self._levels = torch.tensor(self.levels, dtype=torch.float32, device=device)
        self._basis = torch.cumprod(torch.tensor([1] + self.levels[:-1], dtype=torch.int64, device=device), dim=0)

    @property
    def codebook_size(self) -> int:
        size = 1
        for level in self.levels:
            size *= level
        return size

    def quantize(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z [..., D] (after project_in) → (code values in [−1, 1], digits int64)."""
        levels = self._levels.to(z.device)
        z = z.float()
        clamp = 1.0 + 1.0 / (levels - 1.0)
        z = torch.tanh(z / clamp) * clamp
        z = z.clamp(-1.0, 1.0)
        digits = torch.floor((levels - 1.0) * (z + 1.0) / 2.0 + 0.5)
        values = digits * 2.0 / (levels - 1.0) - 1.0
        return values, digits.to(torch.int64)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x [B, T, dim] → (quantized [B, T, dim], indices int32 [B, T, 1])."""
        values, digits = self.quantize(self.project_in(x))
        indices = (digits * self._basis.to(digits.device)).sum(-1, keepdim=True).to(torch.int32)
        return self.project_out(values.to(self.project_out.weight.dtype)), indices

    def get_output_from_indices(self, indices: torch.Tensor) -> torch.Tensor:
        """indices [B, T, 1] (or [B, T]) → quantized [B, T, dim]."""
        idx = indices.reshape(*indices.shape[:2], 1).to(torch.int64)
        levels = self._levels.to(idx.device)
        digits = (idx // self._basis.to(idx.device)) % levels.to(torch.int64)
        values = digits.float() * 2.0 / (levels - 1.0) - 1.0
        return self.project_out(values.to(self.project_out.weight.dtype))


class AttentionPooler(EncoderStack):
    """Groups of ``window`` frames → one vector each, read from a prepended learned token."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.special_token = nn.Parameter(torch.zeros(1, 1, kwargs["hidden"]))

    def forward(self, groups: torch.Tensor) -> torch.Tensor:
        """groups [B, T5, W, C] → [B, T5, C]."""
        b, t5, w, c = groups.shape
        h = self.embed_tokens(groups).reshape(b * t5, w, c)
        h = torch.cat([self.special_token.expand(b * t5, 1, c).to(h.dtype), h], dim=1)
        return self.run_layers(h)[:, 0].reshape(b, t5, c)


class AudioTokenizer(nn.Module):
    def __init__(self, config: DiTConfig) -> None:
        super().__init__()
        c = config
        width = c.condition_width
        self.pool_window = c.pool_window_size
        self.audio_acoustic_proj = nn.Linear(c.audio_acoustic_hidden_dim, width)
        self.attention_pooler = AttentionPooler(**c.encoder_stack_args(width, c.num_attention_pooler_hidden_layers))
        self.quantizer = ResidualFSQ(c.fsq_dim, c.fsq_input_levels)

    def forward(self, latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """latents [B, T, 64] with T a multiple of the pool window → (quantized, indices)."""
        b, t, _ = latents.shape
        h = self.audio_acoustic_proj(latents).reshape(b, t // self.pool_window, self.pool_window, -1)
        return self.quantizer(self.attention_pooler(h))


class AudioDetokenizer(EncoderStack):
    """Quantized codes [B, T5, C] → hints [B, 5·T5, 64]."""

    def __init__(self, config: DiTConfig) -> None:
        c = config
        width = c.condition_width
        super().__init__(**c.encoder_stack_args(width, c.num_attention_pooler_hidden_layers))
        self.pool_window = c.pool_window_size
        self.special_tokens = nn.Parameter(torch.zeros(1, c.pool_window_size, width))
        self.proj_out = nn.Linear(width, c.audio_acoustic_hidden_dim)

    def forward(self, quantized: torch.Tensor) -> torch.Tensor:
        b, t5, c = quantized.shape
        h = self.embed_tokens(quantized)[:, :, None, :].expand(b, t5, self.pool_window, c)
        h = (h + self.special_tokens.to(h.dtype)).reshape(b * t5, self.pool_window, c)
        h = self.run_layers(h)
        return self.proj_out(h).reshape(b, t5 * self.pool_window, -1)
