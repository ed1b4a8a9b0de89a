"""Load the official safetensors files into the torch modules (mirror of ``mlx_model/loading.py``).

Keys and shapes are checked first with the framework-free checks of core/checkpoints.py (the
MLX loader uses the same ones, so a wrong file gets the same message on both backends); then
the modules are built without random init and filled tensor by tensor, with plain file reads
(no memory map), so two full copies of a model never exist. The VAE's weight norm is folded
on the way in; the LM's tied head is skipped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import torch

from mixgrv_app.core.checkpoints import (SILENCE_FILE, _check_folder, read_config, read_headers,
                                         read_safetensors_header, strip_prefix, validate, weight_files)
from mixgrv_app.core.errors import CheckpointError

_TORCH_DTYPES = {"BF16": "bfloat16", "F16": "float16", "F32": "float32", "F64": "float64", "I64": "int64",
                 "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool"}


def _iter_tensors(folder: Path, rename: dict[str, str], dtype, device) -> Iterator[tuple[str, Any]]:
    """Tensor by tensor, read with plain file reads (not a memory map): a mapped file's pages
    would count in the process's memory on top of the converted copy."""
    for path in weight_files(folder):
        header = read_safetensors_header(path)
        try:
            with open(path, "rb") as fh:
                for key, info in header.items():
                    raw = bytearray(info.end - info.begin)
                    fh.seek(info.begin)
                    fh.readinto(raw)
                    stored = getattr(torch, _TORCH_DTYPES[info.dtype])
                    tensor = torch.frombuffer(raw, dtype=stored).reshape(info.shape) if raw else \
                        torch.empty(info.shape, dtype=stored)
                    target = dtype if tensor.is_floating_point() else tensor.dtype
                    yield rename.get(key, key), tensor.to(device=device, dtype=target)
        except CheckpointError:
            raise
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError("checkpoint.corrupt_file", f"{path.name} cannot be read ({exc}). Download it again.",
                                  path=str(path)) from exc


