"""The MLX precision policy (core/mlx_model/backend.precision_for), checked on MLX CPU with bf16 forced.

On Metal the DiT, the condition encoder and the text encoder keep the official files' bf16
weights; RMSNorm statistics, the timestep sinusoid and the diffusion state x_t stay fp32; the
VAE is fp32; fp16 never. Here MLX runs on the CPU, whose default is fp32, so the tests force
bf16 (``MIXGRV_MLX_DTYPE=bfloat16``) and compare with the fp32 backend on the parity checkpoints.

Tolerances are relative L2 errors ``|a − b|₂ / |b|₂`` against our own fp32 result, measured on
these checkpoints (MLX 0.32.4 CPU) and bounded with about 2× margin:

=====================  ==========  =====
output                  measured    bound
=====================  ==========  =====
DiT forward (d_ cases)  0.86–0.97%  2e-2
condition encoder       0.55%       2e-2
text encoder            0.64%       2e-2
turbo song latents      0.41%       1e-2
turbo song audio        0.29%       1e-2
=====================  ==========  =====

bf16 keeps 8 significant bits (unit roundoff 2⁻⁸ ≈ 0.39%), and every Linear output is rounded
once more, so ~1% on one forward is the expected size; the whole song is smaller because the
last Euler step and the fp32 VAE average it out. These are tiny random-init checkpoints; the
full 24-layer model has not been measured (no real weights on this machine).
"""

from __future__ import annotations

import numpy as np
import pytest

mx = pytest.importorskip("mlx.core")

from mixgrv_app.core.errors import MixgrvError  # noqa: E402
from mixgrv_app.core.mlx_model import backend as B  # noqa: E402

TURBO = "acestep-v15-turbo"


