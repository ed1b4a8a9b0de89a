"""Model folders in the official ACE-Step 1.5 layout: find and validate, framework-free.

A models root holds some of ``acestep-v15-*/`` (DiT variants: config.json, model.safetensors,
silence_latent.pt), ``vae/`` (config.json, diffusion_pytorch_model.safetensors),
``Qwen3-Embedding-0.6B/`` and ``acestep-5Hz-lm-*/``. Validation is strict — a missing or
unexpected key, a wrong shape, a truncated or corrupt file — and raises
:class:`CheckpointError` naming the file, the key, the expected and the found shape.

Which folders a root holds (``find_components``, ``describe_root``, the folder names) is
:mod:`mixgrv_app.core.models`' knowledge, re-exported here. Here: the one safetensors header
reader (``read_safetensors_header``) and the key/shape checks (``validate``), framework-free and
shared by both loaders: ``torch_model/loading.py`` and ``mlx_model/loading.py`` read the files
unchanged into their modules.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

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


@dataclass(frozen=True)
class StoredTensor:
    """One tensor of a safetensors file: its dtype name ("BF16", "F32"...), shape and the byte
    range of its data, counted from the start of the file."""

    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


def read_safetensors_header(path: str | os.PathLike[str]) -> dict[str, StoredTensor]:
    """The one safetensors header reader (model files, adapters, preprocessed tensors): every
    tensor's dtype, shape and byte range, after checking that the header parses and that the
    file holds all the data it announces. Raises :class:`CheckpointError` (``missing_file``,
    ``corrupt_file``, ``truncated_file``)."""
    path = Path(path)
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
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
        entries: dict[str, StoredTensor] = {}
        for key, info in header.items():
            if key == "__metadata__":
                continue
            begin, end = (8 + header_len + int(o) for o in info["data_offsets"])
            entries[key] = StoredTensor(str(info["dtype"]), tuple(int(n) for n in info["shape"]), begin, end)
            if end < begin:
                raise ValueError(f"tensor {key} ends before it begins")
    except FileNotFoundError as exc:
        raise CheckpointError("checkpoint.missing_file", f"{path} is missing.", path=str(path)) from exc
    except (OSError, ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise CheckpointError("checkpoint.corrupt_file",
                              f"{path.name} is damaged or not a safetensors file ({exc}). Download it again.",
                              path=str(path)) from exc
    needed = max((t.end for t in entries.values()), default=8 + header_len)
    if needed > size:
        raise CheckpointError("checkpoint.truncated_file",
                              f"{path.name} is truncated ({size} bytes, needs {needed}). Download it again.",
                              path=str(path))
    return entries


def read_header(path: Path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """key → (dtype, shape) from a safetensors header, checking the file is long enough."""
    return {key: (t.dtype, t.shape) for key, t in read_safetensors_header(path).items()}


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
