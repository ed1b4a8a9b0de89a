"""Prompt prefixes computed once: the KV cache one LM run leaves behind, reused by the next.

A plan runs the LM several times on prompts that begin alike. The codes phase's conditional row
starts with the CoT phase's prompt and usually much of what the CoT wrote; every item of a batch
has the same two codes rows. Upstream prefills each run from scratch. Here the runtime keeps the
last run's cache, trimmed to its filled slots, together with the token id at every slot. The next
run copies each row's longest shared prefix and prefills only the rest. Prefixes are matched slot
for slot, pads included, so a copied key sits at exactly the position the new batch gives it (the
cache's positions are its slots, see ``LMCache``). The one place that does not match: a row that
is left-padded in the new batch but was not in the kept one. That row is prefilled whole, as
before.

Rows that resume at the same slot continue as one batch, exactly like a prefill. Otherwise each
row resumes on its own (``extend(row=b)``). The scores equal a fresh prefill's up to float
rounding (tests compare both ways on every LM case).

:class:`CachedRuntime` is that bookkeeping, once for both backends. ``torch_runtime`` and
``mlx_runtime`` subclass it and add the array operations and the sampler rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Kept:
    """A finished run's trimmed cache and the token id at each of its slots, per row."""

    cache: Any
    rows: list[list[int]]


def shared_slots(row: list[int], kept_rows: list[list[int]], limit: int) -> tuple[int, int]:
    """(kept row, slots): the kept row sharing the longest slot-for-slot prefix with ``row``,
    and that prefix's length, at most ``limit``."""
    best = (0, 0)
    for index, kept in enumerate(kept_rows):
        n = 0
        for a, b in zip(row[:limit], kept, strict=False):  # rows of any lengths
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

    def start(self, rows: list[list[int]], pad_id: int, capacity: int) -> list[list[int]]:
        """Left-pad ``rows`` into one batch and prefill (after any prefix kept from the last run);
        returns the padded rows."""
        width = max(len(r) for r in rows)
        padded = [[pad_id] * (width - len(r)) + list(r) for r in rows]
        valid = self._mask([[False] * (width - len(r)) + [True] * len(r) for r in rows])
        cache = self.model.new_cache(len(rows), max(capacity, width + 1))
        kept, self.kept = self.kept, None
        reuse = [shared_slots(r, kept.rows, width - 1) for r in padded] if kept is not None else []
        self.reused_slots = sum(n for _, n in reuse)
        if not self.reused_slots:
            self.hidden = self.model.prefill(self._ids(padded), valid, cache, logits=False)
        else:
            cache.set_valid(valid)
            for row, (source, n) in enumerate(reuse):
                if n:
                    cache.copy_row(row, kept.cache, source, n)
            starts = {n for _, n in reuse}
            if len(starts) == 1:
                s = starts.pop()
                self.hidden = self.model.extend(self._ids([p[s:] for p in padded]), cache, s, logits=False)
            else:
                self.hidden = self._stack([self.model.extend(self._ids([padded[row][n:]]), cache, n, row=row, logits=False)
                                          for row, (_, n) in enumerate(reuse)])
        del kept
        self.cache = cache
        self._slots = [list(p) for p in padded]
        return padded

    def feed(self, token: int) -> None:
        """Append ``token`` to every row."""
        self.hidden = self.model.decode(self._fill(len(self._slots), token), self.cache, logits=False)
        for row in self._slots:
            row.append(int(token))

    def release(self, keep: bool = False) -> None:
        """Drop the cache; ``keep``: hold its filled slots for the next ``start`` to reuse."""
        if keep and self.cache is not None:
            self.kept = Kept(self.cache.trimmed(), self._slots)
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
