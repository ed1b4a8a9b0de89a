"""The decode loop: prompt rows in, chosen token ids out, on any backend runtime.

One call is upstream's ``_generate_with_constrained_decoding`` (one row) or
``_generate_with_cfg_custom`` (two rows, cond + uncond, combined as
``uncond + s·(cond − uncond)``): per step the constrained decoder names the allowed tokens from
the (combined) scores, the sampler picks one with this step's uniform number, the decoder
updates, and the token is appended to every row. It stops at EOS or the pad token (upstream
stops on either) or after ``max_new_tokens``. The runtime (``torch_runtime`` / ``mlx_runtime``)
owns the model, cache and device tensors; this loop only sees ids.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from mixgrv_app.core.lm.fsm import DecoderSession
from mixgrv_app.core.lm.sampler import SamplingParams, UniformStream


@dataclass
class Generation:
    rows: list[list[int]]           # the prompt rows as fed (left-padded)
    tokens: list[int] = field(default_factory=list)
    stopped_by: str = "length"      # "eos" | "length"
    seconds: float = 0.0
    reused_slots: int = 0           # prompt slots copied from the last run's kept cache

    @property
    def tokens_per_second(self) -> float:
        return len(self.tokens) / self.seconds if self.seconds > 0 else 0.0


def generate(runtime, rows: list[list[int]], *, session: DecoderSession | None, params: SamplingParams,
             stream: UniformStream, max_new_tokens: int, eos_id: int, pad_id: int, cfg_scale: float = 1.0,
             cancel: Callable[[], None] | None = None, on_token: Callable[[int, int], None] | None = None,
             keep: bool = False, reserve: int | None = None) -> Generation:
    """Generate up to ``max_new_tokens`` ids after ``rows`` (1 row, or [cond, uncond] for CFG).

    ``cancel`` is called before every step and may raise to stop; ``on_token(step, id)`` reports
    progress. The runtime's cache is released before returning; ``keep``: its filled part is held
    for the next call, which reuses the prompt prefix it shares (``core/lm/prefix.py``).
    ``reserve``: cache slots set aside for the answer up front (default: ``max_new_tokens``). A run
    whose length is only capped reserves a few; its cache grows in steps as it writes.
    """
    start = time.perf_counter()
    room = max_new_tokens if reserve is None else min(reserve, max_new_tokens)
    padded = runtime.start(rows, pad_id, max(len(r) for r in rows) + room)
    out = Generation(rows=padded, reused_slots=runtime.reused_slots)
    finished = False
    history = list(padded[0])
    try:
        for step in range(max_new_tokens):
            if cancel is not None:
                cancel()
            scores = runtime.step_scores(cfg_scale)
            allowed = session.allowed(scores) if session is not None else None
            u = stream.next()
            if allowed is not None and allowed.mask is None and not len(allowed.ids):
                token = eos_id  # the decoder allows nothing (upstream: all −inf): end here
            else:
                token = runtime.next_token(scores, allowed, params, history, u)
            if session is not None:
                session.update(token)
            out.tokens.append(token)
            history.append(token)
            if on_token is not None:
                on_token(step, token)
            if token == eos_id or token == pad_id:
                out.stopped_by = "eos"
                break
            if step + 1 < max_new_tokens:
                runtime.feed(token)
        finished = True
    finally:
        runtime.release(keep=keep and finished)
        out.seconds = time.perf_counter() - start
    return out
