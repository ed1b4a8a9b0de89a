"""The sampler's seed rule: numpy reference, torch and MLX pick the same token from the same scores."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mixgrv_app.core.lm.fsm import Allowed
from mixgrv_app.core.lm.sampler import SamplingParams, UniformStream, choose_numpy
from mixgrv_app.core.lm.torch_runtime import TorchLMRuntime


def _runtimes():
    out = [("torch", TorchLMRuntime(None, device="cpu"), torch.tensor)]
    try:
        import mlx.core as mx

        from mixgrv_app.core.lm.mlx_runtime import MLXLMRuntime

        out.append(("mlx", MLXLMRuntime(None), mx.array))
    except ImportError:
        pass
    return out


def test_uniform_stream_is_numpy_default_rng():
    a, b = UniformStream(1234), UniformStream(1234)
    got = [a.next() for _ in range(5)]
    assert got == [b.next() for _ in range(5)]
    assert got == list(np.random.default_rng(1234).random(5))


def test_inverse_cdf_in_token_id_order():
    # probabilities 0.25 each on ids 1, 3, 5, 7 (equal scores, others masked): u picks by id order
    scores = np.zeros(8, dtype=np.float32)
    mask = np.zeros(8, dtype=bool)
    mask[[1, 3, 5, 7]] = True
    params = SamplingParams(temperature=1.0, top_p=None)
    assert [choose_numpy(scores, mask, params, [], u) for u in (0.0, 0.24, 0.26, 0.6, 0.99)] == [1, 1, 3, 5, 7]
    for _name, runtime, array in _runtimes():
        allowed = Allowed(("t", 1), mask=mask)
        assert [runtime.choose(array(scores), allowed, params, [], u) for u in (0.0, 0.26, 0.6, 0.99)] == [1, 3, 5, 7]


def test_greedy_ties_go_to_the_lowest_id():
    scores = np.array([0, 2, 5, 5, 1], dtype=np.float32)
    params = SamplingParams(temperature=0.0)
    assert choose_numpy(scores, None, params, [], 0.9) == 2
    for _name, runtime, array in _runtimes():
        assert runtime.choose(array(scores), None, params, [], 0.9) == 2


def test_top_p_keeps_the_token_that_crosses_p():
    # softmax of [3, 2, 1, 0] ~ [0.64, 0.24, 0.09, 0.03]: top-p 0.7 keeps ids 0 and 1
    scores = np.array([3, 2, 1, 0], dtype=np.float32)
    params = SamplingParams(temperature=1.0, top_p=0.7)
    picks = {choose_numpy(scores, None, params, [], u) for u in np.linspace(0, 0.999, 50)}
    assert picks == {0, 1}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backends_agree_with_the_reference(seed):
    rng = np.random.default_rng(seed)
    runtimes = _runtimes()
    for trial in range(60):
        vocab = 512
        scores = (rng.standard_normal(vocab) * 3).astype(np.float32)
        kind = trial % 3
        allowed = None if kind == 0 else Allowed(("m", seed, trial), mask=rng.random(vocab) < 0.4) if kind == 1 else \
            Allowed(("i", seed, trial), ids=np.sort(rng.choice(vocab, 9, replace=False)))
        params = SamplingParams(temperature=[0.85, 0.0, 1.3][trial % 3], top_k=[None, 40, 0][trial % 3],
                                top_p=[0.9, None, 0.5][(trial // 3) % 3], repetition_penalty=[1.0, 1.2][trial % 2])
        history = rng.choice(vocab, 16).tolist()
        u = float(rng.random())
        want = choose_numpy(scores, None if allowed is None else allowed.as_mask(vocab), params, history, u)
        for name, runtime, array in runtimes:
            assert runtime.choose(array(scores), allowed, params, history, u) == want, (name, trial)


def test_head_over_the_allowed_ids_picks_what_the_full_row_picks():
    """In the codes phase the runtimes compute the head and the sampler over the code ids only;
    the pick must be the full-row rule's (a contiguous run + EOS, a scattered whitelist)."""
    from types import SimpleNamespace

    rng = np.random.default_rng(5)
    vocab, hidden = 3000, 16
    weight = torch.tensor(rng.standard_normal((vocab, hidden)), dtype=torch.float32)
    rt = TorchLMRuntime(SimpleNamespace(embed_tokens=SimpleNamespace(weight=weight)), device="cpu")
    code_ids = np.append(np.arange(1000, 2600), 7)
    code_ids.sort()
    sets = [Allowed(("codes", 1), ids=code_ids, mask=np.isin(np.arange(vocab), code_ids)),
            Allowed(("few", 2), ids=np.array([3, 50, 51, 52, 900, 2999]))]
    for trial in range(40):
        rt.hidden = torch.tensor(rng.standard_normal((2, hidden)), dtype=torch.float32)
        params = SamplingParams(temperature=[0.85, 0.0][trial % 2], top_p=0.9, repetition_penalty=[1.0, 1.1][trial % 2])
        history = rng.choice(vocab, 30).tolist()
        u = float(rng.random())
        for allowed in sets:
            full = rt.step_scores(2.0).full()
            want = rt.choose(full, allowed, params, history, u)
            assert rt.next_token(rt.step_scores(2.0), allowed, params, history, u) == want, trial
