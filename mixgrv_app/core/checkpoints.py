"""Model folders in the official ACE-Step 1.5 layout: find, validate, load.

A models root holds some of ``acestep-v15-*/`` (DiT variants: config.json, model.safetensors,
silence_latent.pt), ``vae/`` (config.json, diffusion_pytorch_model.safetensors),
``Qwen3-Embedding-0.6B/`` and ``acestep-5Hz-lm-*/``. Files are read unchanged: bf16 tensors are
converted to the compute dtype one tensor at a time from a memory map, never holding two full
copies. Validation is strict — a missing or unexpected key, a wrong shape, a truncated or
corrupt file — and raises :class:`CheckpointError` naming the file, the key, the expected and
the found shape.

Which folders a root holds (``find_components``, ``describe_root``, the folder names) is
:mod:`mixgrv_app.core.models`' knowledge, re-exported here. The validation half
(``read_header``, ``validate``) is framework-free and shared with the MLX loader; the torch loaders import torch
lazily.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any, Iterable, Iterator

from mixgrv_app.core.errors import CheckpointError
from mixgrv_app.core.models import (  # noqa: F401 (re-exported: the folder knowledge lives in core.models)
    DIT_PREFIX,
    LM_PREFIX,
    TEXT_ENCODER_FOLDER,
    VAE_FOLDER,
    ModelRoot,
    _check_folder,
    describe_root,
    find_components,
)

VAE_WEIGHTS = "diffusion_pytorch_model.safetensors"
SILENCE_FILE = "silence_latent.pt"
_DTYPE_BYTES = {"BF16": 2, "F16": 2, "F32": 4, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


# ------------------------------------------------------------------------------ discovery (core.models)
def require_generation_set(root: str | os.PathLike[str], variant: str) -> tuple[Path, Path, Path]:
    """(DiT folder, VAE folder, text-encoder folder) for ``variant``, or a message naming what is missing."""
    found = find_components(root)
    if variant not in found.dits:
        raise CheckpointError("checkpoint.missing_component",
                              f"The model '{variant}' is not in {found.root}. Found: {', '.join(found.dits) or 'none'}.",
                              component=variant, path=str(found.root))
    if found.vae is None:
        raise CheckpointError("checkpoint.missing_component", f"The VAE folder vae/ is missing from {found.root}.",
                              component=VAE_FOLDER, path=str(found.root))
    if found.text_encoder is None:
        raise CheckpointError("checkpoint.missing_component",
                              f"The text encoder folder {TEXT_ENCODER_FOLDER}/ is missing from {found.root}.",
                              component=TEXT_ENCODER_FOLDER, path=str(found.root))
    return found.dits[variant], found.vae, found.text_encoder


# ------------------------------------------------------------------------------ safetensors headers
def weight_files(folder: Path, required: bool = True) -> list[Path]:
    """The safetensors files of a component (a single file or the shards of an index)."""
    index = sorted(folder.glob("*.safetensors.index.json"))
    if index:
        try:
            weight_map = json.loads(index[0].read_text(encoding="utf-8"))["weight_map"]
        except (OSError, ValueError, KeyError) as exc:
            raise CheckpointError("checkpoint.corrupt_file", f"{index[0]} is not a valid shard index: {exc}",
                                  path=str(index[0])) from exc
        return [folder / name for name in sorted(set(weight_map.values()))]
    files = sorted(folder.glob("*.safetensors"))
    if not files and required:
        raise CheckpointError("checkpoint.missing_file", f"No .safetensors weights in {folder}.", path=str(folder))
    return files


def read_header(path: Path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """key → (dtype, shape) from a safetensors header, checking the file is long enough."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            raw = fh.read(8)
            if len(raw) < 8:
                raise ValueError("file shorter than its header length")
            (header_len,) = struct.unpack("<Q", raw)
            if header_len > min(size - 8, 100_000_000):
                raise ValueError("header length beyond the end of the file")
            header = json.loads(fh.read(header_len))
    except FileNotFoundError as exc:
        raise CheckpointError("checkpoint.missing_file", f"{path} is missing.", path=str(path)) from exc
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError("checkpoint.corrupt_file",
                              f"{path.name} is damaged or not a safetensors file ({exc}). Download it again.",
                              path=str(path)) from exc
    entries: dict[str, tuple[str, tuple[int, ...]]] = {}
    data_end = 0
    for key, info in header.items():
        if key == "__metadata__":
            continue
        entries[key] = (info["dtype"], tuple(info["shape"]))
        data_end = max(data_end, info["data_offsets"][1])
    if 8 + header_len + data_end > size:
        raise CheckpointError("checkpoint.truncated_file",
                              f"{path.name} is truncated ({size} bytes, needs {8 + header_len + data_end}). Download it again.",
                              path=str(path))
    return entries


def read_headers(folder: Path) -> dict[str, tuple[Path, str, tuple[int, ...]]]:
    """key → (file, dtype, shape) over all weight files of a component."""
    out: dict[str, tuple[Path, str, tuple[int, ...]]] = {}
    for path in weight_files(folder):
        for key, (dtype, shape) in read_header(path).items():
            out[key] = (path, dtype, shape)
    return out


def strip_prefix(keys: Iterable[str], prefix: str = "model.") -> dict[str, str]:
    """checkpoint key → module key, dropping ``prefix`` when every key has it."""
    keys = list(keys)
    if keys and all(k.startswith(prefix) for k in keys):
        return {k: k[len(prefix):] for k in keys}
    return {k: k for k in keys}


