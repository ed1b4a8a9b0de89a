"""The generation backend on MLX (the protocol in core/backend.py; mirror of the torch one).

Metal on Apple Silicon, CPU elsewhere (tests). Everything a song needs — text encoder,
condition encoder, DiT, audio tokens, VAE — runs here, so generating never imports torch. The
MLX buffer cache is capped from the machine's memory and cleared after each decode.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlx.core as mx
import numpy as np

from mixgrv_app.core.backend import BackendInfo, LoraWeights
from mixgrv_app.core.checkpoints import TEXT_ENCODER_FOLDER, VAE_FOLDER, require_generation_set
from mixgrv_app.core.mlx_model import loading
from mixgrv_app.core.mlx_model.lora import LoRALinear, get_module, linear_paths, set_module


@dataclass
class MLXCondition:
    hidden: mx.array
    mask: mx.array
    context: mx.array | None = None

    @property
    def batch(self) -> int:
        return int(self.hidden.shape[0])


def _device_name() -> str:
    try:
        return "metal" if mx.metal.is_available() else "cpu"
    except AttributeError:
        return "cpu"


def _limit_cache() -> None:
    """Cap MLX's buffer cache at a quarter of the machine's memory (Metal only)."""
    try:
        import psutil

        if mx.metal.is_available():
            mx.set_cache_limit(int(psutil.virtual_memory().total // 4))
    except (AttributeError, ImportError):
        pass


def _clear_cache() -> None:
    try:
        mx.clear_cache()
    except AttributeError:
        pass


class MLXBackend:
    def __init__(self, model, text_encoder, vae, silence: mx.array, info: BackendInfo, dtype) -> None:
        self.model, self.text_encoder, self.vae = model, text_encoder, vae
        self.info = info
        self.dtype = dtype
        self._silence = silence.astype(mx.float32)
        self.hidden_size = int(model.config.hidden_size)
        self.text_hidden_size = int(text_encoder.config.hidden_size)
        self._adapter_state: dict[str, tuple[float, bool]] = {}
        self._adapter_order: list[str] = []
        self._wrapped: dict[str, LoRALinear] = {}

    @staticmethod
    def _np(array: mx.array) -> np.ndarray:
        return np.array(array.astype(mx.float32))

    def _a(self, array: np.ndarray, dtype=None) -> mx.array:
        out = mx.array(np.ascontiguousarray(array))
        return out.astype(dtype) if dtype is not None else out

    # ---- text
    def encode_text(self, ids: np.ndarray) -> np.ndarray:
        return self._np(self.text_encoder(self._a(ids, mx.int64)))

    def embed_lyrics(self, ids: np.ndarray) -> np.ndarray:
        return self._np(self.text_encoder.embed_tokens(self._a(ids, mx.int64)))

    # ---- condition
    def encode_condition(self, text_hidden, text_mask, lyric_hidden, lyric_mask, refer_latents, refer_order) -> MLXCondition:
        hidden, mask = self.model.encoder(self._a(text_hidden, self.dtype), self._a(text_mask, mx.bool_),
                                          self._a(lyric_hidden, self.dtype), self._a(lyric_mask, mx.bool_),
                                          self._a(refer_latents, self.dtype), self._a(refer_order, mx.int64))
        mx.eval(hidden, mask)
        return MLXCondition(hidden, mask)

    def with_null_condition(self, cond: MLXCondition) -> MLXCondition:
        null = mx.broadcast_to(self.model.null_condition_emb.astype(cond.hidden.dtype), cond.hidden.shape)
        return MLXCondition(mx.concatenate([cond.hidden, null], axis=0), mx.concatenate([cond.mask, cond.mask], axis=0))

    def condition_arrays(self, cond: MLXCondition) -> tuple[np.ndarray, np.ndarray]:
        return self._np(cond.hidden), np.array(cond.mask).astype(bool)

    # ---- denoiser
    def velocity(self, x, t, cond: MLXCondition, context_latents, r=None) -> np.ndarray:
        timestep = self._a(np.asarray(t, dtype=np.float32), self.dtype)
        timestep_r = timestep if r is None else self._a(np.asarray(r, dtype=np.float32), self.dtype)
        if cond.context is None:
            cond.context = self.model.decoder.embed_condition(cond.hidden)
        out = self.model.decoder(self._a(x, self.dtype), timestep, timestep_r, None, self._a(context_latents, self.dtype),
                                 context=cond.context)
        return self._np(out)

    def cover_hints(self, latents: np.ndarray) -> np.ndarray:
        x = self._a(latents, self.dtype)
        quantized, _i, _m = self.model.tokenize(x, self._silence.astype(self.dtype))
        return self._np(self.model.detokenize(quantized)[:, : x.shape[1]])

    # ---- VAE
    def vae_decode(self, latents: np.ndarray, chunk_size: int = 256, overlap: int = 64) -> np.ndarray:
        z = self._a(latents, mx.float32).transpose(0, 2, 1)
        audio = self._np(self.vae.tiled_decode(z, chunk_size=chunk_size, overlap=overlap))
        _clear_cache()
        return audio

    def vae_encode(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, std = self.vae.encode(self._a(audio, mx.float32))
        return self._np(mean.transpose(0, 2, 1)), self._np(std.transpose(0, 2, 1))

    def silence_latent(self) -> np.ndarray:
        return self._np(self._silence[0])

    # ---- adapters
    def linear_shapes(self) -> dict[str, tuple[int, int]]:
        return linear_paths(self.model.decoder)

    def add_adapter(self, weights: LoraWeights) -> None:
        for path, (a, b) in weights.pairs.items():
            wrapped = self._wrapped.get(path)
            if wrapped is None:
                wrapped = LoRALinear(get_module(self.model.decoder, path), self._adapter_state)
                set_module(self.model.decoder, path, wrapped)
                self._wrapped[path] = wrapped
            wrapped.add(weights.name, mx.array(a, dtype=mx.float32), mx.array(b, dtype=mx.float32), weights.scaling(path))
        self._adapter_state[weights.name] = (1.0, True)
        self._adapter_order.append(weights.name)

    def set_adapter_scale(self, name: str, scale: float) -> None:
        _s, enabled = self._adapter_state[name]
        self._adapter_state[name] = (float(scale), enabled)

    def set_adapter_enabled(self, name: str, enabled: bool) -> None:
        scale, _e = self._adapter_state[name]
        self._adapter_state[name] = (scale, bool(enabled))

    def remove_adapter(self, name: str) -> None:
        for path, wrapped in list(self._wrapped.items()):
            wrapped.remove(name)
            if wrapped.empty():
                set_module(self.model.decoder, path, wrapped.base)
                del self._wrapped[path]
        self._adapter_state.pop(name, None)
        self._adapter_order.remove(name)

    def merge_adapters(self) -> None:
        for path, wrapped in list(self._wrapped.items()):
            wrapped.merge()
            set_module(self.model.decoder, path, wrapped.base)
        self._wrapped.clear()
        self._adapter_state.clear()
        self._adapter_order.clear()

    def adapter_names(self) -> list[str]:
        return list(self._adapter_order)

    def close(self) -> None:
        self.model = self.text_encoder = self.vae = None
        _clear_cache()


def open_backend(models_root: str | Path, variant: str, device: str = "auto") -> MLXBackend:
    """Load the variant's DiT, the text encoder, the VAE and the silence latent on MLX."""
    dit_dir, vae_dir, text_dir = require_generation_set(models_root, variant)
    if device in ("cpu",):
        mx.set_default_device(mx.cpu)
    _limit_cache()
    dtype = "float32"  # bf16 weights upcast: parity and Metal both fine; fp16 never
    model = loading.load_dit_model(dit_dir, dtype=dtype)
    text_encoder = loading.load_text_encoder(text_dir, dtype=dtype)
    vae = loading.load_vae(vae_dir, dtype="float32")
    silence = loading.load_silence_latent(dit_dir)
    info = BackendInfo(name="mlx", device=_device_name() if device != "cpu" else "cpu", dtype=dtype, variant=variant,
                       is_turbo=bool(model.config.is_turbo))
    return MLXBackend(model, text_encoder, vae, silence, info, mx.float32)
