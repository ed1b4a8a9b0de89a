"""The torch implementation of the generation backend protocol (core/backend.py).

Loads the DiT (one variant), the Qwen3 text encoder, the Oobleck VAE and the silence latent
with torch_model/loading.py, then answers the pipeline's model calls with numpy in and out. The
condition stays on the device between steps (:class:`TorchCondition`). LoRA adapters are side
paths on the decoder's Linear layers (torch_model/lora.py: forward hooks; base weights untouched
until a merge), so
switching, scaling, disabling or removing an adapter never reloads anything and never needs
peft.

Device policy: CUDA → bf16 weights, CPU → float32 (upstream's choices); MPS → float32 (fp16
overflows in the DiT; generation on Apple Silicon normally runs on MLX anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mixgrv_app.core.audio_codes import CODEBOOK_SIZE
from mixgrv_app.core.backend import BackendInfo, LoraWeights
from mixgrv_app.core.errors import MixgrvError
from mixgrv_app.core.models import TEXT_ENCODER_FOLDER
from mixgrv_app.core.tiling import ENCODE_CHUNK_SAMPLES, ENCODE_OVERLAP_SAMPLES
from mixgrv_app.core.torch_model.lora import SidePaths, linear_paths

VAE_FOLDER = "vae"


def pick_device(device: str = "auto") -> torch.device:
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise MixgrvError("generate.device_unavailable", "CUDA is not available on this machine. Use --device cpu or auto.", device=device)
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise MixgrvError("generate.device_unavailable", "Apple's MPS device is not available here. Use --device cpu or auto.", device=device)
    return torch.device(device)


def pick_dtype(device: torch.device) -> torch.dtype:
    return torch.bfloat16 if device.type == "cuda" else torch.float32


@dataclass
class TorchCondition:
    """encoder_hidden_states [B, L, C] and mask [B, L] on the device, plus the decoder's
    embedded cross-attention context (computed once, reused by every step)."""

    hidden: torch.Tensor
    mask: torch.Tensor
    context: torch.Tensor | None = None

    @property
    def batch(self) -> int:
        return int(self.hidden.shape[0])


def decode_window(device_type: str, chunk_size: int, overlap: int) -> tuple[int, int]:
    """The decode window (chunk, overlap) in latent frames a device can run: MPS is capped at
    upstream's 32/8 (conv1d output-length limit, facts §3); elsewhere the asked window."""
    if device_type == "mps":
        return min(chunk_size, 32), min(overlap, 8)
    return chunk_size, overlap


