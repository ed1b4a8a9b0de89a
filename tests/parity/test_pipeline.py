"""Parity: the sampler (core/schedule.py + core/pipeline.py) against upstream's numbers.

Schedule-level cases need no model; the f_*, g_*, i_* and l_* generation cases run our real
pipeline sampler on BOTH backends (torch and MLX; the generator fixtures are parametrized) over
the tiny parity checkpoints, at each case's suggested_atol, not loosened. Noise for the f/g/i
cases is the shared ``in.noise``; the l_* cases rebuild upstream's torch-generator noise by the
rule f_seed_noise documents (checked here first). Max errors are printed (``-s``).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from safetensors.numpy import load_file

from mixgrv_app.core import schedule as S
from tests.conftest import case_names


@pytest.fixture(scope="module")
def cases(parity):
    return json.loads((parity / "cases.json").read_text(encoding="utf-8"))["cases"]


def _load(parity, name):
    return load_file(str(parity / "cases" / f"{name}.safetensors"))


def _atol(cases, name, key):
    return cases[name]["tolerance"][key]["suggested_atol"]


# ---- schedule-level ---------------------------------------------------------------------------

def _turbo_shift(params) -> dict:
    """The case's shift as a keyword, or none (the sampler's default, upstream's) when not given."""
    return {"shift": params["shift"]} if "shift" in params else {}


@pytest.mark.parametrize("name", case_names("f_turbo_generate"))
def test_turbo_schedule_fed_timesteps(cases, name):
    params = cases[name]["params"]
    values = S.turbo_timesteps(timesteps=params.get("timesteps_requested"), **_turbo_shift(params))
    assert [float(np.float32(v)) for v in values] == params["timestep_fed_to_decoder_per_step_fp32"]


def test_turbo_shift_snaps_to_table():
    assert S.turbo_timesteps(2.6) == list(S.TURBO_TABLES[3.0])
    assert S.turbo_timesteps(0.2) == list(S.TURBO_TABLES[1.0])
    assert S.turbo_timesteps(3.0, [0.0, 0.0]) == list(S.TURBO_TABLES[3.0])  # all zeros: default table
    assert len(S.turbo_timesteps(3.0, [0.5] * 25)) == 20


