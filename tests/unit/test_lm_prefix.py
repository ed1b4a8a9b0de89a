"""Prompt prefixes reused between LM runs (``core/lm/prefix.py``), on both backends.

A resumed prefill (kept prefix copied, the rest computed) must give the scores a fresh prefill
gives, on the per-row path (the codes rows after the CoT) and the batched path (the next item of
a batch), and a plan must come out the same with reuse on or off, while actually reusing slots.
"""

from __future__ import annotations

import numpy as np
import pytest

from mixgrv_app.core.jobs import CancelToken, Cancelled
from mixgrv_app.core.lm.planner import LMPlanner, LMSettings
from mixgrv_app.core.lm.prefix import Kept, shared_tokens

BACKENDS = ("torch", "mlx")
CAPTION = "A dreamy lo-fi track with soft keys"
LYRICS = "[Verse]\nquiet rain on the window\n[Chorus]\nstay a while"


def test_shared_tokens_matches_runs_after_the_pads():
    kept = Kept(cache=None, rows=[[5, 6, 7, 8], [0, 0, 5, 6]], pads=[0, 2])
    assert shared_tokens([5, 6, 7, 9, 9], kept, 10) == (0, 3)
    assert shared_tokens([5, 6, 1], Kept(None, [[0, 0, 5, 6]], [2]), 10) == (0, 2)  # a padded row's tokens count
    assert shared_tokens([6, 7], kept, 10) == (0, 0)                                # a run starts at the first token
    assert shared_tokens([5, 6, 7, 8, 1], kept, 2) == (0, 2)                        # at most the limit
    assert shared_tokens([9], kept, 10) == (0, 0)


@pytest.fixture(scope="module")
def lm_dir(parity_checkpoints):
    return parity_checkpoints / "acestep-5Hz-lm-0.6B"


@pytest.fixture(scope="module", params=BACKENDS)
def lm(request, lm_dir):
    if request.param == "mlx":
        pytest.importorskip("mlx.core")
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield LMPlanner(lm_dir, backend=request.param, check_free_memory=False)
    torch.set_num_threads(threads)


def _np(x) -> np.ndarray:
    return np.asarray(x.float().cpu() if hasattr(x, "cpu") else x, dtype=np.float64)


def _close(a, b) -> None:
    a, b = _np(a), _np(b)
    assert a.shape == b.shape
    scale = float(np.abs(b).max())
    assert float(np.abs(a - b).max()) <= 1e-5 * scale, float(np.abs(a - b).max())


def test_a_resumed_prefill_gives_a_fresh_prefills_scores(lm):
    rt, vocab = lm.runtime, lm.vocab
    cot = vocab.encode(lm.prompts.cot(CAPTION, LYRICS))
    written = vocab.encode("<think>\nbpm: 92\nduration: 10")
    cond = cot + written + vocab.encode("\nkeyscale: C major\n</think>\n\n")
    uncond = vocab.encode(lm.prompts.codes(CAPTION, LYRICS, "<think>\n</think>", negative=True))
    assert len(uncond) < len(cond)  # the uncond row is padded: its prefix moves to later slots
    uncond_shared = next(i for i, (a, b) in enumerate(zip(uncond, cot + written + [-1], strict=False)) if a != b)
    assert uncond_shared > 0

    # per-row path: a one-row run (the CoT) kept, then the two codes rows
    rt.start([cot], vocab.pad_id, len(cot) + 64)
    for token in written:
        rt.feed(token)
    rt.release(keep=True)
    padded = rt.start([cond, uncond], vocab.pad_id, len(cond) + 8)
    assert rt.reused_slots == len(cot) + len(written) + uncond_shared
    resumed = rt.hidden
    rt.feed(written[0])
    resumed_next = rt.hidden
    rt.release(keep=True)
    rt.forget()
    fresh_rows = rt.start([cond, uncond], vocab.pad_id, len(cond) + 8)
    assert rt.reused_slots == 0 and fresh_rows == padded
    _close(resumed, rt.hidden)
    rt.feed(written[0])
    _close(resumed_next, rt.hidden)
    rt.release(keep=True)

    # batched path: the next item starts from the same two rows (kept above, with one fed token)
    rt.start([cond, uncond], vocab.pad_id, len(cond) + 8)
    assert rt.reused_slots == len(cond) - 1 + len(uncond) - 1  # each row but its last token
    _close(rt.hidden, resumed)
    rt.release()
    assert rt.kept is None and rt.cache is None


