"""The 5 Hz LM on MLX (mirror of ``torch_runtime.py``; this module never imports torch).

Left-padded cond/uncond rows in one batch, cached prefill/decode from ``mlx_model/qwen3.py``,
and the sampler rule of ``core/lm/sampler.py`` evaluated lazily on device; only the chosen id
is read back each step.
"""

from __future__ import annotations

import mlx.core as mx
import numpy as np

from mixgrv_app.core.lm.fsm import Allowed
from mixgrv_app.core.lm.sampler import SamplingParams

_NEG_INF = float("-inf")


class MLXScores:
    def __init__(self, row: mx.array) -> None:
        self.row = row

    def top1(self) -> int:
        return int(mx.argmax(self.row).item())

    def top1_among(self, ids: np.ndarray) -> int:
        return int(ids[int(mx.argmax(self.row[mx.array(ids)]).item())])


class MLXLMRuntime:
    name = "mlx"

    def __init__(self, model) -> None:
        self.model = model
        self._masks: dict = {}
        self.cache = None
        self.logits: mx.array | None = None

    def start(self, rows: list[list[int]], pad_id: int, capacity: int) -> list[list[int]]:
        width = max(len(r) for r in rows)
        padded = [[pad_id] * (width - len(r)) + list(r) for r in rows]
        valid = mx.array([[False] * (width - len(r)) + [True] * len(r) for r in rows])
        self.cache = self.model.new_cache(len(rows), max(capacity, width + 1))
        self.logits = self.model.prefill(mx.array(padded, dtype=mx.int32), valid, self.cache)
        return padded

    def feed(self, token: int) -> None:
        ids = mx.full((self.logits.shape[0], 1), int(token), dtype=mx.int32)
        self.logits = self.model.decode(ids, self.cache)

    def release(self) -> None:
        self.cache = None
        self.logits = None

    def row(self, cfg_scale: float) -> mx.array:
        x = self.logits
        if x.shape[0] == 2:
            return x[1] + cfg_scale * (x[0] - x[1])
        return x[0]

    def scores(self, row: mx.array) -> MLXScores:
        return MLXScores(row)

    def _device(self, key, array: np.ndarray) -> mx.array:
        found = self._masks.get(key)
        if found is None:
            if len(self._masks) > 512:
                self._masks.clear()
            found = self._masks[key] = mx.array(np.ascontiguousarray(array))
        return found

    def masked(self, row: mx.array, allowed: Allowed | None) -> mx.array:
        if allowed is None:
            return row
        if allowed.mask is not None:
            return mx.where(self._device(allowed.key, allowed.mask), row, _NEG_INF)
        idx = self._device(allowed.key, allowed.ids)
        return mx.put_along_axis(mx.full(row.shape, _NEG_INF, dtype=row.dtype), idx, row[idx], axis=0)

    def choose(self, row: mx.array, allowed: Allowed | None, params: SamplingParams, history, u: float) -> int:
        x = self.masked(row, allowed)
        if params.repetition_penalty != 1.0 and history:
            ids = mx.array(np.unique(np.asarray(history, dtype=np.int64)))
            picked = x[ids]
            x = mx.put_along_axis(x, ids, mx.where(picked < 0, picked * params.repetition_penalty,
                                                   picked / params.repetition_penalty), axis=0)
        if params.greedy:
            return int(mx.argmax(x).item())
        if params.k:
            kth = mx.topk(x, min(params.k, x.size)).min()
            x = mx.where(x < kth, _NEG_INF, x)
        if params.p is not None:
            order = mx.argsort(-x)
            s = x[order]
            cum = mx.cumsum(mx.softmax(s, axis=-1), axis=-1)
            drop = mx.concatenate([mx.array([False]), cum[:-1] > params.p])
            keep_sorted = mx.where(drop, _NEG_INF, s)
            x = mx.put_along_axis(x, order, keep_sorted, axis=0)
        cdf = mx.cumsum(mx.softmax(x / params.temperature, axis=-1), axis=-1)
        target = mx.array([u], dtype=mx.float32) * cdf[-1]
        index = int(mx.sum(cdf <= target).item())  # smallest i with cdf[i] > target
        return min(index, x.size - 1)
