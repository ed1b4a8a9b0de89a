"""Prompt prefixes computed once: the KV cache one LM run leaves behind, reused by the next.

A plan runs the LM several times on prompts that begin alike. Both codes rows (cond and uncond)
start with the CoT phase's prompt, and the cond row also with much of what the CoT wrote; every
item of a batch has the same two codes rows. Upstream prefills each run from scratch. Here the
runtime keeps the last run's cache, trimmed to its filled slots, with the token id at every slot.
The next run copies each row's longest shared run of tokens and prefills only the rest.

Cache positions are buffer slots (upstream's left-padded batch), so a prefix may land some slots
later or earlier than where it was computed (a row padded now but not then). Its keys are then
rotated by that shift: RoPE rotations add up, so a moved key is the key its new position would
have had; values do not depend on position. The scores equal a fresh prefill's up to float
rounding (tests compare both ways; every LM parity case passes with reuse on).

Rows that resume at the same slot continue as one batch, exactly like a prefill. Otherwise each
row resumes on its own (``extend(row=b)``).

:class:`CachedRuntime` is that bookkeeping, once for both backends. ``torch_runtime`` and
``mlx_runtime`` subclass it and add the array operations and the sampler rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Kept:
    """A finished run's trimmed cache, the token id at each of its slots and its left pads, per row."""

    cache: Any
    rows: list[list[int]]
    pads: list[int]


def shared_tokens(tokens: list[int], kept: Kept, limit: int) -> tuple[int, int]:
    """(kept row, n): the kept row whose tokens after its pads share the longest run with
    ``tokens`` (a row without pads), and that run's length, at most ``limit``."""
    best = (0, 0)
    for index, (row, pad) in enumerate(zip(kept.rows, kept.pads, strict=True)):
        n = 0
        for a, b in zip(tokens[:limit], row[pad:], strict=False):  # rows of any lengths
            if a != b:
                break
            n += 1
        if n > best[1]:
            best = (index, n)
    return best


class CachedRuntime:
    """``start`` / ``feed`` / ``release`` of the decode loop over a model with an ``LMCache``.

    Subclasses set ``self.model`` and give ``_ids`` (rows of ids → device array), ``_mask``
    (rows of bools → device array), ``_fill`` (a [B, 1] column of one id) and ``_stack`` (stack
    the per-row hidden states).
    """

    def __init__(self, model) -> None:
        self.model = model
        self.cache = None
        self.hidden = None
        self.kept: Kept | None = None
        self.reused_slots = 0       # slots the last ``start`` copied instead of computing
        self._slots: list[list[int]] | None = None
        self._pads: list[int] = []

    def start(self, rows: list[list[int]], pad_id: int, capacity: int) -> list[list[int]]:
        """Left-pad ``rows`` into one batch and prefill (after any prefix kept from the last run);
        returns the padded rows."""
        width = max(len(r) for r in rows)
        pads = [width - len(r) for r in rows]
        padded = [[pad_id] * pad + list(r) for r, pad in zip(rows, pads, strict=True)]
        valid = self._mask([[False] * pad + [True] * len(r) for r, pad in zip(rows, pads, strict=True)])
        cache = self.model.new_cache(len(rows), max(capacity, width + 1))
        kept, self.kept = self.kept, None
        # every row keeps at least its last token to compute (its hidden state is the next scores)
        reuse = [shared_tokens(list(r), kept, len(r) - 1) for r in rows] if kept is not None else []
        self.reused_slots = sum(n for _, n in reuse)
        if not self.reused_slots:
            self.hidden = self.model.prefill(self._ids(padded), valid, cache, logits=False)
        else:
            cache.set_valid(valid)
            starts = []
            for row, (source, n) in enumerate(reuse):
                if n:
                    cache.copy_row(row, kept.cache, source, kept.pads[source], pads[row], n)
                starts.append(pads[row] + n if n else 0)  # a row with nothing kept computes its pads too
            if len(set(starts)) == 1:
                s = starts[0]
                self.hidden = self.model.extend(self._ids([p[s:] for p in padded]), cache, s, logits=False)
            else:
                self.hidden = self._stack([self.model.extend(self._ids([padded[row][s:]]), cache, s, row=row, logits=False)
                                           for row, s in enumerate(starts)])
        del kept
        self.cache = cache
        self._slots, self._pads = [list(p) for p in padded], pads
        return padded

    def feed(self, token: int) -> None:
        """Append ``token`` to every row."""
        self.hidden = self.model.decode(self._fill(len(self._slots), token), self.cache, logits=False)
        for row in self._slots:
            row.append(int(token))

    def release(self, keep: bool = False) -> None:
        """Drop the cache; ``keep``: hold its filled slots for the next ``start`` to reuse."""
        if keep and self.cache is not None:
            self.kept = Kept(self.cache.trimmed(), self._slots, self._pads)
        self.cache = None
        self.hidden = None
        self._slots = None

    def forget(self) -> None:
        """Drop a kept prefix (the end of a plan)."""
        self.kept = None

    # --- the backend's array operations -------------------------------------------------------
    def _ids(self, rows: list[list[int]]):
        raise NotImplementedError

    def _mask(self, rows: list[list[bool]]):
        raise NotImplementedError

    def _fill(self, batch: int, token: int):
        raise NotImplementedError

    def _stack(self, parts: list):
        raise NotImplementedError
