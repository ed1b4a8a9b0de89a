"""The 5 Hz LM on torch: prompt rows → cached prefill/decode, and the sampler's steps on device.

Implements the runtime the engine drives (``core/lm/engine.py``): ``start`` left-pads 1 or 2
rows (cond, uncond) into one batch and prefills, after any prefix the last run kept
(``core/lm/prefix.py``); ``step_scores`` gives this step's scores (CFG
combined when there are two rows) lazily — the tied head ``hidden · Eᵀ`` is computed only for
the tokens that are asked about: the whole vocabulary when the decoder needs the top-1 token or
a mask over most of it, but only the 64,000 code rows (a contiguous slice of the embedding, no
copy) in the codes phase, which is also where the sampler then runs; ``next_token`` applies the
allowed set and the sampler rule of ``core/lm/sampler.py``, so only the chosen id crosses to the
host; ``feed`` appends one token to every row. ``choose`` is the same rule on a full row.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from mixgrv_app.core.lm.fsm import Allowed
from mixgrv_app.core.lm.prefix import CachedRuntime
from mixgrv_app.core.lm.sampler import SLICES, SamplingParams, local_history, segments


class TorchScores:
    """Scores of a full row (tests, FSM parity)."""

    def __init__(self, row: torch.Tensor) -> None:
        self.row = row

    def top1(self) -> int:
        return int(torch.argmax(self.row))

    def top1_among(self, ids: np.ndarray) -> int:
        idx = torch.as_tensor(ids, device=self.row.device)
        return int(ids[int(torch.argmax(self.row[idx]))])


class LazyScores:
    """This step's CFG-combined scores, computed on demand (whole row, or some ids only)."""

    def __init__(self, runtime: "TorchLMRuntime", cfg_scale: float) -> None:
        self.rt, self.cfg = runtime, cfg_scale
        self._full: torch.Tensor | None = None

    def _combine(self, x: torch.Tensor) -> torch.Tensor:
        return x[1] + self.cfg * (x[0] - x[1]) if x.shape[0] == 2 else x[0]

    def full(self) -> torch.Tensor:
        if self._full is None:
            self._full = self._combine(F.linear(self.rt.hidden, self.rt.weight).float())
        return self._full

    def subset(self, key, ids: np.ndarray) -> torch.Tensor:
        if self._full is not None:
            return self._full[self.rt._device(("idx", key), ids)]
        return self._combine(self.rt._head(key, ids))

    def top1(self) -> int:
        return int(torch.argmax(self.full()))

    def top1_among(self, ids: np.ndarray) -> int:
        return int(ids[int(torch.argmax(self.subset(("among", tuple(ids.tolist())), ids)))])


class TorchLMRuntime(CachedRuntime):
    name = "torch"

    def __init__(self, model, device=None) -> None:
        super().__init__(model)
        self.device = device or model.embed_tokens.weight.device
        self.weight = model.embed_tokens.weight.detach() if model is not None else None
        self._cache_dev: dict = {}

    # --- model (start / feed / release: ``core/lm/prefix.py``) --------------------------------
    def _ids(self, rows: list[list[int]]) -> torch.Tensor:
        return torch.tensor(rows, dtype=torch.long, device=self.device)

    def _mask(self, rows: list[list[bool]]) -> torch.Tensor:
        return torch.tensor(rows, dtype=torch.bool, device=self.device)

    def _fill(self, batch: int, token: int) -> torch.Tensor:
        return torch.full((batch, 1), int(token), dtype=torch.long, device=self.device)

    def _stack(self, parts: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(parts, dim=0)

    def step_scores(self, cfg_scale: float) -> LazyScores:
        return LazyScores(self, cfg_scale)

    def _head(self, key, ids: np.ndarray) -> torch.Tensor:
        """Logits [B, len(ids)] of sorted ``ids`` (views of the embedding when they are few runs)."""
        runs = self._cache_dev.get(("runs", key))
        if runs is None:
            runs = segments(ids)
            runs = runs if len(runs) <= SLICES else False
            self._cache_dev[("runs", key)] = runs
        if runs:
            parts = [F.linear(self.hidden, self.weight[a:b]) for a, b in runs]
            return (parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)).float()
        return F.linear(self.hidden, self.weight[self._device(("idx", key), ids)]).float()

    # --- device copies of the decoder's sets --------------------------------------------------
    def scores(self, row: torch.Tensor) -> TorchScores:
        return TorchScores(row)

    def _device(self, key, array: np.ndarray) -> torch.Tensor:
        found = self._cache_dev.get(key)
        if found is None:
            if len(self._cache_dev) > 1024:
                self._cache_dev.clear()
            found = self._cache_dev[key] = torch.as_tensor(np.array(array), device=self.device)
        return found

    def masked(self, row: torch.Tensor, allowed: Allowed | None) -> torch.Tensor:
        if allowed is None:
            return row.clone()
        if allowed.mask is not None:
            mask = self._device(allowed.key, allowed.mask)
            return torch.where(mask, row, torch.tensor(float("-inf"), device=row.device))
        idx = self._device(("idx", allowed.key), allowed.ids)
        out = torch.full_like(row, float("-inf"))
        out[idx] = row[idx]
        return out

    # --- the sampler rule ---------------------------------------------------------------------
    def next_token(self, scores: LazyScores, allowed: Allowed | None, params: SamplingParams, history, u: float) -> int:
        """The engine's step: over the allowed ids only when the decoder named them."""
        if allowed is None or allowed.ids is None:
            return self.choose(scores.full(), allowed, params, history, u)
        ids = allowed.ids
        sub = scores.subset(allowed.key, ids)
        local = local_history(ids, history) if params.repetition_penalty != 1.0 else None
        return int(ids[self._pick(sub.clone(), params, local, u)])

    def choose(self, row: torch.Tensor, allowed: Allowed | None, params: SamplingParams, history, u: float) -> int:
        """The rule on a full row: mask, then :meth:`_pick` (history = token ids)."""
        x = self.masked(row, allowed)
        hist = np.unique(np.asarray(history, dtype=np.int64)) if params.repetition_penalty != 1.0 and history else None
        return self._pick(x, params, hist, u)

    def _pick(self, x: torch.Tensor, params: SamplingParams, hist: np.ndarray | None, u: float) -> int:
        if hist is not None and len(hist):
            idx = torch.as_tensor(hist, device=x.device)
            picked = x[idx]
            x[idx] = torch.where(picked < 0, picked * params.repetition_penalty, picked / params.repetition_penalty)
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
