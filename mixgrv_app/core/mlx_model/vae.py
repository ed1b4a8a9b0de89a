"""The Oobleck VAE in MLX (mirror of ``core/torch_model/vae.py``, same class and attribute names).

Inside, everything is channels-last (NLC: [batch, length, channels]) because that is what
``mx.conv1d``/``mx.conv_transpose1d`` take. The official ``vae/diffusion_pytorch_model.safetensors``
is read directly with ``mx.load`` and converted once at load: weight norm folded
(w = g·v/‖v‖, norm over all dims but 0, in float32), Conv1d weights [out, in, k] → [out, k, in],
ConvTranspose1d weights [in, out, k] → [out, k, in], Snake α/β [1, C, 1] → [C].

The public methods take and return the torch layouts so the pipeline stays backend-agnostic:
audio [B, 2, samples], latents/mean/std [B, 64, frames] (``mx.array``; numpy input is accepted).
Tiled decode/encode use upstream's overlap-discard windows (see ``overlap_discard_windows``)
and write each window's core into a preallocated numpy buffer, evaluating and freeing the
window before the next, so a 10-minute song decodes in bounded memory. fp32 by default.
No torch import here.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import mlx.core as mx
import mlx.nn as nn

from mixgrv_app.core.tiling import overlap_discard_windows  # shared with the torch VAE
import numpy as np
from mlx.utils import tree_flatten, tree_unflatten

WEIGHTS_FILE = "diffusion_pytorch_model.safetensors"


def _cfg(config: Any, name: str):
    """VAEConfig attribute or config.json key (duck typing: dataclass or dict)."""
    return config[name] if isinstance(config, dict) else getattr(config, name)


def _conv1d_as_matmuls(x: mx.array, weight: mx.array, stride: int, padding: int, dilation: int) -> mx.array:
    """Conv1d as one BLAS matmul per kernel tap (sum over shifted, strided views).

    MLX 0.32's CPU conv kernel runs at well under 1 GFLOP/s on the VAE's 128-channel layers
    (an encode of 0.8 s of audio took minutes); the matmul form is the same sum in another order.
    """
    if padding:
        x = mx.pad(x, [(0, 0), (padding, padding), (0, 0)])
    kernel = weight.shape[1]
    length = (x.shape[1] - dilation * (kernel - 1) - 1) // stride + 1
    y = None
    for j in range(kernel):
        start = j * dilation
        tap = x[:, start: start + stride * (length - 1) + 1: stride] @ weight[:, j, :].T
        y = tap if y is None else y + tap
    return y


class _Conv1d(nn.Module):
    """Conv1d on NLC with weight [out, k, in] (MLX's layout)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, padding: int = 0,
                 dilation: int = 1, bias: bool = True) -> None:
        super().__init__()
        self.weight = mx.zeros((cout, kernel, cin))
        if bias:
            self.bias = mx.zeros((cout,))
        self._args = (stride, padding, dilation)

    def __call__(self, x: mx.array) -> mx.array:
        stride, padding, dilation = self._args
        if mx.default_device() == mx.cpu:
            y = _conv1d_as_matmuls(x, self.weight, stride, padding, dilation)
        else:
            y = mx.conv1d(x, self.weight, stride=stride, padding=padding, dilation=dilation)
        return y + self.bias if "bias" in self else y


class _ConvTranspose1d(nn.Module):
    """ConvTranspose1d on NLC with weight [out, k, in]; ``padding`` crops like torch's."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, padding: int) -> None:
        super().__init__()
        self.weight = mx.zeros((cout, kernel, cin))
        self.bias = mx.zeros((cout,))
        self._args = (stride, padding)

    def __call__(self, x: mx.array) -> mx.array:
        stride, padding = self._args
        return mx.conv_transpose1d(x, self.weight, stride=stride, padding=padding) + self.bias


class Snake1d(nn.Module):
    """x + 1/(e^β + 1e-9) · sin²(e^α · x), per channel (last axis)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.alpha = mx.zeros((channels,))
        self.beta = mx.zeros((channels,))

    def __call__(self, x: mx.array) -> mx.array:
        alpha, beta = mx.exp(self.alpha), mx.exp(self.beta)
        return x + mx.reciprocal(beta + 1e-9) * mx.square(mx.sin(alpha * x))