def _iter_row_blocks(folder: Path, rename: dict[str, str], device, block_bytes: int = 32 << 20):
    """(key, rows, tensor) with each tensor read ``block_bytes`` of rows at a time, in its stored
    dtype (``rows`` = slice of dim 0, None for a scalar): copied into the preallocated parameter,
    a big tensor never exists twice (the LM's 217k-row embedding is 0.4 GB in bf16)."""
    for path in weight_files(folder):
        header = read_safetensors_header(path)
        try:
            with open(path, "rb") as fh:
                for key, info in header.items():
                    shape = list(info.shape)
                    stored = getattr(torch, _TORCH_DTYPES[info.dtype])
                    size = info.end - info.begin
                    if not shape or size == 0:
                        raw = bytearray(size)
                        fh.seek(info.begin)
                        fh.readinto(raw)
                        tensor = torch.frombuffer(raw, dtype=stored).reshape(shape) if raw else torch.empty(shape, dtype=stored)
                        yield rename.get(key, key), None, tensor.to(device=device)
                        continue
                    row_bytes = max(1, size // shape[0])
                    per_block = max(1, block_bytes // row_bytes)
                    for r0 in range(0, shape[0], per_block):
                        r1 = min(shape[0], r0 + per_block)
                        raw = bytearray((r1 - r0) * row_bytes)
                        fh.seek(info.begin + r0 * row_bytes)
                        fh.readinto(raw)
                        tensor = torch.frombuffer(raw, dtype=stored).reshape([r1 - r0] + shape[1:])
                        yield rename.get(key, key), slice(r0, r1), tensor.to(device=device)
        except CheckpointError:
            raise
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError("checkpoint.corrupt_file", f"{path.name} cannot be read ({exc}). Download it again.",
                                  path=str(path)) from exc


def _load_into(module, folder: Path, *, dtype, device, prefix: str | None = "model.", fold=None) -> None:
    """Validate the files against ``module``'s state dict, then copy them into its storage."""
    headers = read_headers(folder)
    rename = strip_prefix(headers, prefix) if prefix else {k: k for k in headers}
    found = {rename[k]: shape for k, (_p, _d, shape) in headers.items()}
    expected_sd = module.state_dict()
    expected = {k: tuple(v.shape) for k, v in expected_sd.items()}
    where = weight_files(folder)[0].name if len(weight_files(folder)) == 1 else f"{folder.name}/*.safetensors"
    if fold is not None:
        found = fold.shapes(found)
    validate(expected, found, f"{folder.name}/{where}")
    params = dict(module.named_parameters())
    params.update(dict(module.named_buffers()))
    if fold is None or isinstance(fold, _DropTiedHead):
        # row blocks in the stored dtype straight into the storage _build allocated (copy_ converts)
        with torch.no_grad():
            for key, rows, tensor in _iter_row_blocks(folder, rename, device):
                if key == "lm_head.weight" and isinstance(fold, _DropTiedHead):
                    continue
                (params[key] if rows is None else params[key][rows]).copy_(tensor)
                del tensor
        return
    tensors = fold.tensors(_iter_tensors(folder, rename, dtype, device))  # a fold computes on converted tensors
    with torch.no_grad():
        for key, tensor in tensors:  # into the storage _build allocated: no second full copy
            params[key].copy_(tensor)
            del tensor


def _torch_dtype(dtype):
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype or torch.float32
    return {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
            "float16": torch.float16, "fp16": torch.float16}[str(dtype)]


def load_dit_model(folder: str | os.PathLike[str], device="cpu", dtype="float32"):
    """``acestep-v15-*/`` → AceStepModel (eval mode) with ``.config`` (DiTConfig)."""
    from mixgrv_app.core.configs import DiTConfig
    from mixgrv_app.core.torch_model.model import AceStepModel

    folder = _check_folder(Path(folder), "The DiT model")
    config = DiTConfig.from_dict(read_config(folder))
    dtype = _torch_dtype(dtype)
    model = _build(AceStepModel, config, device, dtype)
    _load_into(model, folder, dtype=dtype, device=device, prefix=None)
    return model.eval()


def _load_qwen3(cls, folder: Path, what: str, device, dtype, fold=None):
    """A Qwen3 folder (text encoder or 5 Hz LM) → ``cls`` in eval mode (mlx_model.loading's twin)."""
    from mixgrv_app.core.configs import Qwen3Config

    folder = _check_folder(folder, what)
    config = Qwen3Config.from_dict(read_config(folder))
    dtype = _torch_dtype(dtype)
    model = _build(cls, config, device, dtype)
    _load_into(model, folder, dtype=dtype, device=device, prefix="model.", fold=fold)
    return model.eval()


def load_text_encoder(folder: str | os.PathLike[str], device="cpu", dtype="float32"):
    from mixgrv_app.core.torch_model.qwen3 import Qwen3TextEncoder

    return _load_qwen3(Qwen3TextEncoder, Path(folder), "The text encoder", device, dtype)


def load_lm(folder: str | os.PathLike[str], device="cpu", dtype="float32"):
    from mixgrv_app.core.torch_model.qwen3 import Qwen3CausalLM

    return _load_qwen3(Qwen3CausalLM, Path(folder), "The 5 Hz LM", device, dtype, fold=_DropTiedHead())


def load_vae(folder: str | os.PathLike[str], device="cpu", dtype="float32"):
    from mixgrv_app.core.configs import VAEConfig
    from mixgrv_app.core.torch_model.vae import OobleckVAE

    folder = _check_folder(Path(folder), "The VAE")
    config = VAEConfig.from_dict(read_config(folder))
    dtype = _torch_dtype(dtype)
    model = _build(OobleckVAE, config, device, dtype)
    _load_into(model, folder, dtype=dtype, device=device, prefix=None, fold=_WeightNormFold())
    return model.eval()


def load_silence_latent(folder: str | os.PathLike[str]):
    """``silence_latent.pt`` ([1, 64, 15000] on disk) → float32 [1, 15000, 64] (time-major)."""
    path = Path(folder) / SILENCE_FILE
    if not path.is_file():
        raise CheckpointError("checkpoint.missing_file", f"{path} is missing (the silence latent of the model).",
                              path=str(path))
    try:
        tensor = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError("checkpoint.corrupt_file", f"{path.name} cannot be read ({exc}). Download it again.",
                              path=str(path)) from exc
    if not isinstance(tensor, torch.Tensor) or tensor.dim() != 3 or 64 not in tensor.shape[1:]:
        raise CheckpointError("checkpoint.corrupt_file", f"{path.name} does not hold a [1, 64, frames] latent.",
                              path=str(path))
    tensor = tensor.float()
    return tensor.transpose(1, 2).contiguous() if tensor.shape[1] == 64 else tensor


def _build(cls, config, device, dtype):
    """Build ``cls(config)`` without random init (meta device), give it storage on ``device``,
    and recompute the buffers that are not stored in the files (RoPE frequencies, FSQ levels)."""
    with torch.device("meta"):
        module = cls(config)
    module = module.to_empty(device=device).to(dtype=dtype)
    for sub in module.modules():
        if hasattr(sub, "init_buffers"):
            sub.init_buffers(device)
    return module


class _WeightNormFold:
    """Maps the VAE's weight_g/weight_v pairs to the folded ``weight`` the module has."""

    def shapes(self, found: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
        out = {}
        for key, shape in found.items():
            if key.endswith(".weight_g"):
                continue
            out[key[: -len("_v")] if key.endswith(".weight_v") else key] = shape
        return out

    def tensors(self, items):
        pending: dict[str, Any] = {}
        for key, tensor in items:
            if key.endswith((".weight_g", ".weight_v")):
                prefix = key[: -len(".weight_g")]
                other = pending.pop(prefix, None)
                if other is None:
                    pending[prefix] = (key, tensor)
                    continue
                g, v = (tensor, other[1]) if key.endswith("_g") else (other[1], tensor)
                norm = v.float().reshape(v.shape[0], -1).norm(dim=1).reshape(-1, *([1] * (v.dim() - 1)))
                yield f"{prefix}.weight", (g.float() * v.float() / norm).to(v.dtype)
            else:
                yield key, tensor


class _DropTiedHead:
    """The LM's head is tied to the embedding: a stored ``lm_head.weight`` is accepted and skipped."""

    def shapes(self, found):
        return {k: v for k, v in found.items() if k != "lm_head.weight"}

    def tensors(self, items):
        for key, tensor in items:
            if key != "lm_head.weight":
                yield key, tensor