def validate(expected: dict[str, tuple[int, ...]], found: dict[str, tuple[int, ...]], where: str,
             ignore_unexpected: Iterable[str] = ()) -> None:
    """Raise CheckpointError on the first missing key, unexpected key or shape mismatch."""
    ignore = tuple(ignore_unexpected)
    for key, shape in expected.items():
        if key not in found:
            raise CheckpointError("checkpoint.missing_key", f"{where}: the key '{key}' (shape {list(shape)}) is missing.",
                                  file=where, key=key, expected=str(list(shape)))
        if tuple(found[key]) != tuple(shape):
            raise CheckpointError(
                "checkpoint.shape_mismatch",
                f"{where}: '{key}' has shape {list(found[key])}, expected {list(shape)}. "
                "The config.json does not match these weights.",
                file=where, key=key, expected=str(list(shape)), found=str(list(found[key])))
    for key in found:
        if key not in expected and not key.startswith(ignore):
            raise CheckpointError("checkpoint.unexpected_key",
                                  f"{where}: unexpected key '{key}' (shape {list(found[key])}); these weights are not for this model.",
                                  file=where, key=key, found=str(list(found[key])))


def read_config(folder: Path) -> dict[str, Any]:
    path = folder / "config.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CheckpointError("checkpoint.missing_file", f"{path} is missing.", path=str(path)) from exc
    except (OSError, ValueError) as exc:
        raise CheckpointError("checkpoint.corrupt_file", f"{path} is not valid JSON ({exc}).", path=str(path)) from exc


# ------------------------------------------------------------------------------ torch loading
_TORCH_DTYPES = {"BF16": "bfloat16", "F16": "float16", "F32": "float32", "F64": "float64", "I64": "int64",
                 "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool"}


def _iter_tensors(folder: Path, rename: dict[str, str], dtype, device) -> Iterator[tuple[str, Any]]:
    """Tensor by tensor, read with plain file reads (not a memory map): a mapped file's pages
    would count in the process's memory on top of the converted copy."""
    import torch

    for path in weight_files(folder):
        try:
            with open(path, "rb") as fh:
                (header_len,) = struct.unpack("<Q", fh.read(8))
                header = json.loads(fh.read(header_len))
                base = 8 + header_len
                for key, info in header.items():
                    if key == "__metadata__":
                        continue
                    start, end = info["data_offsets"]
                    raw = bytearray(end - start)
                    fh.seek(base + start)
                    fh.readinto(raw)
                    stored = getattr(torch, _TORCH_DTYPES[info["dtype"]])
                    tensor = torch.frombuffer(raw, dtype=stored).reshape(info["shape"]) if raw else \
                        torch.empty(info["shape"], dtype=stored)
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
    import torch

    for path in weight_files(folder):
        try:
            with open(path, "rb") as fh:
                (header_len,) = struct.unpack("<Q", fh.read(8))
                header = json.loads(fh.read(header_len))
                base = 8 + header_len
                for key, info in header.items():
                    if key == "__metadata__":
                        continue
                    start, end = info["data_offsets"]
                    shape = list(info["shape"])
                    stored = getattr(torch, _TORCH_DTYPES[info["dtype"]])
                    if not shape or end == start:
                        raw = bytearray(end - start)
                        fh.seek(base + start)
                        fh.readinto(raw)
                        tensor = torch.frombuffer(raw, dtype=stored).reshape(shape) if raw else torch.empty(shape, dtype=stored)
                        yield rename.get(key, key), None, tensor.to(device=device)
                        continue
                    row_bytes = max(1, (end - start) // shape[0])
                    per_block = max(1, block_bytes // row_bytes)
                    for r0 in range(0, shape[0], per_block):
                        r1 = min(shape[0], r0 + per_block)
                        raw = bytearray((r1 - r0) * row_bytes)
                        fh.seek(base + start + r0 * row_bytes)
                        fh.readinto(raw)
                        tensor = torch.frombuffer(raw, dtype=stored).reshape([r1 - r0] + shape[1:])
                        yield rename.get(key, key), slice(r0, r1), tensor.to(device=device)
        except CheckpointError:
            raise
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError("checkpoint.corrupt_file", f"{path.name} cannot be read ({exc}). Download it again.",
                                  path=str(path)) from exc


def _load_into(module, folder: Path, *, dtype, device, prefix: str | None = "model.", fold=None) -> None:
    """Validate the files against ``module``'s state dict, then copy tensor by tensor."""
    import torch

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
    import torch

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


def load_text_encoder(folder: str | os.PathLike[str], device="cpu", dtype="float32"):
    from mixgrv_app.core.configs import Qwen3Config
    from mixgrv_app.core.torch_model.qwen3 import Qwen3TextEncoder

    folder = _check_folder(Path(folder), "The text encoder")
    config = Qwen3Config.from_dict(read_config(folder))
    dtype = _torch_dtype(dtype)
    model = _build(Qwen3TextEncoder, config, device, dtype)
    _load_into(model, folder, dtype=dtype, device=device, prefix="model.")
    return model.eval()


def load_lm(folder: str | os.PathLike[str], device="cpu", dtype="float32"):
    from mixgrv_app.core.configs import Qwen3Config
    from mixgrv_app.core.torch_model.qwen3 import Qwen3CausalLM

    folder = _check_folder(Path(folder), "The 5 Hz LM")
    config = Qwen3Config.from_dict(read_config(folder))
    dtype = _torch_dtype(dtype)
    model = _build(Qwen3CausalLM, config, device, dtype)
    _load_into(model, folder, dtype=dtype, device=device, prefix="model.", fold=_DropTiedHead())
    return model.eval()


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
    import torch

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
    import torch

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
