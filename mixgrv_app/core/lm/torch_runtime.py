"""The 5 Hz LM on torch: prompt rows → cached prefill/decode, and the sampler's steps on device.

Implements the runtime the engine drives (``core/lm/engine.py``): ``start`` left-pads 1 or 2
rows (cond, uncond) into one batch and prefills; ``row`` gives this step's float32 scores (CFG
combined when there are two rows); ``scores`` wraps them for the constrained decoder's top-1
questions; ``choose`` applies the decoder's allowed set and the sampler rule of
``core/lm/sampler.py`` on device, so only the chosen id crosses to the host; ``feed`` appends
one token to every row. Big masks (codes, caption) are uploaded once per key and reused.
"""

from __future__ import annotations

import numpy as np
import torch

from mixgrv_app.core.lm.fsm import Allowed
from mixgrv_app.core.lm.sampler import SamplingParams


class TorchScores:
    def __init__(self, row: torch.Tensor) -> None:
        self.row = row

    def top1(self) -> int:
        return int(torch.argmax(self.row))

    def top1_among(self, ids: np.ndarray) -> int:
        idx = torch.as_tensor(ids, device=self.row.device)
        return int(ids[int(torch.argmax(self.row[idx]))])


class TorchLMRuntime:
    name = "torch"

    def __init__(self, model, device=None) -> None:
        self.model = model
        self.device = device or model.embed_tokens.weight.device
        self._masks: dict = {}
        self.cache = None
        self.logits: torch.Tensor | None = None

    def start(self, rows: list[list[int]], pad_id: int, capacity: int) -> list[list[int]]:
        """Left-pad ``rows`` into one batch and prefill; returns the padded rows."""
        width = max(len(r) for r in rows)
        padded = [[pad_id] * (width - len(r)) + list(r) for r in rows]
        ids = torch.tensor(padded, dtype=torch.long, device=self.device)
        valid = torch.tensor([[False] * (width - len(r)) + [True] * len(r) for r in rows], device=self.device)
        self.cache = self.model.new_cache(len(rows), max(capacity, width + 1))
        self.logits = self.model.prefill(ids, valid, self.cache)
        return padded

    def feed(self, token: int) -> None:
        ids = torch.full((self.logits.shape[0], 1), int(token), dtype=torch.long, device=self.device)
        self.logits = self.model.decode(ids, self.cache)

    def release(self) -> None:
        self.cache = None
        self.logits = None

    def row(self, cfg_scale: float) -> torch.Tensor:
        x = self.logits
        if x.shape[0] == 2:
            return x[1] + cfg_scale * (x[0] - x[1])
        return x[0]

    def scores(self, row: torch.Tensor) -> TorchScores:
        return TorchScores(row)

    def _device(self, key, array: np.ndarray) -> torch.Tensor:
        found = self._masks.get(key)
        if found is None:
            if len(self._masks) > 512:
                self._masks.clear()
            found = self._masks[key] = torch.as_tensor(np.array(array), device=self.device)
        return found

    def masked(self, row: torch.Tensor, allowed: Allowed | None) -> torch.Tensor:
        if allowed is None:
            return row.clone()
        if allowed.mask is not None:
            mask = self._device(allowed.key, allowed.mask)
            return torch.where(mask, row, torch.tensor(float("-inf"), device=row.device))
        idx = self._device(allowed.key, allowed.ids)
        out = torch.full_like(row, float("-inf"))
        out[idx] = row[idx]
        return out

    def choose(self, row: torch.Tensor, allowed: Allowed | None, params: SamplingParams, history, u: float) -> int:
        x = self.masked(row, allowed)
        if params.repetition_penalty != 1.0 and history:
            ids = torch.as_tensor(np.unique(np.asarray(history, dtype=np.int64)), device=x.device)
            picked = x[ids]
            x[ids] = torch.where(picked < 0, picked * params.repetition_penalty, picked / params.repetition_penalty)
        if params.greedy:
            return int(torch.argmax(x))
        if params.k:
            kth = torch.topk(x, min(params.k, x.numel())).values[-1]
            x = x.masked_fill(x < kth, float("-inf"))
        if params.p is not None:
            s, order = torch.sort(x, descending=True, stable=True)
            cum = torch.cumsum(torch.softmax(s, dim=-1), dim=-1)
            drop = torch.zeros_like(cum, dtype=torch.bool)
            drop[1:] = cum[:-1] > params.p
            x = x.index_put((order[drop],), torch.tensor(float("-inf"), device=x.device))
        cdf = torch.cumsum(torch.softmax(x / params.temperature, dim=-1), dim=-1)
        target = torch.tensor([u], dtype=cdf.dtype, device=cdf.device) * cdf[-1]
        return min(int(torch.searchsorted(cdf, target, right=True)), x.numel() - 1)
