"""How the next token is chosen: upstream's order, and a seed rule that makes plans repeatable.

Per step, on the float32 scores of the (CFG-combined) row:

1. constrained-decoder mask (tokens it does not allow → −inf);
2. repetition penalty over the row's ids so far (1.0 = off; transformers' rule: positive
   scores divided, negative multiplied);
3. top-k (0/None = off): scores below the k-th largest → −inf;
4. top-p (None or ≥ 1 = off), on the untempered scores: sort descending, softmax, cumulative
   sum; drop every token after the first one whose cumulative probability exceeds p;
5. temperature: scores / T, softmax in float32 → probabilities p[0…V−1];
6. the pick — **seed rule**: a generator ``numpy.random.default_rng(seed)`` gives one number
   u ∈ [0, 1) per step (every step of every phase of one call draws exactly one, forced steps
   included); the token is the smallest id i whose cumulative probability in *token-id order*
   exceeds u · Σp. Same seed + same scores → same token, on any backend.

Temperature 0 means greedy: the arg-max of the masked, penalised scores (ties → lowest id);
upstream's parity mode. CFG (``uncond + s·(cond − uncond)`` in float32) is the engine's job and
only runs in the codes phase. This module holds the parameters, the seeded stream and the
numpy reference of the rule; ``torch_runtime`` / ``mlx_runtime`` run the same steps on device.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 0.85
    top_k: int | None = None
    top_p: float | None = 0.9
    repetition_penalty: float = 1.0

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0

    @property
    def k(self) -> int:
        return int(self.top_k) if self.top_k else 0

    @property
    def p(self) -> float | None:
        return float(self.top_p) if self.top_p is not None and 0.0 < self.top_p < 1.0 else None


class UniformStream:
    """One uniform number per decoding step from ``numpy.random.default_rng(seed)``."""

    def __init__(self, seed: int | None) -> None:
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def next(self) -> float:
        return float(self._rng.random())


def penalise(scores: np.ndarray, history, penalty: float) -> np.ndarray:
    if penalty == 1.0 or history is None or not len(history):
        return scores
    ids = np.unique(np.asarray(history, dtype=np.int64))
    picked = scores[ids]
    scores = scores.copy()
    scores[ids] = np.where(picked < 0, picked * penalty, picked / penalty)
    return scores


def choose_numpy(scores: np.ndarray, allowed_mask: np.ndarray | None, params: SamplingParams, history, u: float) -> int:
    """The reference implementation of the rule above (float32 numpy)."""
    x = np.asarray(scores, dtype=np.float32).copy()
    if allowed_mask is not None:
        x[~allowed_mask] = -np.inf
    x = penalise(x, history, params.repetition_penalty)
    if params.greedy:
        return int(np.argmax(x))
    if params.k:
        kth = np.sort(x)[-min(params.k, x.size)]
        x[x < kth] = -np.inf
    if params.p is not None:
        order = np.argsort(-x, kind="stable")
        s = x[order]
        e = np.exp(s - s[0])
        cum = np.cumsum(e / e.sum())
        drop = np.zeros_like(cum, dtype=bool)
        drop[1:] = cum[:-1] > params.p
        x[order[drop]] = -np.inf
    x = x / np.float32(params.temperature)
    e = np.exp(x - x.max())
    cdf = np.cumsum(e / e.sum(), dtype=np.float32)
    return int(min(np.searchsorted(cdf, np.float32(u) * cdf[-1], side="right"), x.size - 1))


def local_history(ids: np.ndarray, history) -> np.ndarray:
    """Positions in the sorted ``ids`` of the history tokens that are among them (for a sampler
    that runs over the allowed ids only)."""
    if history is None or not len(history):
        return np.zeros(0, dtype=np.int64)
    h = np.unique(np.asarray(history, dtype=np.int64))
    return np.searchsorted(ids, h[np.isin(h, ids)])


SLICES = 8  # an id set made of at most this many contiguous runs is read as views of the embedding


def segments(ids: np.ndarray) -> list[tuple[int, int]]:
    """Sorted ids as contiguous [start, stop) runs (the code tokens are one run)."""
    if not len(ids):
        return []
    breaks = np.nonzero(np.diff(ids) != 1)[0]
    starts = np.concatenate([[0], breaks + 1])
    stops = np.concatenate([breaks + 1, [len(ids)]])
    return [(int(ids[a]), int(ids[b - 1]) + 1) for a, b in zip(starts, stops, strict=True)]
