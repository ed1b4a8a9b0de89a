"""Oobleck VAE parity (h_vae_* cases) on both backends, MLX vs torch, loading and weight norm.

torch loads through ``core.torch_model.loading.load_vae``; MLX reads the same official ``vae/`` folder
with ``OobleckVAE.from_folder`` (mx.load, layout converted once). Tolerances: each case's
``suggested_atol`` for both backends (MLX CPU fp32 observed ~1e-6, same as torch).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import load_file

from mixgrv_app.core import checkpoints
from mixgrv_app.core.torch_model import loading
from mixgrv_app.core.errors import CheckpointError

torch = pytest.importorskip("torch")


def _case(parity, name):
    case = _cases(parity)[name]
    return case, load_file(parity / case["file"])


_CACHE: dict = {}


def _cases(parity):
    if "cases" not in _CACHE:
        data = json.loads((parity / "cases.json").read_text())
        _CACHE["cases"] = data["cases"]
    return _CACHE["cases"]


def _atol(case, out_name):
    return case["tolerance"][out_name]["suggested_atol"]


@pytest.fixture(scope="module")
def vae_dir(parity_checkpoints):
    return parity_checkpoints / checkpoints.VAE_FOLDER


@pytest.fixture(scope="module")
def vae_config(vae_dir):
    from mixgrv_app.core.configs import VAEConfig

    return VAEConfig.from_json(vae_dir / "config.json")


@pytest.fixture(scope="module")
def torch_vae(vae_dir):
    return loading.load_vae(vae_dir)


@pytest.fixture(scope="module")
def mlx_vae(vae_dir):
    from mixgrv_app.core.mlx_model.vae import OobleckVAE

    return OobleckVAE.from_folder(vae_dir)


def _np(x):
    return x.detach().float().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _run(backend, vae, method, *args):
    if backend == "torch":
        args = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
        with torch.inference_mode():
            out = getattr(vae, method)(*args)
    else:
        out = getattr(vae, method)(*args)
    return tuple(_np(o) for o in out) if isinstance(out, tuple) else _np(out)


@pytest.fixture(params=["torch", "mlx"])
def backend(request, torch_vae, mlx_vae):
    return request.param, (torch_vae if request.param == "torch" else mlx_vae)


def test_decode(parity, backend):
    name, vae = backend
    case, t = _case(parity, "h_vae_decode")
    audio = _run(name, vae, "decode", t["in.latents"])
    assert audio.shape == t["out.audio"].shape
    assert np.abs(audio - t["out.audio"]).max() <= _atol(case, "audio")


def test_encode_posterior(parity, backend):
    name, vae = backend
    case, t = _case(parity, "h_vae_encode")
    mean, std = _run(name, vae, "encode", t["in.audio"])
    for got, key in ((mean, "posterior_mean"), (std, "posterior_std")):
        want = t[f"out.{key}"]
        assert got.shape == want.shape
        assert np.abs(got - want).max() <= _atol(case, key), key


def test_tiled_decode(parity, backend):
    name, vae = backend
    case, t = _case(parity, "h_vae_tiled_decode")
    p = case["params"]
    audio = _run(name, vae, "tiled_decode", t["in.latents"], p["chunk_size"], p["overlap"])
    assert np.abs(audio - t["out.audio_tiled"]).max() <= _atol(case, "audio_tiled")


def test_windows_match_upstream(parity):
    from mixgrv_app.core.mlx_model.vae import overlap_discard_windows as mlx_windows
    from mixgrv_app.core.torch_model.vae import overlap_discard_windows

    case, t = _case(parity, "h_vae_tiled_decode")
    p = case["params"]
    want = [tuple(w) for w in p["windows[win_start, win_end, core_start, core_end]"]]
    frames = t["in.latents"].shape[-1]
    assert overlap_discard_windows(frames, p["chunk_size"], p["overlap"]) == want
    assert mlx_windows(frames, p["chunk_size"], p["overlap"]) == want


def test_mlx_matches_torch_on_random_input(torch_vae, mlx_vae, vae_config):
    rng = np.random.default_rng(0)
    latents = rng.standard_normal((2, vae_config.decoder_input_channels, 11)).astype(np.float32)
    a, b = _run("torch", torch_vae, "decode", latents), _run("mlx", mlx_vae, "decode", latents)
    assert np.abs(a - b).max() <= 2e-5 * max(1.0, np.abs(a).max())
    audio = (0.3 * rng.standard_normal((1, vae_config.audio_channels, vae_config.hop_length * 9))).astype(np.float32)
    (m1, s1), (m2, s2) = _run("torch", torch_vae, "encode", audio), _run("mlx", mlx_vae, "encode", audio)
    assert np.abs(m1 - m2).max() <= 2e-5 and np.abs(s1 - s2).max() <= 2e-5


def test_posterior_sample_uses_given_noise(torch_vae, mlx_vae, vae_config):
    shape = (1, vae_config.decoder_input_channels, 3)
    mean, std = np.full(shape, 0.5, np.float32), np.full(shape, 2.0, np.float32)
    noise = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    want = mean + std * noise
    got_t = torch_vae.sample(torch.from_numpy(mean), torch.from_numpy(std), noise=torch.from_numpy(noise))
    np.testing.assert_allclose(got_t.numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(mlx_vae.sample(mean, std, noise=noise)), want, rtol=1e-6)
    g = torch.Generator().manual_seed(3)
    first = torch_vae.sample(torch.from_numpy(mean), torch.from_numpy(std), generator=g)
    assert not torch.allclose(first, torch.from_numpy(mean))


def test_fold_unfold_round_trip(vae_dir):
    import mlx.core as mx
    from safetensors.torch import load_file as load_torch

    from mixgrv_app.core.mlx_model import vae as mlx_vae_module
    from mixgrv_app.core.torch_model.vae import fold_weight_norm, unfold_weight_norm

    official = {k: v.float() for k, v in load_torch(vae_dir / "diffusion_pytorch_model.safetensors").items()}
    folded = fold_weight_norm(official)
    assert not any(k.endswith(("_g", "_v")) for k in folded)
    assert folded["decoder.block.0.conv_t1.weight"].shape == official["decoder.block.0.conv_t1.weight_v"].shape
    again = fold_weight_norm(unfold_weight_norm(folded))
    assert again.keys() == folded.keys()
    for k in folded:
        torch.testing.assert_close(again[k], folded[k], rtol=1e-5, atol=1e-6)
    # the transposed conv's g is [in, 1, 1]: the norm runs over all dims but 0 in both directions
    unfolded = unfold_weight_norm(folded)
    assert unfolded["decoder.block.0.conv_t1.weight_g"].shape == official["decoder.block.0.conv_t1.weight_g"].shape
    # MLX fold agrees with torch's
    mlx_folded = mlx_vae_module.fold_weight_norm({k: mx.array(v.numpy()) for k, v in official.items()})
    for k in ("decoder.block.0.conv_t1.weight", "encoder.block.2.res_unit3.conv1.weight", "decoder.conv2.weight"):
        np.testing.assert_allclose(np.asarray(mlx_folded[k]), folded[k].numpy(), rtol=1e-5, atol=1e-7)
    mlx_again = mlx_vae_module.fold_weight_norm(mlx_vae_module.unfold_weight_norm(mlx_folded))
    np.testing.assert_allclose(np.asarray(mlx_again["decoder.block.0.conv_t1.weight"]),
                               folded["decoder.block.0.conv_t1.weight"].numpy(), rtol=1e-5, atol=1e-7)


def test_wrong_shape_names_key(vae_dir):
    import mlx.core as mx
    from safetensors.torch import load_file as load_torch

    from mixgrv_app.core.configs import VAEConfig
    from mixgrv_app.core.mlx_model.vae import OobleckVAE as MlxVAE
    from mixgrv_app.core.torch_model.vae import OobleckVAE

    config = VAEConfig.from_json(vae_dir / "config.json")
    official = load_torch(vae_dir / "diffusion_pytorch_model.safetensors")
    key = "decoder.block.1.conv_t1.weight_v"
    bad = dict(official)
    bad[key] = bad[key][:, :-1]
    with pytest.raises(CheckpointError) as err:
        OobleckVAE.from_official_state_dict(bad, config)
    assert err.value.code == "checkpoint.shape_mismatch" and key in str(err.value)
    assert err.value.params["expected"] == list(official[key].shape)
    assert err.value.params["found"] == list(bad[key].shape)

    bad_mx = {k: mx.array(v.float().numpy()) for k, v in bad.items()}
    with pytest.raises(CheckpointError) as err:
        MlxVAE.from_official_state_dict(bad_mx, config)
    assert err.value.code == "checkpoint.shape_mismatch" and key in str(err.value)
    assert err.value.params["expected"] == list(official[key].shape)

    missing = {k: v for k, v in bad_mx.items() if k != "encoder.snake1.alpha"}
    missing[key] = mx.array(official[key].float().numpy())
    with pytest.raises(CheckpointError) as err:
        MlxVAE.from_official_state_dict(missing, config)
    assert err.value.code == "checkpoint.missing_key" and "encoder.snake1.alpha" in str(err.value)


def _test_signal(seconds: float, config) -> np.ndarray:
    rng = np.random.default_rng(3)
    t = np.arange(int(seconds * config.sampling_rate), dtype=np.float32) / config.sampling_rate
    return (0.3 * np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 0.25 * t)
            + 0.05 * rng.standard_normal((config.audio_channels, t.size), dtype=np.float32)).astype(np.float32)[None]


def _set_encode_window(monkeypatch, chunk: int, overlap: int) -> None:
    from mixgrv_app.core.mlx_model import backend as mlx_backend_module
    from mixgrv_app.core.torch_model import backend as torch_backend_module

    for module in (torch_backend_module, mlx_backend_module):
        monkeypatch.setattr(module, "ENCODE_CHUNK_SAMPLES", chunk)
        monkeypatch.setattr(module, "ENCODE_OVERLAP_SAMPLES", overlap)


def test_long_source_audio_is_encoded_in_windows(parity_checkpoints, monkeypatch, vae_config):
    """A cover/repaint source longer than the encode window is encoded window by window
    (upstream: 30 s windows with 2 s of context; a 10-minute source then needs the memory of
    34 s) and matches one untiled pass. Here the context is upstream's 2 s and the window 6 s,
    so 7 s of audio takes four windows. Shorter audio is encoded in one pass, exactly as given."""
    from mixgrv_app.core.pipeline import open_backend

    rate, hop = vae_config.sampling_rate, vae_config.hop_length
    chunk, overlap = 6 * rate, 2 * rate
    _set_encode_window(monkeypatch, chunk, overlap)
    audio = _test_signal(7, vae_config)
    backend = open_backend(parity_checkpoints, "acestep-v15-turbo", backend="torch", device="cpu")
    lengths: list[int] = []
    encode = backend.vae.encode
    backend.vae.encode = lambda x: (lengths.append(int(x.shape[-1])), encode(x))[1]
    mean, std = backend.vae_encode(audio)
    assert len(lengths) == 4 and max(lengths) <= chunk
    with torch.inference_mode():
        whole_mean, whole_std = (o.transpose(1, 2).numpy() for o in encode(torch.from_numpy(audio)))
    assert mean.shape == whole_mean.shape == (1, 7 * rate // hop, vae_config.decoder_input_channels)
    assert float(np.abs(mean - whole_mean).max()) <= 1e-4 * max(1.0, float(np.abs(whole_mean).max()))
    assert float(np.abs(std - whole_std).max()) <= 1e-4 * max(1.0, float(np.abs(whole_std).max()))

    lengths.clear()
    short = audio[..., : 3 * rate + 77]  # not a multiple of the hop: encoded as given, in one pass
    backend.vae_encode(short)
    assert lengths == [short.shape[-1]]


def test_windowed_encode_agrees_between_backends(parity_checkpoints, monkeypatch, vae_config):
    """MLX and torch cut the same windows and keep the same cores. The window is shrunk (12
    latent frames, 3 of context) so 1 s needs five: MLX's CPU convolutions take ~15 s per
    second of audio at the VAE's 128 channels."""
    from mixgrv_app.core.pipeline import open_backend

    hop = vae_config.hop_length
    _set_encode_window(monkeypatch, 12 * hop, 3 * hop)
    audio = _test_signal(1, vae_config)
    torch_mean, torch_std = open_backend(parity_checkpoints, "acestep-v15-turbo", backend="torch",
                                         device="cpu").vae_encode(audio)
    mlx_mean, mlx_std = open_backend(parity_checkpoints, "acestep-v15-turbo", backend="mlx", device="cpu").vae_encode(audio)
    assert mlx_mean.shape == torch_mean.shape == (1, vae_config.sampling_rate // hop, vae_config.decoder_input_channels)
    assert float(np.abs(mlx_mean - torch_mean).max()) <= 1e-4 and float(np.abs(mlx_std - torch_std).max()) <= 1e-4
