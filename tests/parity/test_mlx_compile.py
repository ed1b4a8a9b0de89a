"""The compiled DiT step (``mx.compile``, core/mlx_model/backend.DiTStep), forced on MLX CPU.

Compiling is on by default only on Metal; these tests force it on here so the compiled path is
covered everywhere. Measured on the parity checkpoints (MLX 0.32.4 CPU, fp32): compiled and
plain outputs are bit-identical (max |Δ| = 0), so the bound 1e-5 is pure margin.

What must hold for a compiled graph to be safe:
- the LoRA strength slider and enable switch reach it without a retrace (they are an input
  array, not Python floats captured at trace time);
- adding, removing or merging an adapter (which changes the graph's constants) drops it;
- a new latent/condition length retraces (shapeless=False), an old one reuses its trace.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

mx = pytest.importorskip("mlx.core")

from safetensors.numpy import load_file  # noqa: E402

from mixgrv_app.core import lora  # noqa: E402
from mixgrv_app.core.mlx_model.backend import open_backend  # noqa: E402

TURBO = "acestep-v15-turbo"
BOUND = 1e-5


@pytest.fixture(scope="module")
def backend(parity):
    b = open_backend(parity / "checkpoints", TURBO, dtype="float32", compile_step=True)
    assert b.compile_step and "DiT step compiled (mx.compile)" in b.info.notes
    yield b
    b.close()


@pytest.fixture(scope="module")
def inputs(parity):
    t = load_file(str(parity / "cases" / "i_lora_scales.safetensors"))
    return t


def _args(backend, t, frames=None):
    x, context_latents = t["in.hidden_states"], t["in.context_latents"]
    if frames is not None:
        x, context_latents = x[:, :frames], context_latents[:, :frames]
    context = backend.model.decoder.embed_condition(mx.array(t["in.encoder_hidden_states"]).astype(backend.dtype))
    return (mx.array(x), mx.array(t["in.timestep"]), mx.array(t["in.timestep"]), mx.array(context_latents), context)


def _both(backend, args):
    compiled = np.array(backend.dit_step(*args, compiled=True))
    plain = np.array(backend.dit_step(*args, compiled=False))
    return compiled, plain


def _diff(a, b) -> float:
    return float(np.abs(a - b).max())


def test_compiled_step_equals_plain_on_parity_cases(parity, backend):
    cases = json.loads((parity / "cases.json").read_text())["cases"]
    shared = load_file(str(parity / "cases" / "shared_conditioning.safetensors"))
    for name in [n for n in cases if n.startswith("d_")]:
        t = {**shared, **load_file(str(parity / cases[name]["file"]))}
        context = backend.model.decoder.embed_condition(mx.array(t["in.encoder_hidden_states"]))
        args = (mx.array(t["in.hidden_states"]), mx.array(t["in.timestep"]), mx.array(t["in.timestep_r"]),
                mx.array(t["in.context_latents"]), context)
        compiled, plain = _both(backend, args)
        print(f"{name}: compiled vs plain max |Δ| {_diff(compiled, plain):.3g}")
        assert _diff(compiled, plain) <= BOUND
        atol = cases[name]["tolerance"]["velocity"]["suggested_atol"]
        assert _diff(compiled, t["out.velocity"]) <= atol  # and still upstream's numbers


def test_compiled_step_follows_lora_scale_and_enable(parity, backend, inputs):
    args = _args(backend, inputs)
    base, _ = _both(backend, args)
    weights, _info = lora.read_adapter(parity / "lora" / "adapter", "adapter")
    backend.add_adapter(weights)
    try:
        full, plain = _both(backend, args)
        assert _diff(full, plain) <= BOUND and _diff(full, base) > 1e-3
        step = backend._step_fn
        traces = step.traces
        for scale in (0.5, 0.0, 0.3):
            backend.set_adapter_scale("adapter", scale)
            compiled, plain = _both(backend, args)
            assert _diff(compiled, plain) <= BOUND, scale
            if scale:
                assert _diff(compiled, full) > 1e-4, scale   # the slider really reached the compiled graph
            else:
                assert _diff(compiled, base) <= BOUND
        backend.set_adapter_enabled("adapter", False)
        compiled, plain = _both(backend, args)
        np.testing.assert_array_equal(plain, base)      # disabled = exactly the base model
        np.testing.assert_array_equal(compiled, base)   # also through the compiled graph (B A x · 0 adds 0)
        backend.set_adapter_enabled("adapter", True)
        backend.set_adapter_scale("adapter", 0.5)
        compiled, plain = _both(backend, args)
        assert _diff(compiled, plain) <= BOUND
        cases = json.loads((parity / "cases.json").read_text())["cases"]
        atol = cases["i_lora_scales"]["tolerance"]["velocity_scale_0_5"]["suggested_atol"]
        assert _diff(compiled, inputs["out.velocity_scale_0_5"]) <= atol  # upstream's PEFT at 0.5
        assert backend._step_fn is step and step.traces == traces  # scale/enable: no retrace
    finally:
        backend.remove_adapter("adapter")
    assert backend._step_fn is None  # removing changed the graph's constants: dropped
    compiled, _plain = _both(backend, args)
    np.testing.assert_array_equal(compiled, base)


def test_compiled_step_retraces_per_shape_only(backend, inputs):
    args = _args(backend, inputs)
    _both(backend, args)
    step = backend._step_fn
    before = step.traces
    short = _args(backend, inputs, frames=args[0].shape[1] - 6)
    compiled, plain = _both(backend, short)
    assert _diff(compiled, plain) <= BOUND and compiled.shape[1] == args[0].shape[1] - 6
    assert step.traces == before + 1
    _both(backend, args)
    _both(backend, short)
    assert step.traces == before + 1  # both shapes cached


def test_compiled_turbo_sampling_equals_plain(parity, backend):
    """The whole turbo sampler (core/pipeline.diffuse) through the compiled step."""
    from test_pipeline import _load, _plan_inputs, _shared  # sibling module

    from mixgrv_app.core.pipeline import SamplingPlan, diffuse

    cases = json.loads((parity / "cases.json").read_text())["cases"]
    name = "f_turbo_generate_shift3"
    x = _shared(parity, name)
    outs = {}
    for compiled in (True, False):
        backend.compile_step = compiled
        try:
            cond, context, _ = _plan_inputs(backend, x)
            plan = SamplingPlan(turbo=True, cond=cond, context=context, shift=cases[name]["params"]["shift"])
            outs[compiled] = diffuse(backend, plan, x["in.noise"])
        finally:
            backend.compile_step = True
    assert _diff(outs[True], outs[False]) <= BOUND
    atol = cases[name]["tolerance"]["target_latents"]["suggested_atol"]
    assert _diff(outs[True], _load(parity, name)["out.target_latents"]) <= atol


def test_merge_drops_the_compiled_step(parity, inputs):
    """Merging writes new base weights; a compiled graph holding the old ones must not survive."""
    b = open_backend(parity / "checkpoints", TURBO, dtype="float32", compile_step=True)
    try:
        args = _args(b, inputs)
        weights, _info = lora.read_adapter(parity / "lora" / "adapter", "adapter")
        b.add_adapter(weights)
        b.set_adapter_scale("adapter", 0.5)
        side_path, _ = _both(b, args)
        b.merge_adapters()
        assert b._step_fn is None
        merged, plain = _both(b, args)
        assert _diff(merged, plain) <= BOUND
        assert _diff(merged, side_path) <= 1e-4  # merged at 0.5 = the side paths at 0.5
    finally:
        b.close()