def _rel(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _generator(parity, dtype):
    from mixgrv_app.core.pipeline import Generator

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(B.DTYPE_ENV, dtype)
        return Generator(parity / "checkpoints", TURBO, backend="mlx")


@pytest.fixture(scope="module")
def gen32(parity):
    gen = _generator(parity, "float32")
    yield gen
    gen.close()


@pytest.fixture(scope="module")
def gen16(parity):
    gen = _generator(parity, "bfloat16")
    yield gen
    gen.close()


# ---- the policy -----------------------------------------------------------------------------------

def test_precision_policy_by_device(monkeypatch):
    monkeypatch.delenv(B.DTYPE_ENV, raising=False)
    metal = B.precision_for("metal")
    assert (metal.dit, metal.text_encoder, metal.vae, metal.state) == ("bfloat16", "bfloat16", "float32", "float32")
    assert metal.name == "bfloat16"
    cpu = B.precision_for("cpu")
    assert (cpu.dit, cpu.text_encoder, cpu.vae, cpu.state) == ("float32", "float32", "float32", "float32")
    # override by argument, then by environment; aliases; the VAE and x_t stay fp32 whatever is asked
    assert B.precision_for("cpu", "bf16").dit == "bfloat16"
    assert B.precision_for("metal", "float32").dit == "float32"
    monkeypatch.setenv(B.DTYPE_ENV, "bfloat16")
    assert B.precision_for("cpu") == B.Precision("bfloat16", "bfloat16")
    assert B.precision_for("cpu", "auto").dit == "float32"  # an explicit argument wins over the environment
    for bad in ("float16", "fp16", "half"):
        with pytest.raises(MixgrvError, match="fp16"):
            B.precision_for("metal", bad)
    with pytest.raises(MixgrvError, match="unknown MLX dtype"):
        B.precision_for("metal", "int8")


def test_compile_policy_by_device(monkeypatch):
    monkeypatch.delenv(B.COMPILE_ENV, raising=False)
    assert B.compile_for("metal") is True and B.compile_for("cpu") is False
    assert B.compile_for("cpu", True) is True and B.compile_for("metal", False) is False
    monkeypatch.setenv(B.COMPILE_ENV, "1")
    assert B.compile_for("cpu") is True
    monkeypatch.setenv(B.COMPILE_ENV, "0")
    assert B.compile_for("metal") is False
    monkeypatch.setenv(B.COMPILE_ENV, "maybe")
    with pytest.raises(MixgrvError):
        B.compile_for("metal")


def test_cpu_default_stays_float32(gen32):
    info = gen32.backend.info
    assert (info.name, info.device, info.dtype) == ("mlx", "cpu", "float32")
    assert gen32.backend.model.decoder.layers[0].self_attn.q_proj.weight.dtype == mx.float32


# ---- bf16 forced on the CPU -------------------------------------------------------------------------

def test_bf16_weights_stay_bf16_and_nothing_is_fp16(gen16):
    from mlx.utils import tree_flatten

    backend = gen16.backend
    assert backend.info.dtype == "bfloat16" and gen16.info()["backend"]["dtype"] == "bfloat16"  # the sidecar's block
    assert "bfloat16" in gen16.describe_backend()
    model = backend.model
    assert model.decoder.layers[0].self_attn.q_proj.weight.dtype == mx.bfloat16        # a DiT Linear
    assert model.encoder.lyric_encoder.layers[0].mlp.up_proj.weight.dtype == mx.bfloat16  # condition encoder
    assert backend.text_encoder.layers[0].self_attn.q_proj.weight.dtype == mx.bfloat16    # text encoder
    dtypes = {name: {v.dtype for _k, v in tree_flatten(module.parameters())}
              for name, module in (("dit", model), ("text", backend.text_encoder), ("vae", backend.vae))}
    assert dtypes["dit"] == {mx.bfloat16} and dtypes["text"] == {mx.bfloat16}, dtypes
    assert dtypes["vae"] == {mx.float32}, dtypes  # Snake activations: the VAE stays fp32
    assert all(mx.float16 not in found for found in dtypes.values())


def test_bf16_step_computes_in_bf16_takes_and_returns_fp32(parity, gen16, monkeypatch):
    """Every Linear of the DiT step really runs in bf16 (no silent promotion to fp32 by an fp32
    input), none in fp16, and the step's result — the velocity the fp32 Euler update uses — is fp32."""
    import mlx.nn as nn
    from safetensors.numpy import load_file

    t = load_file(str(parity / "cases" / "d_dit_forward_0.safetensors"))
    backend = gen16.backend
    seen: list = []
    plain_call = nn.Linear.__call__

    def spy(self, x):
        out = plain_call(self, x)
        seen.append(out.dtype)
        return out

    monkeypatch.setattr(nn.Linear, "__call__", spy)
    context = backend.model.decoder.embed_condition(mx.array(t["in.encoder_hidden_states"]).astype(backend.dtype))
    out = backend.dit_step(mx.array(t["in.hidden_states"]), mx.array(t["in.timestep"]), mx.array(t["in.timestep_r"]),
                           mx.array(t["in.context_latents"]), context, compiled=False)
    assert out.dtype == mx.float32
    assert seen and set(seen) == {mx.bfloat16}, set(seen)
    assert np.isfinite(np.array(out)).all()


def test_bf16_modules_within_tolerance(parity, gen32, gen16):
    """DiT forward, condition encoder and text encoder in bf16 vs fp32 (see the module docstring)."""
    import json

    from safetensors.numpy import load_file

    cases = json.loads((parity / "cases.json").read_text())["cases"]
    shared = load_file(str(parity / "cases" / "shared_conditioning.safetensors"))

    def case(name):
        return {**shared, **load_file(str(parity / cases[name]["file"]))}

    errors = {}
    for name in [n for n in cases if n.startswith("d_")]:
        t = case(name)
        outs = []
        for backend in (gen16.backend, gen32.backend):
            context = backend.model.decoder.embed_condition(mx.array(t["in.encoder_hidden_states"]).astype(backend.dtype))
            out = backend.dit_step(mx.array(t["in.hidden_states"]), mx.array(t["in.timestep"]),
                                   mx.array(t["in.timestep_r"]), mx.array(t["in.context_latents"]), context, compiled=False)
            outs.append(np.array(out))
        assert np.isfinite(outs[0]).all()
        errors[name] = _rel(*outs)
        assert errors[name] <= 2e-2, (name, errors[name])
    for name in [n for n in cases if n.startswith("c_")]:
        t = case(name)
        keys = ("in.text_hidden_states", "in.text_attention_mask", "in.lyric_hidden_states", "in.lyric_attention_mask",
                "in.refer_audio_acoustic_hidden_states_packed", "in.refer_audio_order_mask")
        states = [b.condition_arrays(b.encode_condition(*(t[k] for k in keys)))[0] for b in (gen16.backend, gen32.backend)]
        errors[name] = _rel(*states)
        assert errors[name] <= 2e-2, (name, errors[name])
    for name in [n for n in cases if n.startswith("a_")]:
        t = case(name)
        hidden = [b.encode_text(t["in.text_input_ids"]) for b in (gen16.backend, gen32.backend)]
        errors[name] = _rel(*hidden)
        assert errors[name] <= 2e-2, (name, errors[name])
    print("bf16 vs fp32 relative L2:", {k: f"{v:.3g}" for k, v in errors.items()})


def test_bf16_turbo_song_within_tolerance(gen32, gen16):
    """A whole turbo generation (text, condition, 8 Euler steps, fp32 VAE) in bf16 vs fp32."""
    from mixgrv_app.core.requests import GenerationRequest

    request = GenerationRequest(caption="Dreamy K-pop ballad with soft piano", lyrics="[verse]\nla la la", language="en",
                                duration=10, variant=TURBO, seed=7, batch_size=1)
    song16, song32 = gen16.render(request), gen32.render(request)
    assert song16.latents.dtype == np.float32 and np.isfinite(song16.latents).all()
    assert all(np.isfinite(a).all() and a.dtype == np.float32 for a in song16.audio)
    latents, audio = _rel(song16.latents, song32.latents), _rel(np.stack(song16.audio), np.stack(song32.audio))
    print(f"turbo song bf16 vs fp32: latents {latents:.3g}, audio {audio:.3g} relative L2")
    assert latents <= 1e-2 and audio <= 1e-2
    assert song16.sidecar()["backend"]["dtype"] == "bfloat16"


def test_rmsnorm_statistics_in_fp32_for_bf16_input():
    """bf16 input with large magnitudes (the DiT residual stream reaches ~5.7e5 on the XL model):
    our RMSNorm gives the correctly rounded bf16 of the exact (float64) x / rms(x) for nearly
    every element — the statistics were computed in fp32 — while the same formula with bf16
    statistics rounds the mean of squares to 8 bits and misses on 20–70% of the elements."""
    from mixgrv_app.core.mlx_model.blocks import RMSNorm

    rng = np.random.default_rng(0)
    scales = np.array([[1.0], [3e2], [1e4], [5.7e5]], dtype=np.float32)
    x = mx.array((rng.standard_normal((4, 2048)) * 0.2 + 1.0).astype(np.float32) * scales).astype(mx.bfloat16)
    x64 = np.array(x.astype(mx.float32)).astype(np.float64)
    exact = x64 / np.sqrt((x64 ** 2).mean(-1, keepdims=True) + 1e-6)
    rounded = np.array(mx.array(exact.astype(np.float32)).astype(mx.bfloat16).astype(mx.float32))

    norm = RMSNorm(2048)
    norm.weight = norm.weight.astype(mx.bfloat16)
    ours = norm(x)
    assert ours.dtype == mx.bfloat16
    ours = np.array(ours.astype(mx.float32))
    bf16_stats = x * mx.rsqrt(mx.mean(x * x, axis=-1, keepdims=True) + 1e-6)
    bf16_stats = np.array(bf16_stats.astype(mx.float32))
    ours_miss, naive_miss = (ours != rounded).mean(axis=-1), (bf16_stats != rounded).mean(axis=-1)
    print("share of elements off the correctly rounded value: ours", ours_miss, "bf16 statistics", naive_miss)
    assert (ours_miss <= 0.05).all()
    assert np.abs(ours - exact).max() <= 2 ** -8 * np.abs(exact).max() * 1.01  # at most one rounding
    assert (naive_miss >= 0.2).all()  # the check would catch bf16 statistics


def test_bf16_masks_stay_finite():
    """A fully masked bf16 row averages the values (as upstream), it does not turn into NaN:
    the additive mask uses bf16's own min, not float32's min cast down (which is -inf)."""
    from mixgrv_app.core.mlx_model.blocks import Attention, attention_mask

    mask = attention_mask(4, key_padding=mx.array([[False, False, False, False]]), dtype=mx.bfloat16)
    assert mask.dtype == mx.bfloat16 and np.isfinite(np.array(mask.astype(mx.float32))).all()
    attn = Attention(8, 2, 1, 4, 1e-6)
    attn.set_dtype(mx.bfloat16)
    x = mx.random.normal((1, 4, 8)).astype(mx.bfloat16)
    for m in (mask, attention_mask(4, key_padding=mx.array([[False] * 4]), dtype=mx.float32)):  # fp32 mask cast safely
        out = attn(x, mask=m)
        assert out.dtype == mx.bfloat16 and np.isfinite(np.array(out.astype(mx.float32))).all()