class TorchBackend:
    """Backend protocol on torch (see core/backend.py for every method's contract)."""

    def __init__(self, model: Any, text_encoder: Any, vae: Any, silence: torch.Tensor, info: BackendInfo,
                 device: torch.device, dtype: torch.dtype) -> None:
        self.model = model
        self.text_encoder = text_encoder
        self.vae = vae
        self.device = device
        self.dtype = dtype
        self.info = info
        self._silence = silence.to(device=device, dtype=torch.float32)       # [1, frames, 64]
        self.hidden_size = int(model.config.hidden_size)
        self.text_hidden_size = int(text_encoder.config.hidden_size)
        self._side_paths: dict[str, SidePaths] = {}
        self._adapter_state: dict[str, tuple[float, bool]] = {}
        self._adapter_order: list[str] = []

    # ---- helpers ---------------------------------------------------------------------------
    def _t(self, array: np.ndarray, dtype: torch.dtype | None = None) -> torch.Tensor:
        tensor = torch.from_numpy(np.ascontiguousarray(array))
        return tensor.to(device=self.device, dtype=dtype) if dtype is not None else tensor.to(self.device)

    @staticmethod
    def _np(tensor: torch.Tensor) -> np.ndarray:
        return tensor.detach().to(device="cpu", dtype=torch.float32).numpy()

    # ---- text ------------------------------------------------------------------------------
    @torch.inference_mode()
    def encode_text(self, ids: np.ndarray) -> np.ndarray:
        return self._np(self.text_encoder(self._t(ids, torch.long)))

    @torch.inference_mode()
    def embed_lyrics(self, ids: np.ndarray) -> np.ndarray:
        return self._np(self.text_encoder.embed_tokens(self._t(ids, torch.long)))

    # ---- condition -------------------------------------------------------------------------
    @torch.inference_mode()
    def encode_condition(self, text_hidden, text_mask, lyric_hidden, lyric_mask, refer_latents, refer_order) -> TorchCondition:
        hidden, mask = self.model.encoder(
            self._t(text_hidden, self.dtype), self._t(text_mask, torch.bool),
            self._t(lyric_hidden, self.dtype), self._t(lyric_mask, torch.bool),
            self._t(refer_latents, self.dtype), self._t(refer_order, torch.long),
        )
        return TorchCondition(hidden, mask)

    @torch.inference_mode()
    def with_null_condition(self, cond: TorchCondition) -> TorchCondition:
        null = self.model.null_condition_emb.expand_as(cond.hidden).to(cond.hidden.dtype)
        return TorchCondition(torch.cat([cond.hidden, null], dim=0), torch.cat([cond.mask, cond.mask], dim=0))

    def condition_arrays(self, cond: TorchCondition) -> tuple[np.ndarray, np.ndarray]:
        return self._np(cond.hidden), cond.mask.detach().cpu().numpy().astype(bool)

    # ---- denoiser --------------------------------------------------------------------------
    @torch.inference_mode()
    def velocity(self, x, t, cond: TorchCondition, context_latents, r=None) -> np.ndarray:
        timestep = self._t(np.asarray(t, dtype=np.float32), self.dtype)
        timestep_r = timestep if r is None else self._t(np.asarray(r, dtype=np.float32), self.dtype)
        if cond.context is None:
            cond.context = self.model.decoder.embed_condition(cond.hidden)
        out = self.model.decoder(self._t(x, self.dtype), timestep, timestep_r, None,
                                 self._t(context_latents, self.dtype), context=cond.context)
        return self._np(out)

    # ---- cover -----------------------------------------------------------------------------
    @torch.inference_mode()
    def cover_hints(self, latents: np.ndarray) -> np.ndarray:
        x = self._t(latents, self.dtype)
        mask = torch.ones(x.shape[:2], device=self.device, dtype=self.dtype)
        quantized, _indices, _mask = self.model.tokenize(x, self._silence.to(self.dtype), mask)
        hints = self.model.detokenize(quantized)
        return self._np(hints[:, : x.shape[1]])

    @torch.inference_mode()
    def codes_to_hints(self, codes: np.ndarray) -> np.ndarray:
        ids = np.clip(np.asarray(codes, dtype=np.int64), 0, CODEBOOK_SIZE - 1)
        return self._np(self.model.codes_to_hints(self._t(ids, torch.long)))

    @torch.inference_mode()
    def audio_to_codes(self, latents: np.ndarray) -> np.ndarray:
        x = self._t(latents, self.dtype)
        _quantized, indices, _mask = self.model.tokenize(x, self._silence.to(self.dtype))
        return indices.reshape(indices.shape[0], -1).to(device="cpu", dtype=torch.int64).numpy()

    # ---- VAE -------------------------------------------------------------------------------
    @torch.inference_mode()
    def vae_decode(self, latents: np.ndarray, chunk_size: int = 256, overlap: int = 64) -> np.ndarray:
        chunk_size, overlap = decode_window(self.device.type, chunk_size, overlap)
        z = self._t(latents, torch.float32).transpose(1, 2).to(self._vae_dtype())
        audio = self.vae.tiled_decode(z, chunk_size=chunk_size, overlap=overlap)
        return self._np(audio)

    @torch.inference_mode()
    def vae_encode(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = self._t(audio, self._vae_dtype())
        if x.shape[-1] > ENCODE_CHUNK_SAMPLES:
            mean, std = self.vae.tiled_encode(x, ENCODE_CHUNK_SAMPLES, ENCODE_OVERLAP_SAMPLES)
        else:
            mean, std = self.vae.encode(x)
        return self._np(mean.transpose(1, 2)), self._np(std.transpose(1, 2))

    def _vae_dtype(self) -> torch.dtype:
        return next(self.vae.parameters()).dtype

    def silence_latent(self) -> np.ndarray:
        return self._np(self._silence[0])

    # ---- adapters --------------------------------------------------------------------------
    def linear_shapes(self) -> dict[str, tuple[int, int]]:
        return linear_paths(self.model.decoder)

    def add_adapter(self, weights: LoraWeights) -> None:
        modules = dict(self.model.decoder.named_modules())
        for path, (a, b) in weights.pairs.items():
            module = modules[path]
            side = self._side_paths.get(path)
            if side is None:
                side = self._side_paths[path] = SidePaths(module)
                side.state = self._adapter_state
            param = module.weight
            lora_dtype = torch.float32 if param.dtype == torch.float32 else param.dtype
            side.entries[weights.name] = (torch.from_numpy(a).to(param.device, lora_dtype),
                                          torch.from_numpy(b).to(param.device, lora_dtype), weights.scaling(path))
        self._adapter_state[weights.name] = (1.0, True)
        self._adapter_order.append(weights.name)

    def set_adapter_scale(self, name: str, scale: float) -> None:
        _scale, enabled = self._adapter_state[name]
        self._adapter_state[name] = (float(scale), enabled)

    def set_adapter_enabled(self, name: str, enabled: bool) -> None:
        scale, _enabled = self._adapter_state[name]
        self._adapter_state[name] = (scale, bool(enabled))

    def remove_adapter(self, name: str) -> None:
        for path in list(self._side_paths):
            side = self._side_paths[path]
            side.entries.pop(name, None)
            if not side.entries:
                side.handle.remove()
                del self._side_paths[path]
        self._adapter_state.pop(name, None)
        self._adapter_order.remove(name)

    @torch.inference_mode()
    def merge_adapters(self) -> None:
        for side in list(self._side_paths.values()):
            weight = side.module.weight
            for name, (a, b, scaling) in side.entries.items():
                scale, enabled = self._adapter_state[name]
                if enabled:
                    weight += ((b.float() @ a.float()) * (scaling * scale)).to(weight.dtype)
            side.handle.remove()
        self._side_paths.clear()
        self._adapter_state.clear()
        self._adapter_order.clear()

    def adapter_names(self) -> list[str]:
        return list(self._adapter_order)

    def release_memory(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        elif self.device.type == "mps":
            torch.mps.empty_cache()

    def close(self) -> None:
        for side in self._side_paths.values():
            side.handle.remove()
        self._side_paths.clear()
        self.model = self.text_encoder = self.vae = None
        self.release_memory()


def _loading(component: str, folder: Path, loader, **kwargs):
    """Run a loader; a missing or broken file becomes one clear CheckpointError."""
    from mixgrv_app.core.errors import CheckpointError

    try:
        return loader(folder, **kwargs)
    except MixgrvError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, EOFError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError("generate.load_failed", f"Could not load {component} from {folder}: {reason}. Download the model folder again.",
                              component=component, path=str(folder), reason=reason) from exc


def open_backend(models_root: str | Path, variant: str, device: str = "auto") -> TorchBackend:
    """Load the variant's DiT, the text encoder, the VAE and the silence latent."""
    from mixgrv_app.core.torch_model.loading import load_dit_model, load_silence_latent, load_text_encoder, load_vae

    root = Path(models_root)
    dev = pick_device(device)
    dtype = pick_dtype(dev)
    model = _loading("the DiT", root / variant, load_dit_model, device=dev, dtype=dtype)
    text_encoder = _loading("the text encoder", root / TEXT_ENCODER_FOLDER, load_text_encoder, device=dev, dtype=dtype)
    vae = _loading("the VAE", root / VAE_FOLDER, load_vae, device=dev, dtype=torch.float32)
    silence = _loading("the silence latent", root / variant, load_silence_latent)
    for module in (model, text_encoder, vae):
        module.eval()
        for p in module.parameters():
            p.requires_grad_(False)
    is_turbo = bool(getattr(model.config, "is_turbo", "turbo" in variant))
    info = BackendInfo(name="torch", device=dev.type, dtype=str(dtype).replace("torch.", ""), variant=variant, is_turbo=is_turbo)
    return TorchBackend(model, text_encoder, vae, silence, info, dev, dtype)