class ResidualUnit(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.snake1 = Snake1d(channels)
        self.conv1 = _Conv1d(channels, channels, 7, dilation=dilation, padding=(7 - 1) * dilation // 2)
        self.snake2 = Snake1d(channels)
        self.conv2 = _Conv1d(channels, channels, 1)

    def __call__(self, x: mx.array) -> mx.array:
        y = self.conv2(self.snake2(self.conv1(self.snake1(x))))
        crop = (x.shape[1] - y.shape[1]) // 2
        if crop > 0:
            x = x[:, crop:-crop]
        return x + y


class EncoderBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.res_unit1 = ResidualUnit(in_channels, 1)
        self.res_unit2 = ResidualUnit(in_channels, 3)
        self.res_unit3 = ResidualUnit(in_channels, 9)
        self.snake1 = Snake1d(in_channels)
        self.conv1 = _Conv1d(in_channels, out_channels, 2 * stride, stride=stride, padding=math.ceil(stride / 2))

    def __call__(self, x: mx.array) -> mx.array:
        return self.conv1(self.snake1(self.res_unit3(self.res_unit2(self.res_unit1(x)))))


class DecoderBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.snake1 = Snake1d(in_channels)
        self.conv_t1 = _ConvTranspose1d(in_channels, out_channels, 2 * stride, stride, math.ceil(stride / 2))
        self.res_unit1 = ResidualUnit(out_channels, 1)
        self.res_unit2 = ResidualUnit(out_channels, 3)
        self.res_unit3 = ResidualUnit(out_channels, 9)

    def __call__(self, x: mx.array) -> mx.array:
        return self.res_unit3(self.res_unit2(self.res_unit1(self.conv_t1(self.snake1(x)))))


class OobleckEncoder(nn.Module):
    def __init__(self, config: Any) -> None:
        super().__init__()
        width = _cfg(config, "encoder_hidden_size")
        multiples = [1, *_cfg(config, "channel_multiples")]
        self.conv1 = _Conv1d(_cfg(config, "audio_channels"), width, 7, padding=3)
        self.block = [EncoderBlock(width * multiples[i], width * multiples[i + 1], stride)
                      for i, stride in enumerate(_cfg(config, "downsampling_ratios"))]
        self.snake1 = Snake1d(width * multiples[-1])
        self.conv2 = _Conv1d(width * multiples[-1], width, 3, padding=1)

    def __call__(self, x: mx.array) -> mx.array:
        x = self.conv1(x)
        for block in self.block:
            x = block(x)
        return self.conv2(self.snake1(x))


class OobleckDecoder(nn.Module):
    def __init__(self, config: Any) -> None:
        super().__init__()
        width = _cfg(config, "decoder_channels")
        multiples = [1, *_cfg(config, "channel_multiples")]
        strides = list(reversed(_cfg(config, "downsampling_ratios")))
        n = len(strides)
        self.conv1 = _Conv1d(_cfg(config, "decoder_input_channels"), width * multiples[-1], 7, padding=3)
        self.block = [DecoderBlock(width * multiples[n - i], width * multiples[n - i - 1], stride)
                      for i, stride in enumerate(strides)]
        self.snake1 = Snake1d(width)
        self.conv2 = _Conv1d(width, _cfg(config, "audio_channels"), 7, padding=3, bias=False)

    def __call__(self, z: mx.array) -> mx.array:
        x = self.conv1(z)
        for block in self.block:
            x = block(x)
        return self.conv2(self.snake1(x))


# ---- official layout <-> MLX layout -------------------------------------------------------------

def _is_transposed(key: str) -> bool:
    return ".conv_t1." in key


def fold_weight_norm(state_dict: dict[str, mx.array]) -> dict[str, mx.array]:
    """``*.weight_g`` + ``*.weight_v`` → ``*.weight`` = g · v / ‖v‖ (float32, official layout)."""
    out = dict(state_dict)
    for prefix in [k[: -len(".weight_g")] for k in state_dict if k.endswith(".weight_g")]:
        g = out.pop(f"{prefix}.weight_g").astype(mx.float32)
        v = out.pop(f"{prefix}.weight_v").astype(mx.float32)
        norm = mx.sqrt(mx.sum(mx.square(v.reshape(v.shape[0], -1)), axis=1)).reshape(-1, *([1] * (v.ndim - 1)))
        out[f"{prefix}.weight"] = g * v / norm
    return out


def unfold_weight_norm(state_dict: dict[str, mx.array]) -> dict[str, mx.array]:
    """The inverse on official-layout weights: g = ‖w‖ (over all dims but 0), v = w."""
    out: dict[str, mx.array] = {}
    for key, value in state_dict.items():
        if key.endswith(".weight") and value.ndim == 3:
            prefix = key[: -len(".weight")]
            out[f"{prefix}.weight_g"] = mx.sqrt(mx.sum(mx.square(value.reshape(value.shape[0], -1)), axis=1)).reshape(-1, 1, 1)
            out[f"{prefix}.weight_v"] = value
        else:
            out[key] = value
    return out


def _to_mlx_layout(state_dict: dict[str, mx.array], dtype=mx.float32) -> dict[str, mx.array]:
    """Official (weight-norm split, channel-first) tensors → this module's parameters."""
    out = {}
    for key, value in fold_weight_norm(state_dict).items():
        value = value.astype(mx.float32)
        if key.endswith(".weight") and value.ndim == 3:
            value = value.transpose(1, 2, 0) if _is_transposed(key) else value.transpose(0, 2, 1)
        elif key.endswith((".alpha", ".beta")):
            value = value.reshape(-1)
        out[key] = value.astype(dtype)
    return out


def _official_shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """What the official file holds for this module: keys with the weight-norm split, torch layouts."""
    shapes: dict[str, tuple[int, ...]] = {}
    for key, value in tree_flatten(model.parameters()):
        shape = tuple(value.shape)
        if key.endswith(".weight") and len(shape) == 3:
            out, k, cin = shape
            torch_shape = (cin, out, k) if _is_transposed(key) else (out, cin, k)
            prefix = key[: -len(".weight")]
            shapes[f"{prefix}.weight_g"] = (torch_shape[0], 1, 1)
            shapes[f"{prefix}.weight_v"] = torch_shape
        elif key.endswith((".alpha", ".beta")):
            shapes[key] = (1, shape[0], 1)
        else:
            shapes[key] = shape
    return shapes


def check_official_state_dict(model: nn.Module, state_dict: dict, file: str = "vae") -> None:
    """Strict key-for-key, shape-for-shape check of an official VAE state dict."""
    from mixgrv_app.core.errors import CheckpointError

    expected = _official_shapes(model)
    for key, shape in expected.items():
        if key not in state_dict:
            raise CheckpointError("checkpoint.missing_key", f"{file}: the weight '{key}' is missing.", file=file, key=key)
        found = tuple(state_dict[key].shape)
        if found != shape:
            raise CheckpointError("checkpoint.shape_mismatch", f"{file}: '{key}' has shape {list(found)}, expected {list(shape)}.",
                                  file=file, key=key, expected=list(shape), found=list(found))
    for key in state_dict:
        if key not in expected:
            raise CheckpointError("checkpoint.unexpected_key", f"{file}: unexpected weight '{key}'.", file=file, key=key)


def _as_mx(x) -> mx.array:
    return x if isinstance(x, mx.array) else mx.array(np.asarray(x, dtype=np.float32))


def _release() -> None:
    clear = getattr(mx, "clear_cache", None) or getattr(mx.metal, "clear_cache", None)
    if clear is not None:
        clear()


class OobleckVAE(nn.Module):
    def __init__(self, config: Any, dtype=mx.float32) -> None:
        super().__init__()
        self.config = config
        self.dtype = dtype
        self.hop_length = int(np.prod(_cfg(config, "downsampling_ratios")))
        self.encoder = OobleckEncoder(config)
        self.decoder = OobleckDecoder(config)

    # -- loading --

    def load_official_state_dict(self, state_dict: dict[str, mx.array], file: str = "vae") -> None:
        """Check every key/shape against the official layout, then convert and load."""
        check_official_state_dict(self, state_dict, file)
        self.update(tree_unflatten(list(_to_mlx_layout(state_dict, self.dtype).items())))
        mx.eval(self.parameters())

    @classmethod
    def from_official_state_dict(cls, state_dict: dict[str, mx.array], config: Any, dtype=mx.float32) -> "OobleckVAE":
        model = cls(config, dtype)
        model.load_official_state_dict(state_dict)
        model.eval()
        return model

    @classmethod
    def from_folder(cls, folder: str | Path, dtype=mx.float32) -> "OobleckVAE":
        """The official ``vae/`` folder (config.json + diffusion_pytorch_model.safetensors), unchanged."""
        import json

        from mixgrv_app.core.errors import CheckpointError

        folder = Path(folder)
        config_path, weights = folder / "config.json", folder / WEIGHTS_FILE
        for path in (config_path, weights):
            if not path.is_file():
                raise CheckpointError("checkpoint.missing_file", f"{path} is missing.", path=str(path))
        try:
            from mixgrv_app.core.configs import VAEConfig

            config: Any = VAEConfig.from_json(config_path)
        except ImportError:  # configs.py is framework-free; the dict path only guards a partial checkout
            config = json.loads(config_path.read_text())
        try:
            state_dict = mx.load(str(weights))
        except Exception as exc:
            raise CheckpointError("checkpoint.corrupt_file", f"{weights} cannot be read ({exc}).", path=str(weights)) from exc
        model = cls(config, dtype)
        model.load_official_state_dict(state_dict, file=str(weights))
        model.eval()
        return model

    # -- channel-first public API --

    def encode(self, audio) -> tuple[mx.array, mx.array]:
        """audio [B, 2, S] → posterior (mean, std), each [B, 64, S // hop] (std = softplus + 1e-4)."""
        h = self.encoder(_as_mx(audio).astype(self.dtype).transpose(0, 2, 1)).astype(mx.float32)
        mean, scale = mx.split(h, 2, axis=-1)
        std = mx.logaddexp(scale, mx.array(0.0, dtype=mx.float32)) + 1e-4
        return mean.transpose(0, 2, 1), std.transpose(0, 2, 1)

    @staticmethod
    def sample(mean: mx.array, std: mx.array, key: mx.array | None = None, noise=None) -> mx.array:
        """Posterior sample mean + std · ε (ε from ``noise`` or ``mx.random.normal(key=key)``)."""
        eps = _as_mx(noise) if noise is not None else mx.random.normal(mean.shape, key=key)
        return mean + std * eps

    def decode(self, latents) -> mx.array:
        """latents [B, 64, T] → audio [B, 2, T · hop] (float32)."""
        x = _as_mx(latents).astype(self.dtype).transpose(0, 2, 1)
        return self.decoder(x).astype(mx.float32).transpose(0, 2, 1)

    def tiled_decode(self, latents, chunk_size: int = 512, overlap: int = 64) -> mx.array:
        """Overlap-discard decode window by window into a preallocated buffer (bounded memory)."""
        z = _as_mx(latents)
        frames = z.shape[-1]
        windows = overlap_discard_windows(frames, chunk_size, overlap)
        if len(windows) == 1:
            return self.decode(z)
        hop = self.hop_length
        out = np.empty((z.shape[0], _cfg(self.config, "audio_channels"), frames * hop), dtype=np.float32)
        for win_start, win_end, core_start, core_end in windows:
            audio = self.decode(z[..., win_start:win_end])
            piece = audio[..., (core_start - win_start) * hop: (core_end - win_start) * hop]
            out[..., core_start * hop: core_end * hop] = np.asarray(piece)
            del audio, piece
            _release()
        return mx.array(out)

    def tiled_encode(self, audio, chunk_size: int = 48000 * 30, overlap: int = 48000 * 2) -> tuple[mx.array, mx.array]:
        """Windowed encode with sizes in samples (like the torch module); returns (mean, std)."""
        x = _as_mx(audio)
        hop = self.hop_length
        frames = x.shape[-1] // hop
        windows = overlap_discard_windows(frames, max(1, chunk_size // hop), overlap // hop)
        if len(windows) == 1:
            return self.encode(x[..., : frames * hop])
        mean_out = np.empty((x.shape[0], _cfg(self.config, "decoder_input_channels"), frames), dtype=np.float32)
        std_out = np.empty_like(mean_out)
        for win_start, win_end, core_start, core_end in windows:
            mean, std = self.encode(x[..., win_start * hop: win_end * hop])
            a, b = core_start - win_start, core_end - win_start
            mean_out[..., core_start:core_end] = np.asarray(mean[..., a:b])
            std_out[..., core_start:core_end] = np.asarray(std[..., a:b])
            del mean, std
            _release()
        return mx.array(mean_out), mx.array(std_out)