def _plans(lm, seeds, reuse):
    lm.reuse_prefix = reuse
    try:
        return lm.plan_batch(CAPTION, LYRICS, metas={"bpm": 92}, duration=10.0, seeds=seeds,
                             settings=LMSettings(use_cot_caption=False))
    finally:
        lm.reuse_prefix = True


def test_plans_are_the_same_with_reuse_on_and_off(lm):
    on, off = _plans(lm, [3, 4], True), _plans(lm, [3, 4], False)
    for a, b in zip(on, off, strict=True):
        assert (a.cot_tokens, a.codes_prompt_rows, a.codes_tokens) == (b.cot_tokens, b.codes_prompt_rows, b.codes_tokens)
        assert b.codes_reused_slots == 0
    pad = lm.vocab.pad_id
    rows = [[t for i, t in enumerate(r) if any(x != pad for x in r[:i + 1])] for r in on[0].codes_prompt_rows]
    kept = on[0].cot_prompt_ids + on[0].cot_tokens[:-1]  # the CoT's last token (its stop) is never fed

    def common(row):
        n = 0
        while n < min(len(row) - 1, len(kept)) and row[n] == kept[n]:
            n += 1
        return n

    assert common(rows[0]) > len(on[0].cot_prompt_ids)   # the CoT prompt and part of what it wrote
    assert common(rows[1]) > 0                            # the uncond row: the shared system/user turn
    assert on[0].codes_reused_slots == sum(common(r) for r in rows)
    assert on[1].codes_reused_slots == sum(len(r) - 1 for r in rows)     # the second item: each row but its last token
    assert lm.runtime.kept is None                                         # nothing held after the plan


def test_cancel_mid_codes_drops_the_kept_prefix(lm):
    token = CancelToken()

    def on_token(phase, step, _id):
        if phase.startswith("codes") and step == 3:
            token.cancel()

    with pytest.raises(Cancelled):
        lm.plan(CAPTION, LYRICS, metas={"bpm": 92}, duration=10.0, settings=LMSettings(use_cot_caption=False), seed=1,
                cancel=token.raise_if_cancelled, on_token=on_token)
    assert lm.runtime.kept is None and lm.runtime.cache is None


def test_a_cache_that_starts_small_grows_and_gives_the_same_scores(lm):
    """A run whose length is only capped reserves a few slots; decoding past them grows the cache
    (padded rows included) without changing a score."""
    rt, vocab = lm.runtime, lm.vocab
    cond = vocab.encode(lm.prompts.codes(CAPTION, LYRICS, "<think>\nbpm: 92\n</think>"))
    uncond = vocab.encode(lm.prompts.codes(CAPTION, LYRICS, "<think>\n</think>", negative=True))
    tokens = vocab.encode("<|audio_code_5|><|audio_code_9|><|audio_code_5|>")
    runs = {}
    for room in (1, len(tokens) + 1):
        rt.start([cond, uncond], vocab.pad_id, len(cond) + room)
        capacity = rt.cache.capacity
        runs[room] = [rt.hidden]
        for token in tokens:
            rt.feed(token)
            runs[room].append(rt.hidden)
        grew = rt.cache.capacity > capacity
        rt.release()
        assert grew == (room == 1)
    for small, full in zip(runs[1], runs[len(tokens) + 1], strict=True):
        _close(small, full)
