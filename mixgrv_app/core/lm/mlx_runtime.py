"""The 5 Hz LM on MLX (mirror of ``torch_runtime.py``; this module never imports torch).

Left-padded cond/uncond rows in one batch, cached prefill/decode from ``mlx_model/qwen3.py``
(after any prefix the last run kept, ``prefix.py``), the tied head computed lazily (whole
vocabulary, or only the code rows in the codes phase), and the sampler rule of
``core/lm/sampler.py`` evaluated on device; only the chosen id is read back.
"""

from __future__ import annotations

import mlx.core as mx
import numpy as np

from mixgrv_app.core.lm.fsm import Allowed
from mixgrv_app.core.lm.prefix import CachedRuntime
from mixgrv_app.core.lm.sampler import SLICES, SamplingParams, local_history, segments

_NEG_INF = float("-inf")


class MLXScores:
    def __init__(self, row: mx.array) -> None:
        self.row = row

    def top1(self) -> int:
        return int(mx.argmax(self.row).item())

    def top1_among(self, ids: np.ndarray) -> int:
        return int(ids[int(mx.argmax(self.row[mx.array(ids)]).item())])


class LazyScores:
    def __init__(self, runtime: "MLXLMRuntime", cfg_scale: float) -> None:
        self.rt, self.cfg = runtime, cfg_scale
        self._full: mx.array | None = None

    def _combine(self, x: mx.array) -> mx.array:
        return x[1] + self.cfg * (x[0] - x[1]) if x.shape[0] == 2 else x[0]

    def full(self) -> mx.array:
        if self._full is None:
            self._full = self._combine(self.rt.model.embed_tokens.as_linear(self.rt.hidden).astype(mx.float32))
        return self._full

    def subset(self, key, ids: np.ndarray) -> mx.array:
        if self._full is not None:
            return self._full[self.rt._device(("idx", key), ids)]
        return self._combine(self.rt._head(key, ids))

    def top1(self) -> int:
        return int(mx.argmax(self.full()).item())

    def top1_among(self, ids: np.ndarray) -> int:
        return int(ids[int(mx.argmax(self.subset(("among", tuple(ids.tolist())), ids)).item())])


class MLXLMRuntime(CachedRuntime):
    name = "mlx"

    def __init__(self, model) -> None:
        super().__init__(model)
        self._cache_dev: dict = {}

    # --- model (start / feed / release: ``core/lm/prefix.py``) --------------------------------
    def _ids(self, rows: list[list[int]]) -> mx.array:
        return mx.array(rows, dtype=mx.int32)

    def _mask(self, rows: list[list[bool]]) -> mx.array:
        return mx.array(rows)

    def _fill(self, batch: int, token: int) -> mx.array:
        return mx.full((batch, 1), int(token), dtype=mx.int32)

    def _stack(self, parts: list[mx.array]) -> mx.array:
        return mx.concatenate(parts, axis=0)

    def step_scores(self, cfg_scale: float) -> LazyScores:
        return LazyScores(self, cfg_scale)

    def _rows(self, rows) -> mx.array:
        """hidden · E[rows]ᵀ for a slice or an index array of embedding rows (quantized or not)."""
        emb = self.model.embed_tokens
        if hasattr(emb, "scales"):  # a 4/8-bit QuantizedEmbedding
            return mx.quantized_matmul(self.hidden, emb.weight[rows], emb.scales[rows], emb.biases[rows], transpose=True,
                                       group_size=emb.group_size, bits=emb.bits)
        return self.hidden @ emb.weight[rows].T

    def _head(self, key, ids: np.ndarray) -> mx.array:
        runs = self._cache_dev.get(("runs", key))
        if runs is None:
            runs = segments(ids)
            runs = runs if len(runs) <= SLICES else False
            self._cache_dev[("runs", key)] = runs
        if runs:
            parts = [self._rows(slice(a, b)) for a, b in runs]
            return (parts[0] if len(parts) == 1 else mx.concatenate(parts, axis=-1)).astype(mx.float32)
        return self._rows(self._device(("idx", key), ids)).astype(mx.float32)

    def scores(self, row: mx.array) -> MLXScores:
        return MLXScores(row)

    def _device(self, key, array: np.ndarray) -> mx.array:
        found = self._cache_dev.get(key)
        if found is None:
            if len(self._cache_dev) > 1024:
                self._cache_dev.clear()
            found = self._cache_dev[key] = mx.array(np.ascontiguousarray(array))
        return found

    def masked(self, row: mx.array, allowed: Allowed | None) -> mx.array:
        if allowed is None:
            return row
        if allowed.mask is not None:
            return mx.where(self._device(allowed.key, allowed.mask), row, _NEG_INF)
        idx = self._device(("idx", allowed.key), allowed.ids)
        return mx.put_along_axis(mx.full(row.shape, _NEG_INF, dtype=row.dtype), idx, row[idx], axis=0)

    def next_token(self, scores: LazyScores, allowed: Allowed | None, params: SamplingParams, history, u: float) -> int:
        if allowed is None or allowed.ids is None:
            return self.choose(scores.full(), allowed, params, history, u)
        ids = allowed.ids
        local = local_history(ids, history) if params.repetition_penalty != 1.0 else None
        return int(ids[self._pick(scores.subset(allowed.key, ids), params, local, u)])

    def choose(self, row: mx.array, allowed: Allowed | None, params: SamplingParams, history, u: float) -> int:
        x = self.masked(row, allowed)
        hist = np.unique(np.asarray(history, dtype=np.int64)) if params.repetition_penalty != 1.0 and history else None
        return self._pick(x, params, hist, u)

    def _pick(self, x: mx.array, params: SamplingParams, hist: np.ndarray | None, u: float) -> int:
        if hist is not None and len(hist):
            ids = mx.array(hist)
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
            x = mx.put_along_axis(x, order, mx.where(drop, _NEG_INF, s), axis=0)
        cdf = mx.cumsum(mx.softmax(x / params.temperature, axis=-1), axis=-1)
        target = mx.array([u], dtype=mx.float32) * cdf[-1]
        return min(int(mx.sum(cdf <= target).item()), x.size - 1)  # smallest i with cdf[i] > target
