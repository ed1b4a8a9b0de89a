"""The planner on the set's tiny LM: repeatable plans, backends agreeing, and bad input handled.

Plans use the documented seed rule (sampling at temperature 0.85, not greedy), so a seed must
give the same plan twice and the same plan on torch and MLX; a different seed must change it.
Bad input: the LM folder missing or truncated, a prompt longer than the LM's context, too
little memory, cancel mid-plan (and the planner still works after it).
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from mixgrv_app.core.errors import CheckpointError, LMError
from mixgrv_app.core.jobs import CancelToken, Cancelled
from mixgrv_app.core.lm import planner as planner_mod
from mixgrv_app.core.lm.planner import LMPlanner, LMSettings

CAPTION = "A dreamy lo-fi track with soft keys"
LYRICS = "[Verse]\nquiet rain on the window\n[Chorus]\nstay a while"


@pytest.fixture(scope="module")
def one_thread():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def lm_dir(parity_checkpoints):
    return parity_checkpoints / "acestep-5Hz-lm-0.6B"


@pytest.fixture(scope="module")
def torch_lm(lm_dir, one_thread):
    return LMPlanner(lm_dir, backend="torch", check_free_memory=False)


def _plan(lm, seed, **kw):
    # no CoT caption: the random tiny LM never ends a free caption (it would run to the context limit)
    return lm.plan(CAPTION, LYRICS, metas={"bpm": 92}, duration=10.0, settings=LMSettings(use_cot_caption=False, **kw),
                   seed=seed)


def test_same_seed_same_plan_and_other_seed_other_plan(torch_lm):
    a, b = _plan(torch_lm, 7), _plan(torch_lm, 7)
    assert a.phase1_ran and a.metadata["bpm"] == 92 and a.metadata["duration"] == 10
    assert a.cot_tokens == b.cot_tokens and a.codes_tokens == b.codes_tokens and a.metadata == b.metadata
    assert len(a.codes) == 50 and a.codes_tokens[-1] == torch_lm.vocab.eos_id
    c = _plan(torch_lm, 8)
    assert (c.cot_tokens, c.codes) != (a.cot_tokens, a.codes)
    summary = a.summary()
    assert summary["code_count"] == 50 and summary["seed"] == 7 and summary["lm"] == "acestep-5Hz-lm-0.6B"


def test_mlx_and_torch_plans_agree(torch_lm, lm_dir):
    pytest.importorskip("mlx.core")
    mlx_lm = LMPlanner(lm_dir, backend="mlx", check_free_memory=False)
    for seed, temperature in ((3, 0.85), (4, 0.0)):
        want = _plan(torch_lm, seed, temperature=temperature)
        got = _plan(mlx_lm, seed, temperature=temperature)
        assert got.cot_tokens == want.cot_tokens and got.codes_tokens == want.codes_tokens, (seed, temperature)


def test_all_metas_skip_phase_one(torch_lm):
    plan = torch_lm.plan(CAPTION, LYRICS, metas={"bpm": 80, "keyscale": "A minor", "timesignature": "3"}, duration=10.4,
                         settings=LMSettings(temperature=0.0, cfg_scale=1.0), seed=1)
    assert not plan.phase1_ran and plan.cot_tokens == []
    assert plan.metadata == {"bpm": 80, "keyscale": "A minor", "timesignature": "3", "duration": 10}
    assert len(plan.codes) == 52  # int(10.4 * 5): the requested duration, not the CoT's


def test_without_a_length_the_codes_end_at_the_cots_duration(lm_dir, one_thread):
    """``length_from_plan``: the CoT writes the duration (the decoder keeps it within the cap) and
    the codes end exactly there; upstream's rule without it puts no end on the codes."""
    cap = 20
    lm = LMPlanner(lm_dir, backend="torch", check_free_memory=False, max_duration=cap)
    plan = lm.plan_batch(CAPTION, LYRICS, metas={"bpm": 92}, duration=None, settings=LMSettings(use_cot_caption=False),
                         seeds=[5], length_from_plan=True)[0]
    seconds = plan.metadata["duration"]
    assert plan.phase1_ran and isinstance(seconds, int) and 10 <= seconds <= cap
    assert len(plan.codes) == int(seconds * 5) and plan.codes_tokens[-1] == lm.vocab.eos_id


def test_cancel_mid_plan_then_plan_again(torch_lm):
    token = CancelToken()
    seen = []

    def on_token(phase, step, tok):
        seen.append((phase, step))
        if phase == "codes:0" and step == 5:
            token.cancel()

    with pytest.raises(Cancelled):
        torch_lm.plan(CAPTION, LYRICS, duration=10.0, seed=1, settings=LMSettings(use_cot_caption=False),
                      cancel=token.raise_if_cancelled, on_token=on_token)
    assert ("codes:0", 5) in seen and ("codes:0", 7) not in seen
    assert torch_lm.runtime.cache is None  # released on the way out
    assert len(_plan(torch_lm, 1).codes) == 50