@pytest.mark.parametrize("name", case_names("g_base_generate"))
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
    params = cases["g_apg_step"]["params"]
    buffer = S.MomentumBuffer(momentum=params["momentum"])
    guidance = dict(scale=params["guidance_scale"], norm_threshold=params["norm_threshold"], eta=params["eta"])
    g1 = S.apg_guidance(t["in.pred_cond_1"], t["in.pred_uncond_1"], buffer=buffer, **guidance)
    np.testing.assert_allclose(buffer.running_average, t["out.running_average_1"], atol=1e-6, rtol=0)
    g2 = S.apg_guidance(t["in.pred_cond_2"], t["in.pred_uncond_2"], buffer=buffer, **guidance)
    np.testing.assert_allclose(buffer.running_average, t["out.running_average_2"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(g1, t["out.guided_1"], atol=_atol(cases, "g_apg_step", "guided_1"), rtol=0)
    np.testing.assert_allclose(g2, t["out.guided_2"], atol=_atol(cases, "g_apg_step", "guided_2"), rtol=0)


def test_g_adg_step(parity, cases):
    t = _load(parity, "g_adg_step")
    params = cases["g_adg_step"]["params"]
    sigma, scale = np.float32(params["sigma"]), params["guidance_scale"]
    guided = S.adg_guidance(t["in.latents"], t["in.pred_cond"], t["in.pred_uncond"], sigma, scale)
    np.testing.assert_allclose(guided, t["out.guided"], atol=_atol(cases, "g_adg_step", "guided"), rtol=0)
    # batch > 1 (upstream crashes): each item equals its single-item result
    two = S.adg_guidance(np.concatenate([t["in.latents"]] * 2), np.concatenate([t["in.pred_cond"]] * 2),
                         np.concatenate([t["in.pred_uncond"]] * 2), sigma, scale)
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


# ---- generation through the real sampler on the torch backend ---------------------------------------

def _shared(parity, case):
    """Case inputs: the shared conditioning overridden by the case's own in.* tensors."""
    inputs = {k: v for k, v in _load(parity, "shared_conditioning").items()}
    inputs.update({k: v for k, v in _load(parity, case).items() if k.startswith("in.")})
    return inputs


@pytest.fixture(scope="module", params=["torch", "mlx"])
def backend_name(request):
    return request.param  # mlx[cpu] is a dependency on Linux too: never skipped


def _generator(parity, variant, backend_name):
    from mixgrv_app.core.pipeline import Generator

    gen = Generator(parity / "checkpoints", variant, backend=backend_name)
    assert gen.backend.info.name == backend_name  # no silent fallback in a parity run
    return gen


@pytest.fixture(scope="module")
def turbo(parity, backend_name):
    gen = _generator(parity, "acestep-v15-turbo", backend_name)
    yield gen
    gen.close()


@pytest.fixture(scope="module")
def base(parity, backend_name):
    gen = _generator(parity, "acestep-v15-base", backend_name)
    yield gen
    gen.close()


def _raw_condition(backend, encoder_hidden_states):
    """Wrap given encoder states (all positions valid) as the backend's condition object."""
    if backend.info.name == "mlx":
        import mlx.core as mx

        from mixgrv_app.core.mlx_model.backend import MLXCondition

        enc = mx.array(encoder_hidden_states)
        return MLXCondition(enc, mx.ones(enc.shape[:2], dtype=mx.bool_))
    import torch

    from mixgrv_app.core.torch_model.backend import TorchCondition

    enc = torch.from_numpy(encoder_hidden_states)
    return TorchCondition(enc, torch.ones(enc.shape[:2], dtype=torch.bool))


def _plan_inputs(backend, x, *, batch_one=False, text_key="in.text_hidden_states"):
    text, text_mask = x[text_key], x["in.text_attention_mask"]
    lyric, lyric_mask = x["in.lyric_hidden_states"], x["in.lyric_attention_mask"]
    refer, order = x["in.refer_audio_acoustic_hidden_states_packed"], x["in.refer_audio_order_mask"]
    src, chunk, covers = x["in.src_latents"], x["in.chunk_masks"].astype(np.float32), x["in.is_covers"]
    if batch_one:
        keep = order == 0
        text, text_mask, lyric, lyric_mask = text[:1], text_mask[:1], lyric[:1], lyric_mask[:1]
        refer, order = refer[keep], order[keep]
        src, chunk, covers = src[:1], chunk[:1], covers[:1]
    cond = backend.encode_condition(text, text_mask, lyric, lyric_mask, refer, order)
    hints = src
    if covers.any():
        hints = np.where(covers[:, None, None], backend.cover_hints(src), src)
    context = np.concatenate([hints, chunk], axis=-1)
    return cond, context, (text_mask, lyric, lyric_mask, refer, order, src, chunk)


def _check(cases, name, key, got, expected, errors):
    error = float(np.max(np.abs(got - expected)))
    errors[name] = error
    print(f"{name} {key}: max error {error:.3g}")
    atol = _atol(cases, name, key)
    assert error <= atol, f"{name}: max error {error:.3g} > atol {atol}"


PARITY_ERRORS: dict[str, float] = {}


def test_f_seed_noise_documents_torch_rule(parity, cases):
    torch = pytest.importorskip("torch")
    t = _load(parity, "f_seed_noise")
    params = cases["f_seed_noise"]["params"]
    seeds, batch, frames = params["seeds"], params["B"], params["T"]
    channels = t["out.noise_seed_list"].shape[-1]
    assert t["out.noise_seed_list"].shape == (batch, frames, channels) == (len(seeds), frames, channels)
    per_item = _torch_noise(seeds, frames, channels)
    np.testing.assert_array_equal(per_item, t["out.noise_seed_list"])
    one = torch.randn(batch, frames, channels, generator=torch.Generator("cpu").manual_seed(seeds[0])).numpy()
    np.testing.assert_array_equal(one, t["out.noise_single_seed"])
    np.testing.assert_array_equal(per_item, _load(parity, "shared_conditioning")["in.noise"])


@pytest.mark.parametrize("name", case_names("f_turbo_generate"))
def test_f_turbo_generate(parity, cases, turbo, name):
    from mixgrv_app.core.pipeline import SamplingPlan, diffuse

    x = _shared(parity, name)
    cond, context, _ = _plan_inputs(turbo.backend, x)
    params = cases[name]["params"]
    plan = SamplingPlan(turbo=True, cond=cond, context=context, timesteps=params.get("timesteps_requested"),
                        **_turbo_shift(params))
    out = diffuse(turbo.backend, plan, x["in.noise"])
    _check(cases, name, "target_latents", out, _load(parity, name)["out.target_latents"], PARITY_ERRORS)


@pytest.mark.parametrize("name", case_names("f_turbo_cover"))
def test_f_turbo_cover(parity, cases, turbo, name):
    from mixgrv_app.core.pipeline import SamplingPlan, diffuse

    params = cases[name]["params"]
    x = _shared(parity, name)
    backend = turbo.backend
    cond, context, (text_mask, lyric, lyric_mask, refer, order, src, chunk) = _plan_inputs(backend, x)
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
    _check(cases, name, "target_latents", out, _load(parity, name)["out.target_latents"], PARITY_ERRORS)


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
    _check(cases, name, "target_latents", out, _load(parity, name)["out.target_latents"], PARITY_ERRORS)


@pytest.mark.parametrize("name", case_names("g_base_generate"))
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
    _check(cases, name, "target_latents", out, _load(parity, name)["out.target_latents"], PARITY_ERRORS)


def test_i_lora_scales(parity, cases, turbo):
    name = "i_lora_scales"
    t = _load(parity, name)
    backend = turbo.backend
    cond = _raw_condition(backend, t["in.encoder_hidden_states"])

    def velocity():
        return backend.velocity(t["in.hidden_states"], t["in.timestep"], cond, t["in.context_latents"])

    np.testing.assert_allclose(velocity(), t["out.velocity_base_model"], atol=_atol(cases, name, "velocity_disabled"), rtol=0)
    adapter = turbo.load_adapter(parity / "lora" / "adapter", name="adapter")
    try:
        for state, action in _lora_scale_script(t, turbo, adapter):
            action()
            _check(cases, name, f"velocity_{state}", velocity(), t[f"out.velocity_{state}"], PARITY_ERRORS)
        turbo.enable_adapter(adapter, False)
        # disabled means exactly the base model, not merely close to it
        np.testing.assert_array_equal(velocity(), backend.velocity(t["in.hidden_states"], t["in.timestep"], cond, t["in.context_latents"]))
    finally:
        turbo.unload_adapter(adapter)
    # unlike upstream's unload_lora, ours really removes the adapter
    np.testing.assert_allclose(velocity(), t["out.velocity_base_model"], atol=_atol(cases, name, "velocity_disabled"), rtol=0)
    assert backend.adapter_names() == []


def _scale_named(key: str) -> float:
    """The LoRA scale a tensor name spells as ``scale_<int>_<fraction>`` (``scale_0_5`` → 0.5)."""
    whole, fraction = re.search(r"scale_(?:request_)?(\d+)_(\d+)", key).groups()
    return float(f"{whole}.{fraction}")


def _lora_scale_script(t, gen, adapter):
    """Upstream's i_lora_scales sequence, its scales read from the expected tensors' names: each
    plain ``scale_*`` (the one re-enabled later goes last), disable, re-enable, then the
    over-range request that upstream clamps."""
    states = [k.removeprefix("out.velocity_") for k in t if k.startswith("out.velocity_")]
    reenabled = next(s for s in states if s.startswith("reenabled_after_"))
    requested = next(s for s in states if s.startswith("scale_request_"))
    plain = sorted((s for s in states if s.startswith("scale_") and s != requested),
                   key=lambda s: _scale_named(s) == _scale_named(reenabled))
    assert plain and _scale_named(plain[-1]) == _scale_named(reenabled)
    script = [(s, lambda s=s: gen.set_adapter_scale(adapter, _scale_named(s))) for s in plain]
    script += [("disabled", lambda: gen.enable_adapter(adapter, False)),
               (reenabled, lambda: gen.enable_adapter(adapter, True)),
               (requested, lambda: gen.set_adapter_scale(adapter, _scale_named(requested)))]
    return script


def _called_with(case, argument: str) -> float:
    """A number the case's upstream call passes (``shift=3.0``, ``set_lora_scale(0.5)``)."""
    pattern = rf"{re.escape(argument)}\(([\d.]+)\)" if argument.endswith("scale") else rf"\b{argument}=([\d.]+)"
    return float(re.search(pattern, case["upstream_call"]).group(1))


def test_two_adapters_stack(parity, turbo):
    """Two adapters at once add up: two copies at 0.5 act like one at 1.0 (up to fp32 rounding of
    the summation order, |v| ~ 4 so 1e-5), and removing both restores the base model exactly."""
    t = _load(parity, "i_lora_scales")
    backend = turbo.backend
    cond = _raw_condition(backend, t["in.encoder_hidden_states"])

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
    scale, shift = _called_with(cases[name], "set_lora_scale"), _called_with(cases[name], "shift")
    adapter = turbo.load_adapter(parity / "lora" / "adapter", scale=scale)
    try:
        cond, context, _ = _plan_inputs(turbo.backend, x)
        out = diffuse(turbo.backend, SamplingPlan(turbo=True, cond=cond, context=context, shift=shift), x["in.noise"])
    finally:
        turbo.unload_adapter(adapter)
    _check(cases, name, "target_latents", out, _load(parity, name)["out.target_latents"], PARITY_ERRORS)


def _torch_noise(seeds, frames, channels):
    """Upstream's per-item noise: one CPU torch generator per seed (the rule f_seed_noise checks)."""
    torch = pytest.importorskip("torch")
    return np.concatenate([torch.randn(1, frames, channels, generator=torch.Generator("cpu").manual_seed(s)).numpy()
                           for s in seeds])


@pytest.mark.parametrize("name", case_names("l_pipeline"))
def test_l_pipeline(parity, cases, turbo, base, name):
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
    expected = _load(parity, name)
    channels = expected["out.pred_latents"].shape[-1]
    noise = _torch_noise(params["seeds"], params["latent_length"], channels)  # upstream's noise (test input only)
    result = generator.render(request, initial_noise=noise)
    _check(cases, name, "pred_latents", result.latents, expected["out.pred_latents"], PARITY_ERRORS)
    if "out.audio_head" in expected:
        head = np.stack([a[:, : expected["out.audio_head"].shape[-1]] for a in result.audio])
        error = float(np.max(np.abs(head - expected["out.audio_head"])))
        PARITY_ERRORS[name + ".audio_head"] = error
        print(f"{name} audio_head: max error {error:.3g}")
        assert error <= _atol(cases, name, "audio_head")
    # the decoded latent frames, trimmed to the requested duration
    audio_channels = json.loads((parity / "cases.json").read_text(encoding="utf-8"))["model_dims"]["vae"]["audio_channels"]
    assert all(a.shape == (audio_channels, S.output_samples(params["audio_duration"])) for a in result.audio)


@pytest.mark.parametrize("name", case_names("m_cli"))
def test_m_cli_pred_latents_via_pipeline(parity, cases, turbo, base, name):
    """The m_cli cases at pipeline level: prompts from the CLI args, in.initial_noise, pred_latents."""
    from mixgrv_app.core.requests import AdapterSpec, GenerationRequest

    args = cases[name]["params"]["cli_args"]
    generator = turbo if "turbo" in args["--variant"] else base
    adapters = [AdapterSpec(str(parity / args["--lora"].rsplit(":", 1)[0]), float(args["--lora"].rsplit(":", 1)[1]))] if "--lora" in args else []
    request = GenerationRequest(
        caption=args["--caption"], lyrics=args.get("--lyrics", ""), instrumental="--instrumental" in args, language=args["--language"],
        bpm=int(args["--bpm"]) if "--bpm" in args else None, keyscale=args.get("--key"), timesignature=args.get("--time-signature"),
        duration=float(args["--duration"]), variant=args["--variant"], steps=int(args["--steps"]) if "--steps" in args else None,
        guidance=float(args["--guidance"]) if "--guidance" in args else None, shift=float(args["--shift"]),
        seed=int(args["--seed"]), batch_size=int(args["--batch"]), adapters=adapters,
    )
    expected = _load(parity, name)
    try:
        result = generator.generate(request, initial_noise=expected["in.initial_noise"])
    finally:
        generator.use_adapters([])
    _check(cases, name, "pred_latents", result.latents, expected["out.pred_latents"], PARITY_ERRORS)
    np.testing.assert_array_equal(expected["in.initial_noise"], np.stack(
        [np.random.default_rng(int(args["--seed"]) + i).standard_normal(expected["in.initial_noise"].shape[1:], dtype=np.float32)
         for i in range(int(args["--batch"]))]))



# ---- adapter folders (framework-free reader) --------------------------------------------------------

def test_adapter_reader_matches_safetensors(parity):
    from safetensors.numpy import load_file as load_np

    from mixgrv_app.core.lora import read_adapter

    weights, info = read_adapter(parity / "lora" / "adapter")
    raw = load_np(str(parity / "lora" / "adapter" / "adapter_model.safetensors"))
    config = json.loads((parity / "lora" / "adapter" / "adapter_config.json").read_text(encoding="utf-8"))
    modules = sorted(k[len("base_model.model."):-len(".lora_A.weight")] for k in raw if k.endswith(".lora_A.weight"))
    assert info.rank == config["r"] and info.alpha == config["lora_alpha"] and info.modules == len(modules)
    assert sorted(weights.pairs) == modules
    for module in modules:
        assert weights.scaling(module) == config["lora_alpha"] / config["r"]
        a, b = weights.pairs[module]
        np.testing.assert_array_equal(a, raw[f"base_model.model.{module}.lora_A.weight"])
        np.testing.assert_array_equal(b, raw[f"base_model.model.{module}.lora_B.weight"])


def test_adapter_reader_bf16_patterns_and_errors(parity, tmp_path):
    import shutil

    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    from mixgrv_app.core.lora import AdapterError, read_adapter

    folder = tmp_path / "bf16"
    shutil.copytree(parity / "lora" / "adapter", folder)
    tensors = {k: torch.from_numpy(v.copy()).to(torch.bfloat16)
               for k, v in load_file(str(folder / "adapter_model.safetensors")).items()}
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    config = json.loads((folder / "adapter_config.json").read_text())
    modules = sorted(read_adapter(folder)[0].pairs)
    patterned, other = modules[-1], modules[0]
    pattern = patterned.split(".", 2)[-1]  # e.g. "self_attn.v_proj": every layer's copy of that Linear
    assert not other.endswith(pattern)
    config["alpha_pattern"] = {pattern: 2 * config["r"] + 1}
    (folder / "adapter_config.json").write_text(json.dumps(config))
    weights, _ = read_adapter(folder)
    key = f"base_model.model.{other}.lora_A.weight"
    np.testing.assert_array_equal(weights.pairs[other][0], tensors[key].float().numpy())
    assert weights.scaling(patterned) == (2 * config["r"] + 1) / config["r"]
    assert weights.scaling(other) == config["lora_alpha"] / config["r"]

    config["use_dora"] = True
    (folder / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(AdapterError) as info:
        read_adapter(folder)
    assert info.value.code == "lora.unsupported"
    (folder / "adapter_config.json").write_text("{not json")
    with pytest.raises(AdapterError) as info:
        read_adapter(folder)
    assert info.value.code == "lora.corrupt"
    (folder / "adapter_config.json").unlink()
    with pytest.raises(AdapterError) as info:
        read_adapter(folder)
    assert info.value.code == "lora.missing_file"
    with pytest.raises(AdapterError) as info:
        read_adapter(tmp_path / "nowhere")
    assert info.value.code == "lora.not_found"


def test_adapter_validation_against_model_shapes(parity):
    from mixgrv_app.core.lora import AdapterError, read_adapter, validate_adapter

    from mixgrv_app.core.checkpoints import read_headers

    weights, _ = read_adapter(parity / "lora" / "adapter")
    # the decoder's Linear shapes (out, in) as the turbo checkpoint's header gives them
    shapes = {key[len("decoder."):-len(".weight")]: tuple(shape)
              for key, (_path, _dtype, shape) in read_headers(parity / "checkpoints" / "acestep-v15-turbo").items()
              if key.startswith("decoder.") and key.endswith("_proj.weight") and len(shape) == 2}
    assert set(weights.pairs) <= set(shapes)
    validate_adapter(weights, shapes, "adapter", "acestep-v15-turbo")
    module = sorted(weights.pairs)[0]
    out_features, in_features = shapes[module]
    shapes[module] = (out_features + 16, in_features)
    with pytest.raises(AdapterError) as info:
        validate_adapter(weights, shapes, "adapter", "acestep-v15-turbo")
    assert info.value.code == "lora.shape_mismatch"
    del shapes[module]
    with pytest.raises(AdapterError) as info:
        validate_adapter(weights, shapes, "adapter", "acestep-v15-turbo")
    assert info.value.code == "lora.unknown_module"
