"""Parity: the sampler (core/schedule.py + core/pipeline.py) against upstream's numbers.

Schedule-level cases need no model; the f_*, g_*, i_* and l_* generation cases run our real
pipeline sampler on the torch backend over the tiny parity checkpoints. Noise for the f/g/i
cases is the shared ``in.noise``; the l_* cases rebuild upstream's torch-generator noise by the
rule f_seed_noise documents (checked here first).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import load_file

from mixgrv_app.core import schedule as S


@pytest.fixture(scope="module")
def cases(parity):
    return json.loads((parity / "cases.json").read_text(encoding="utf-8"))["cases"]


def _load(parity, name):
    return load_file(str(parity / "cases" / f"{name}.safetensors"))


def _atol(cases, name, key):
    return cases[name]["tolerance"][key]["suggested_atol"]


# ---- schedule-level ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["f_turbo_generate_shift1", "f_turbo_generate_shift2", "f_turbo_generate_shift3",
                                  "f_turbo_generate_custom_timesteps"])
def test_turbo_schedule_fed_timesteps(cases, name):
    params = cases[name]["params"]
    values = S.turbo_timesteps(params.get("shift", 3.0), params.get("timesteps_requested"))
    assert [float(np.float32(v)) for v in values] == params["timestep_fed_to_decoder_per_step_fp32"]


def test_turbo_shift_snaps_to_table():
    assert S.turbo_timesteps(2.6) == list(S.TURBO_TABLES[3.0])
    assert S.turbo_timesteps(0.2) == list(S.TURBO_TABLES[1.0])
    assert S.turbo_timesteps(3.0, [0.0, 0.0]) == list(S.TURBO_TABLES[3.0])  # all zeros: default table
    assert len(S.turbo_timesteps(3.0, [0.5] * 25)) == 20


@pytest.mark.parametrize("name", ["g_base_generate_apg", "g_base_generate_no_cfg", "g_base_generate_apg_cfg_interval",
                                  "g_base_generate_adg"])
def test_base_schedule_fed_timesteps(cases, name):
    params = cases[name]["params"]
    t = S.base_timesteps(params["infer_steps"], params["shift"])
    assert t.dtype == np.float32 and t[-1] == 0
    assert [float(v) for v in t[:-1]] == params["timestep_fed_to_decoder_per_step_fp32"]


def test_linspace_matches_torch_bit_for_bit():
    torch = pytest.importorskip("torch")
    for n in range(1, 130):
        for a, b in ((1.0, 0.0), (0.0, 1.0)):
            np.testing.assert_array_equal(S.torch_linspace_f32(a, b, n), torch.linspace(a, b, n).numpy())


def test_g_apg_step(parity, cases):
    t = _load(parity, "g_apg_step")
    buffer = S.MomentumBuffer()
    g1 = S.apg_guidance(t["in.pred_cond_1"], t["in.pred_uncond_1"], 7.0, buffer)
    np.testing.assert_allclose(buffer.running_average, t["out.running_average_1"], atol=1e-6, rtol=0)
    g2 = S.apg_guidance(t["in.pred_cond_2"], t["in.pred_uncond_2"], 7.0, buffer)
    np.testing.assert_allclose(buffer.running_average, t["out.running_average_2"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(g1, t["out.guided_1"], atol=_atol(cases, "g_apg_step", "guided_1"), rtol=0)
    np.testing.assert_allclose(g2, t["out.guided_2"], atol=_atol(cases, "g_apg_step", "guided_2"), rtol=0)


def test_g_adg_step(parity, cases):
    t = _load(parity, "g_adg_step")
    guided = S.adg_guidance(t["in.latents"], t["in.pred_cond"], t["in.pred_uncond"], np.float32(0.6), 7.0)
    np.testing.assert_allclose(guided, t["out.guided"], atol=_atol(cases, "g_adg_step", "guided"), rtol=0)
    # batch > 1 (upstream crashes): each item equals its single-item result
    two = S.adg_guidance(np.concatenate([t["in.latents"]] * 2), np.concatenate([t["in.pred_cond"]] * 2),
                         np.concatenate([t["in.pred_uncond"]] * 2), np.float32(0.6), 7.0)
    np.testing.assert_array_equal(two[1:], guided)


def test_length_rules():
    assert S.latent_frames(10.2) == 254 and S.requested_samples(10.2) == 489599
    assert S.output_samples(10.2) == 254 * 1920
    assert S.latent_frames(12.3) == 307 and S.output_samples(12.3) == 589440
    assert S.latent_frames(5.0) == 128 and S.output_samples(5.0) == 240000
    assert S.latent_frames(10) == 250 and S.output_samples(10) == 480000
    assert S.latent_frames(1.0) == 128 and S.output_samples(1.0) == 48000


def test_cfg_interval_uses_float32_bounds():
    t = S.base_timesteps(6, 3.0)
    active = [S.cfg_active(v, 0.5, 0.8) for v in t[:-1]]
    assert active == [False, False, False, True, True, False]


def test_peak_normalize_per_item():
    audio = np.zeros((2, 2, 10), dtype=np.float32)
    audio[0, 0, 3] = 2.0
    audio[1, 1, 4] = 0.5
    out = S.peak_normalize(audio)
    assert out[0, 0, 3] == 1.0 and out[1, 1, 4] == 0.5


def test_repaint_crossfade_ramps():
    x = np.ones((1, 12, 1), dtype=np.float32)
    clean = np.zeros_like(x)
    mask = np.zeros((1, 12), dtype=bool)
    mask[0, 4:8] = True
    out = S.repaint_crossfade(x, clean, mask, 3)[0, :, 0]
    np.testing.assert_allclose(out, [0, 0.25, 0.5, 0.75, 1, 1, 1, 1, 0.75, 0.5, 0.25, 0])