def test_prompt_longer_than_the_context_is_refused(lm_dir, one_thread):
    lm = LMPlanner(lm_dir, backend="torch", check_free_memory=False, max_model_len=160)
    with pytest.raises(LMError) as err:
        lm.plan(CAPTION, LYRICS * 20, duration=10.0, seed=1)
    assert err.value.code == "lm.prompt_too_long" and err.value.params["limit"] == 96


def test_missing_lm_folder_names_the_folder_to_get(tmp_path):
    with pytest.raises(CheckpointError) as err:
        planner_mod.lm_folder(tmp_path, "1.7B")
    assert err.value.code == "lm.missing" and err.value.params["folder"] == "acestep-5Hz-lm-1.7B"
    assert "acestep-5Hz-lm-1.7B" in err.value.message


def _copy_lm(lm_dir, dest):
    shutil.copytree(lm_dir, dest)
    for path in dest.iterdir():
        path.chmod(0o644)
    return dest


def test_truncated_weights_and_missing_tokenizer(lm_dir, tmp_path):
    folder = _copy_lm(lm_dir, tmp_path / "acestep-5Hz-lm-0.6B")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(CheckpointError) as err:
        LMPlanner(folder, backend="torch", check_free_memory=False)
    assert err.value.code == "checkpoint.truncated_file"
    (folder / "tokenizer.json").unlink()
    with pytest.raises(CheckpointError) as err:
        LMPlanner(folder, backend="torch", check_free_memory=False)
    assert err.value.code == "lm.tokenizer_missing"


def test_memory_check_refuses_an_lm_that_does_not_fit(tmp_path):
    folder = tmp_path / "acestep-5Hz-lm-4B"
    folder.mkdir()
    with pytest.raises(LMError) as err:
        planner_mod.check_memory(folder, available_bytes=6 * 10**9)
    assert err.value.code == "lm.not_enough_memory" and err.value.params["need_gb"] == 12.0
    planner_mod.check_memory(tmp_path / "acestep-5Hz-lm-0.6B", available_bytes=4 * 10**9)  # 3 GB budget fits


def test_mlx_planner_never_imports_torch(lm_dir):
    pytest.importorskip("mlx.core")
    code = ("import sys\nfrom mixgrv_app.core.lm.planner import LMPlanner\n"
            f"lm = LMPlanner({str(lm_dir)!r}, backend='mlx', check_free_memory=False)\n"
            "p = lm.plan('x', 'y', metas={'bpm': 90, 'keyscale': 'C major', 'timesignature': '4'}, duration=10, seed=1)\n"
            "assert len(p.codes) == 50, p.codes\nassert 'torch' not in sys.modules\nprint('ok')\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]


def test_batch_plans_share_the_cot_and_draw_codes_per_seed(torch_lm):
    plans = torch_lm.plan_batch(CAPTION, LYRICS, metas={"bpm": 92}, duration=10.0, seeds=[7, 11],
                                settings=LMSettings(use_cot_caption=False))
    single = _plan(torch_lm, 7)
    assert plans[0].codes_tokens == single.codes_tokens and plans[0].cot_tokens == single.cot_tokens
    assert plans[1].metadata == plans[0].metadata and plans[1].seed == 11 and len(plans[1].codes) == 50
    assert plans[1].codes != plans[0].codes


def _wider_lm(lm_dir, dest, hidden=64):
    """The tiny LM's tokenizer and template with a wider random body (4/8-bit groups need 64 columns)."""
    import json

    import torch
    from safetensors.torch import save_file

    from mixgrv_app.core.configs import Qwen3Config
    from mixgrv_app.core.torch_model.qwen3 import Qwen3CausalLM

    folder = _copy_lm(lm_dir, dest)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config.update(hidden_size=hidden, intermediate_size=2 * hidden, head_dim=32, num_attention_heads=2, num_key_value_heads=1)
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    torch.manual_seed(0)
    model = Qwen3CausalLM(Qwen3Config.from_dict(config))
    save_file({k: v.detach().to(torch.bfloat16).contiguous() for k, v in model.state_dict().items()
               if not k.endswith("inv_freq")}, str(folder / "model.safetensors"))
    return folder


def test_quantized_mlx_lm_plans(lm_dir, tmp_path):
    pytest.importorskip("mlx.core")
    folder = _wider_lm(lm_dir, tmp_path / "acestep-5Hz-lm-0.6B")
    full = LMPlanner(folder, backend="mlx", check_free_memory=False)
    for bits in (8, 4):
        lm = LMPlanner(folder, backend="mlx", check_free_memory=False, quantize_bits=bits)
        assert type(lm.runtime.model.embed_tokens).__name__ == "QuantizedEmbedding"
        plan = _plan(lm, 3)
        assert len(plan.codes) == 50 and plan.metadata["bpm"] == 92
    assert len(_plan(full, 3).codes) == 50
    with pytest.raises(LMError) as err:
        LMPlanner(folder, backend="torch", check_free_memory=False, quantize_bits=4)
    assert err.value.code == "lm.bad_quantization"
    planner_mod.check_memory(tmp_path / "acestep-5Hz-lm-4B", available_bytes=5 * 10**9, bits=4)  # 4.5 GB budget
