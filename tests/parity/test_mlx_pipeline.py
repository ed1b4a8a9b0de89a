"""Pipeline-level parity on the MLX backend: the shared numpy sampler (core/pipeline.diffuse,
core/schedule) driving core/mlx_model/backend.py over the parity checkpoints.

The same f_/g_/i_/l_ cases, inputs and helpers as tests/parity/test_pipeline.py (torch backend),
so the two files differ only in the backend. Tolerance: each case's suggested_atol, not
loosened. Max errors are printed (``-s``).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("mlx.core")

from test_pipeline import _atol, _check, _load, _plan_inputs, _shared, _torch_noise  # noqa: E402  (sibling module)

ERRORS: dict[str, float] = {}


@pytest.fixture(scope="module")
def cases(parity):
    import json

    return json.loads((parity / "cases.json").read_text(encoding="utf-8"))["cases"]


@pytest.fixture(scope="module")
def turbo(parity):
    from mixgrv_app.core.pipeline import Generator

    gen = Generator(parity / "checkpoints", "acestep-v15-turbo", backend="mlx")
    assert gen.backend.info.name == "mlx"
    yield gen
    gen.close()


@pytest.fixture(scope="module")
def base(parity):
    from mixgrv_app.core.pipeline import Generator

    gen = Generator(parity / "checkpoints", "acestep-v15-base", backend="mlx")
    yield gen
    gen.close()


@pytest.mark.parametrize("name,shift", [("f_turbo_generate_shift1", 1.0), ("f_turbo_generate_shift2", 2.0),
                                        ("f_turbo_generate_shift3", 3.0), ("f_turbo_generate_custom_timesteps", 3.0)])
def test_f_turbo_generate(parity, cases, turbo, name, shift):
    from mixgrv_app.core.pipeline import SamplingPlan, diffuse

    x = _shared(parity, name)
    cond, context, _ = _plan_inputs(turbo.backend, x)
    plan = SamplingPlan(turbo=True, cond=cond, context=context, shift=shift,
                        timesteps=cases[name]["params"].get("timesteps_requested"))
    out = diffuse(turbo.backend, plan, x["in.noise"])
    _check(cases, name, "target_latents", out, _load(parity, name)["out.target_latents"], ERRORS)


@pytest.mark.parametrize("name", ["f_turbo_cover_strength", "f_turbo_cover_noise_strength"])
def test_f_turbo_cover(parity, cases, turbo, name):
    from mixgrv_app.core.pipeline import SamplingPlan, diffuse

    params = cases[name]["params"]
    x = _shared(parity, name)
    backend = turbo.backend
    cond, context, (_tm, lyric, lyric_mask, refer, order, src, chunk) = _plan_inputs(backend, x)
    cond_nc = context_nc = None
    if params["audio_cover_strength"] < 1.0:
        cond_nc = backend.encode_condition(x["in.non_cover_text_hidden_states"], x["in.non_cover_text_attention_mask"],
                                           lyric, lyric_mask, refer, order)
        silence = np.broadcast_to(backend.silence_latent()[: src.shape[1]], src.shape)
        context_nc = np.concatenate([silence, chunk], axis=-1)
    plan = SamplingPlan(turbo=True, cond=cond, context=context, shift=params["shift"],
                        cover_strength=params["audio_cover_strength"], cond_non_cover=cond_nc, context_non_cover=context_nc,
                        cover_noise_strength=params["cover_noise_strength"], src_latents=src)
    out = diffuse(backend, plan, x["in.noise"])
    _check(cases, name, "target_latents", out, _load(parity, name)["out.target_latents"], ERRORS)


def test_f_turbo_repaint(parity, cases, turbo):
    from mixgrv_app.core.pipeline import SamplingPlan, diffuse

    name = "f_turbo_repaint"
    params = cases[name]["params"]
    x = _shared(parity, name)
    cond, context, _ = _plan_inputs(turbo.backend, x)
    plan = SamplingPlan(turbo=True, cond=cond, context=context, shift=params["shift"], repaint_mask=x["in.repaint_mask"],
                        clean_src=x["in.clean_src_latents"], repaint_crossfade_frames=params["repaint_crossfade_frames"],
                        repaint_injection_ratio=params["repaint_injection_ratio"])
    out = diffuse(turbo.backend, plan, x["in.noise"])
    _check(cases, name, "target_latents", out, _load(parity, name)["out.target_latents"], ERRORS)


@pytest.mark.parametrize("name", ["g_base_generate_apg", "g_base_generate_apg_cfg_interval", "g_base_generate_no_cfg",
                                  "g_base_generate_adg"])
def test_g_base_generate(parity, cases, base, name):
    from mixgrv_app.core.pipeline import SamplingPlan, diffuse

    params = cases[name]["params"]
    x = _shared(parity, name)
    batch_one = "batch_selection" in cases[name]["shared_inputs"]
    cond, context, _ = _plan_inputs(base.backend, x, batch_one=batch_one)
    noise = x["in.noise"][:1] if batch_one else x["in.noise"]
    plan = SamplingPlan(turbo=False, cond=cond, context=context, steps=params["infer_steps"], shift=params["shift"],
                        guidance=params["diffusion_guidance_sale"], guidance_mode="adg" if params.get("use_adg") else "apg",
                        cfg_interval=(params.get("cfg_interval_start", 0.0), params.get("cfg_interval_end", 1.0)))
    out = diffuse(base.backend, plan, noise)
    _check(cases, name, "target_latents", out, _load(parity, name)["out.target_latents"], ERRORS)


def test_i_lora_scales(parity, cases, turbo):
    import mlx.core as mx

    from mixgrv_app.core.mlx_model.backend import MLXCondition

    name = "i_lora_scales"
    t = _load(parity, name)
    backend = turbo.backend
    enc = mx.array(t["in.encoder_hidden_states"])
    cond = MLXCondition(enc, mx.ones(enc.shape[:2], dtype=mx.bool_))

    def velocity():
        return backend.velocity(t["in.hidden_states"], t["in.timestep"], cond, t["in.context_latents"])

    base_atol = _atol(cases, name, "velocity_disabled")
    np.testing.assert_allclose(velocity(), t["out.velocity_base_model"], atol=base_atol, rtol=0)
    adapter = turbo.load_adapter(parity / "lora" / "adapter", name="adapter")
    try:
        for state, action in (("scale_1_0", lambda: turbo.set_adapter_scale(adapter, 1.0)),
                              ("scale_0_5", lambda: turbo.set_adapter_scale(adapter, 0.5)),
                              ("disabled", lambda: turbo.enable_adapter(adapter, False)),
                              ("reenabled_after_scale_0_5", lambda: turbo.enable_adapter(adapter, True)),
                              ("scale_request_1_7_clamped", lambda: turbo.set_adapter_scale(adapter, 1.7))):
            action()
            _check(cases, name, f"velocity_{state}", velocity(), t[f"out.velocity_{state}"], ERRORS)
        turbo.enable_adapter(adapter, False)
        # disabled means exactly the base model, not merely close to it
        plain = backend.velocity(t["in.hidden_states"], t["in.timestep"], cond, t["in.context_latents"])
        np.testing.assert_array_equal(velocity(), plain)
    finally:
        turbo.unload_adapter(adapter)
    np.testing.assert_allclose(velocity(), t["out.velocity_base_model"], atol=base_atol, rtol=0)
    assert backend.adapter_names() == []


def test_two_adapters_stack(parity, turbo):
    """Two adapters at once add up: two copies at 0.5 act like one at 1.0 (up to fp32 rounding of
    the summation order, |v| ~ 4 so 1e-5), and removing both restores the base model exactly."""
    import mlx.core as mx

    from mixgrv_app.core.mlx_model.backend import MLXCondition

    t = _load(parity, "i_lora_scales")
    backend = turbo.backend
    enc = mx.array(t["in.encoder_hidden_states"])
    cond = MLXCondition(enc, mx.ones(enc.shape[:2], dtype=mx.bool_))

    def velocity():
        return backend.velocity(t["in.hidden_states"], t["in.timestep"], cond, t["in.context_latents"])

    base_v = velocity()
    first = turbo.load_adapter(parity / "lora" / "adapter", name="first", scale=0.5)
    single = velocity()
    second = turbo.load_adapter(parity / "lora" / "adapter", name="second", scale=0.5)
    try:
        both = velocity()
        turbo.enable_adapter(second, False)
        turbo.set_adapter_scale(first, 1.0)
        np.testing.assert_allclose(both, velocity(), atol=1e-5, rtol=0)
        assert np.abs(single - base_v).max() > 1e-3
    finally:
        turbo.unload_adapter(second)
        turbo.unload_adapter(first)
    np.testing.assert_array_equal(velocity(), base_v)


def test_i_lora_generate_scale_0_5(parity, cases, turbo):
    from mixgrv_app.core.pipeline import SamplingPlan, diffuse

    name = "i_lora_generate_scale_0_5"
    x = _shared(parity, name)
    adapter = turbo.load_adapter(parity / "lora" / "adapter", scale=0.5)
    try:
        cond, context, _ = _plan_inputs(turbo.backend, x)
        out = diffuse(turbo.backend, SamplingPlan(turbo=True, cond=cond, context=context, shift=3.0), x["in.noise"])
    finally:
        turbo.unload_adapter(adapter)
    _check(cases, name, "target_latents", out, _load(parity, name)["out.target_latents"], ERRORS)


@pytest.mark.parametrize("name", ["l_pipeline_turbo_generate_music", "l_pipeline_base_generate_music"])
def test_l_pipeline(parity, cases, turbo, base, name):
    import json

    from mixgrv_app.core.requests import GenerationRequest

    params = cases[name]["params"]
    items = json.loads((parity / "cases" / "b_prompt_tokenization.json").read_text(encoding="utf-8"))["items"]
    prompt = next(i["inputs"] for i in items if i["id"] == params["prompt_id"])
    generator = turbo if "turbo" in name else base
    request = GenerationRequest(
        caption=prompt["caption"], lyrics=prompt["lyrics"], instrumental=prompt["instrumental"], language=prompt["vocal_language"],
        bpm=prompt["bpm"], keyscale=prompt["keyscale"], timesignature=prompt["timesignature"], duration=params["audio_duration"],
        variant=generator.variant, steps=params["inference_steps"], guidance=params["guidance_scale"], shift=params["shift"],
        seed=params["seeds"][0], batch_size=len(params["seeds"]),
    )
    noise = _torch_noise(params["seeds"], params["latent_length"])  # upstream's torch-generator noise (test input only)
    result = generator.render(request, initial_noise=noise)
    expected = _load(parity, name)
    _check(cases, name, "pred_latents", result.latents, expected["out.pred_latents"], ERRORS)
    if "out.audio_head" in expected:
        head = np.stack([a[:, : expected["out.audio_head"].shape[-1]] for a in result.audio])
        error = float(np.max(np.abs(head - expected["out.audio_head"])))
        print(f"{name} audio_head: max error {error:.3g}")
        assert error <= _atol(cases, name, "audio_head")
    assert all(a.shape == (2, 240000) for a in result.audio)
