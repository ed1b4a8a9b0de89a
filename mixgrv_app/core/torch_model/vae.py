"""The Oobleck VAE (torch): stereo 48 kHz audio ↔ 64-channel latents at 25 Hz.

Encoder: conv → 5 strided blocks (three dilated residual units, Snake, strided conv) → Snake →
conv to [mean | scale]; posterior std = softplus(scale) + 1e-4. Decoder: the mirror with
transposed convs and no output activation. The official file stores every conv with old-style
weight norm (``weight_g``/``weight_v``); :func:`fold_weight_norm` turns them into plain weights
once at load (:func:`unfold_weight_norm` writes them back, for synthetic checkpoints).

``tiled_decode``/``tiled_encode`` use upstream's overlap-discard windows so a 10-minute song
decodes in bounded memory into a preallocated output. Tensors are channel-first:
audio [B, 2, samples], latents [B, 64, frames]. Mirrored in ``core/mlx_model/vae.py``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mixgrv_app.core.configs import VAEConfig
from mixgrv_app.core.tiling import overlap_discard_windows


def _needs_autograd(x: torch.Tensor, weight: torch.Tensor) -> bool:
    """True when this call is part of a graph to differentiate: the plain modules must run then
    (the inference paths below overwrite buffers autograd would need)."""
    return torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad)


class Snake1d(nn.Module):
    """x + 1/(e^β + 1e-9) · sin²(e^α · x), per channel (log-scale α, β)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.zeros(1, channels, 1))
        self.beta = nn.Parameter(torch.zeros(1, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        alpha, inv_beta = self.alpha.exp(), (self.beta.exp() + 1e-9).reciprocal()
        if _needs_autograd(x, self.alpha):
            return x + inv_beta * torch.sin(alpha * x).pow(2)
        # Inference: the same operations on one buffer. Decoding runs these over [C, 1.4M]
        # samples per layer; four fresh tensors each time cost more than the arithmetic
        # (allocation and first-touch page faults), so this halves the VAE's elementwise time.
        # Products commute exactly in IEEE arithmetic: the result is bit-identical.
        return torch.mul(x, alpha).sin_().square_().mul_(inv_beta).add_(x)


def _pointwise_conv(x: torch.Tensor, conv: nn.Conv1d) -> torch.Tensor:
    """A kernel-1 Conv1d as one matrix product per batch item: bias + [Cout, Cin] @ [Cin, L].

    With few channels and long signals (the VAE's last blocks: 32–128 channels, 1.4 M samples
    for 30 s) the convolution kernels run well below matmul speed: 2–3× slower on the CPU
    (bench/vae_decode.py). Same weights; the sums differ only in float rounding order (~1e-7).
    """
    if _needs_autograd(x, conv.weight):
        return conv(x)
    weight = conv.weight[:, :, 0]
    bias = conv.bias[:, None] if conv.bias is not None else weight.new_zeros(weight.shape[0], 1)
    out = x.new_empty(x.shape[0], weight.shape[0], x.shape[-1])
    for item in range(x.shape[0]):
        torch.addmm(bias, weight, x[item], out=out[item])
    return out


class _PolyphaseUpsample:
    """A ConvTranspose1d (kernel = m · stride) run as a plain Conv1d, for inference.

    Output sample l·s + r is Σ_j W[:, :, j·s + r]ᵀ · x[l − j]: for each phase r a convolution
    of x with m taps. All s phases are one Conv1d with s·Cout output channels over x padded by
    m − 1, then the phases are interleaved (one copy) and the transposed conv's padding cropped.
    torch's CPU transposed-conv path is ~1.7× slower than its regular conv on the VAE's shapes
    (bench/vae_decode.py); the result equals it to float rounding (~2e-6). The regrouped weight
    is built once and rebuilt if the module's weights change.
    """

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._weight: torch.Tensor | None = None
        self._bias: torch.Tensor | None = None

    def _regroup(self, conv: nn.ConvTranspose1d) -> None:
        key = (conv.weight._version, conv.weight.data_ptr(), conv.weight.dtype, conv.weight.device)
        if key == self._key:
            return
        c_in, c_out, kernel = conv.weight.shape
        stride = conv.stride[0]
        taps = kernel // stride
        weight = conv.weight.detach().view(c_in, c_out, taps, stride).permute(1, 3, 0, 2).flip(-1)
        self._weight = weight.reshape(c_out * stride, c_in, taps).contiguous()
        self._bias = conv.bias.detach().repeat_interleave(stride) if conv.bias is not None else None
        self._key = key

    def __call__(self, x: torch.Tensor, conv: nn.ConvTranspose1d) -> torch.Tensor:
        stride, kernel, pad = conv.stride[0], conv.kernel_size[0], conv.padding[0]
        if (_needs_autograd(x, conv.weight) or kernel % stride or conv.output_padding[0] or conv.dilation[0] != 1
                or conv.groups != 1):
            return conv(x)
        self._regroup(conv)
        taps, length = kernel // stride, x.shape[-1]
        phases = F.conv1d(x, self._weight, self._bias, padding=taps - 1)  # [B, s·Cout, L + taps − 1]
        batch, _, frames = phases.shape
        out = phases.view(batch, conv.out_channels, stride, frames).transpose(2, 3).reshape(
            batch, conv.out_channels, frames * stride)
        return out[..., pad: (length - 1) * stride + kernel - pad]


class ResidualUnit(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        pad = (7 - 1) * dilation // 2
        self.snake1 = Snake1d(channels)
        self.conv1 = nn.Conv1d(channels, channels, 7, dilation=dilation, padding=pad)
        self.snake2 = Snake1d(channels)
        self.conv2 = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = _pointwise_conv(self.snake2(self.conv1(self.snake1(x))), self.conv2)
        crop = (x.shape[-1] - y.shape[-1]) // 2
        if crop > 0:
            x = x[..., crop:-crop]
        if torch.is_grad_enabled() and y.requires_grad:
            return x + y
        return y.add_(x)  # inference: y is ours to overwrite (x + y == y + x exactly)


class EncoderBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.res_unit1 = ResidualUnit(in_channels, 1)
        self.res_unit2 = ResidualUnit(in_channels, 3)
        self.res_unit3 = ResidualUnit(in_channels, 9)
        self.snake1 = Snake1d(in_channels)
        self.conv1 = nn.Conv1d(in_channels, out_channels, 2 * stride, stride=stride, padding=math.ceil(stride / 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv1(self.snake1(self.res_unit3(self.res_unit2(self.res_unit1(x)))))


class DecoderBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.snake1 = Snake1d(in_channels)
        self.conv_t1 = nn.ConvTranspose1d(in_channels, out_channels, 2 * stride, stride=stride,
                                          padding=math.ceil(stride / 2))
        self._upsample = _PolyphaseUpsample()
        self.res_unit1 = ResidualUnit(out_channels, 1)
        self.res_unit2 = ResidualUnit(out_channels, 3)
        self.res_unit3 = ResidualUnit(out_channels, 9)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.res_unit3(self.res_unit2(self.res_unit1(self._upsample(self.snake1(x), self.conv_t1))))


class OobleckEncoder(nn.Module):
    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        width = config.encoder_hidden_size
        multiples = [1, *config.channel_multiples]
        self.conv1 = nn.Conv1d(config.audio_channels, width, 7, padding=3)
        self.block = nn.ModuleList(
            EncoderBlock(width * multiples[i], width * multiples[i + 1], stride)
            for i, stride in enumerate(config.downsampling_ratios)
        )
        self.snake1 = Snake1d(width * multiples[-1])
        self.conv2 = nn.Conv1d(width * multiples[-1], width, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        for block in self.block:
            x = block(x)
        return self.conv2(self.snake1(x))


class OobleckDecoder(nn.Module):
    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        width = config.decoder_channels
        multiples = [1, *config.channel_multiples]
        strides = list(reversed(config.downsampling_ratios))
        n = len(strides)
        self.conv1 = nn.Conv1d(config.decoder_input_channels, width * multiples[-1], 7, padding=3)
        self.block = nn.ModuleList(
            DecoderBlock(width * multiples[n - i], width * multiples[n - i - 1], stride) for i, stride in enumerate(strides)
        )
        self.snake1 = Snake1d(width)
        self.conv2 = nn.Conv1d(width, config.audio_channels, 7, padding=3, bias=False)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.conv1(z)
        for block in self.block:
            x = block(x)
        return self.conv2(self.snake1(x))


def _weight_norm_keys(state_dict: dict) -> list[str]:
    return [k[: -len(".weight_g")] for k in state_dict if k.endswith(".weight_g")]


def fold_weight_norm(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``*.weight_g`` + ``*.weight_v`` → ``*.weight`` = g · v / ‖v‖ (norm over all dims but 0)."""
    out = dict(state_dict)
    for prefix in _weight_norm_keys(state_dict):
        g = out.pop(f"{prefix}.weight_g").float()
        v = out.pop(f"{prefix}.weight_v").float()
        norm = v.reshape(v.shape[0], -1).norm(dim=1).reshape(-1, *([1] * (v.dim() - 1)))
        out[f"{prefix}.weight"] = g * v / norm
    return out


def unfold_weight_norm(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The inverse, for writing checkpoints in the official layout: g = ‖w‖, v = w."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        if key.endswith(".weight") and value.dim() == 3:
            prefix = key[: -len(".weight")]
            out[f"{prefix}.weight_g"] = value.reshape(value.shape[0], -1).norm(dim=1).reshape(-1, 1, 1)
            out[f"{prefix}.weight_v"] = value
        else:
            out[key] = value
    return out


def _official_shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """The key → shape map of the official file for this module (weight norm split)."""
    return {k: tuple(v.shape) for k, v in unfold_weight_norm(
        {k: torch.empty(p.shape, device="meta") for k, p in model.state_dict().items()}).items()}


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


class OobleckVAE(nn.Module):
    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        self.hop_length = config.hop_length
        self.encoder = OobleckEncoder(config)
        self.decoder = OobleckDecoder(config)

    def load_official_state_dict(self, state_dict: dict[str, torch.Tensor], file: str = "vae") -> None:
        """Load the diffusers-layout tensors (weight-norm split) after folding them.

        Every key and shape is checked first; a mismatch raises CheckpointError naming the key.
        """
        check_official_state_dict(self, state_dict, file)
        self.load_state_dict(fold_weight_norm(state_dict), strict=True)

    @classmethod
    def from_official_state_dict(cls, state_dict: dict[str, torch.Tensor], config: VAEConfig) -> "OobleckVAE":
        model = cls(config)
        model.load_official_state_dict(state_dict)
        return model.eval()

    @staticmethod
    def sample(mean: torch.Tensor, std: torch.Tensor, generator: torch.Generator | None = None,
               noise: torch.Tensor | None = None) -> torch.Tensor:
        """Posterior sample mean + std · ε (ε from ``noise`` or drawn with ``generator``)."""
        if noise is None:
            noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype, device=mean.device)
        return mean + std * noise

    def encode(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """audio [B, 2, S] → posterior (mean, std), each [B, 64, S // hop]."""
        h = self.encoder(audio)
        mean, scale = h.chunk(2, dim=1)
        return mean, F.softplus(scale) + 1e-4

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """latents [B, 64, T] → audio [B, 2, T · hop]."""
        return self.decoder(latents)

    def tiled_decode(self, latents: torch.Tensor, chunk_size: int = 512, overlap: int = 64) -> torch.Tensor:
        frames = latents.shape[-1]
        windows = overlap_discard_windows(frames, chunk_size, overlap)
        if len(windows) == 1:
            return self.decode(latents)
        out = None
        for win_start, win_end, core_start, core_end in windows:
            audio = self.decode(latents[..., win_start:win_end])
            hop = audio.shape[-1] / (win_end - win_start)
            head = round((core_start - win_start) * hop)
            tail = round((win_end - core_end) * hop)
            piece = audio[..., head: audio.shape[-1] - tail]
            if out is None:
                out = audio.new_empty(audio.shape[0], audio.shape[1], round(frames * hop))
            start = round(core_start * hop)
            out[..., start: start + piece.shape[-1]] = piece
        return out

    def tiled_encode(self, audio: torch.Tensor, chunk_size: int = 48000 * 30, overlap: int = 48000 * 2) -> tuple[torch.Tensor, torch.Tensor]:
        """Windowed encode with sizes in samples; returns (mean, std) like :meth:`encode`."""
        hop = self.hop_length
        frames = audio.shape[-1] // hop
        chunk_frames, overlap_frames = max(1, chunk_size // hop), overlap // hop
        windows = overlap_discard_windows(frames, chunk_frames, overlap_frames)
        if len(windows) == 1:
            return self.encode(audio[..., : frames * hop])
        mean_out = std_out = None
        for win_start, win_end, core_start, core_end in windows:
            mean, std = self.encode(audio[..., win_start * hop: win_end * hop])
            a, b = core_start - win_start, core_end - win_start
            if mean_out is None:
                mean_out = mean.new_empty(mean.shape[0], mean.shape[1], frames)
                std_out = mean.new_empty(mean.shape[0], mean.shape[1], frames)
            mean_out[..., core_start:core_end] = mean[..., a:b]
            std_out[..., core_start:core_end] = std[..., a:b]
        return mean_out, std_out
