"""LoRA adapter folders: read, validate against the model, describe — framework-free.

An adapter is a PEFT LoRA folder (``adapter_config.json`` + ``adapter_model.safetensors``) in
upstream's layout: keys ``base_model.model.layers.N.{self_attn,cross_attn}.{q,k,v,o}_proj.
lora_{A,B}.weight``, relative to the DiT decoder. We read it without peft or torch (peft alone
takes seconds to import): the safetensors file is parsed here (bf16/f16/f32 → float32 numpy),
checked against the decoder's Linear shapes, and handed to a backend as
:class:`~mixgrv_app.core.backend.LoraWeights`, which the backend applies as low-rank side paths:

    y = W x + Σ_adapters (α/r) · clamp(scale, 0, 1) · B (A x)

(upstream's semantics: ``set_lora_scale(s)`` multiplies PEFT's ``scaling = α/r`` by the clamped
scale; disabling gives exactly the base model; re-enabling restores the stored scale).
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from mixgrv_app.core.backend import LoraWeights
from mixgrv_app.core.errors import CheckpointError

CONFIG_NAME = "adapter_config.json"
WEIGHTS_NAME = "adapter_model.safetensors"
_KEY = re.compile(r"^(?:base_model\.model\.)?(?:decoder\.)?(?P<module>.+?)\.lora_(?P<ab>[AB])(?:\.[^.]+)?\.weight$")


class AdapterError(CheckpointError):
    """An adapter folder that is missing, unreadable, or does not fit the loaded model."""


@dataclass
class AdapterInfo:
    """What the sidecar and the UI show about an adapter."""

    name: str
    path: str
    rank: int
    alpha: float
    target_modules: list[str]
    modules: int                      # number of adapted Linear layers
    base_model: str | None            # adapter_config's base_model_name_or_path (may be None)
    sha256: dict[str, str] = field(default_factory=dict)  # file name -> sha256 hex

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "rank": self.rank, "alpha": self.alpha,
                "target_modules": self.target_modules, "modules": self.modules,
                "base_model": self.base_model, "sha256": dict(self.sha256)}


def read_safetensors(path: str | Path) -> dict[str, np.ndarray]:
    """A safetensors file as float32 numpy arrays (F32/F16/BF16/F64), without torch."""
    path = Path(path)
    data = path.read_bytes()
    if len(data) < 8:
        raise ValueError("file too short")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > len(data) - 8:
        raise ValueError("header length beyond end of file")
    header = json.loads(data[8:8 + header_len].decode("utf-8"))
    body = memoryview(data)[8 + header_len:]
    out: dict[str, np.ndarray] = {}
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        if end > len(body) or begin > end:
            raise ValueError(f"tensor {key} lies beyond the end of the file")
        raw = body[begin:end]
        if dtype == "F32":
            array = np.frombuffer(raw, dtype="<f4")
        elif dtype == "F16":
            array = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif dtype == "F64":
            array = np.frombuffer(raw, dtype="<f8").astype(np.float32)
        elif dtype == "BF16":
            array = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"tensor {key} has unsupported dtype {dtype}")
        count = int(np.prod(shape)) if shape else 1
        if array.size != count:
            raise ValueError(f"tensor {key} has {array.size} values, its shape {shape} needs {count}")
        out[key] = np.array(array.reshape(shape), dtype=np.float32)
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_adapter(folder: str | Path, name: str | None = None) -> tuple[LoraWeights, AdapterInfo]:
    """Read and self-check an adapter folder (not yet against a model)."""
    folder = Path(folder)
    label = name or folder.name
    if not folder.is_dir():
        raise AdapterError("lora.not_found", f"The LoRA adapter folder {folder} was not found. Check the path.", path=str(folder))
    config_path, weights_path = folder / CONFIG_NAME, folder / WEIGHTS_NAME
    for required in (config_path, weights_path):
        if not required.is_file():
            raise AdapterError("lora.missing_file", f"The LoRA adapter {folder} has no {required.name}. Choose the folder that holds adapter_config.json and adapter_model.safetensors.",
                               path=str(folder), file=required.name)
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        if not isinstance(config, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise AdapterError("lora.corrupt", f"The LoRA adapter {folder} cannot be read ({CONFIG_NAME}: {exc}). Export or train it again.",
                           path=str(folder), reason=f"{CONFIG_NAME}: {exc}") from exc
    peft_type = str(config.get("peft_type", "LORA")).upper()
    if peft_type != "LORA" or config.get("use_dora"):
        kind = "DoRA" if config.get("use_dora") else peft_type
        raise AdapterError("lora.unsupported", f"The adapter {folder} is a {kind} adapter; only plain LoRA adapters are supported.",
                           path=str(folder), kind=kind)
    try:
        rank = int(config["r"])
        alpha = float(config.get("lora_alpha", rank))
        if rank <= 0:
            raise ValueError("r must be positive")
    except (KeyError, TypeError, ValueError) as exc:
        raise AdapterError("lora.corrupt", f"The LoRA adapter {folder} cannot be read ({CONFIG_NAME}: {exc}). Export or train it again.",
                           path=str(folder), reason=f"{CONFIG_NAME}: {exc}") from exc
    try:
        tensors = read_safetensors(weights_path)
    except (OSError, ValueError, KeyError) as exc:
        raise AdapterError("lora.corrupt", f"The LoRA adapter {folder} cannot be read ({WEIGHTS_NAME}: {exc}). Export or train it again.",
                           path=str(folder), reason=f"{WEIGHTS_NAME}: {exc}") from exc

    halves: dict[str, dict[str, np.ndarray]] = {}
    for key, value in tensors.items():
        match = _KEY.match(key)
        if not match:
            raise AdapterError("lora.unsupported", f"The adapter {folder} holds '{key}', which is not a LoRA weight; only plain LoRA adapters are supported.",
                               path=str(folder), kind=key)
        halves.setdefault(match["module"], {})[match["ab"]] = value
    if not halves:
        raise AdapterError("lora.corrupt", f"The LoRA adapter {folder} cannot be read ({WEIGHTS_NAME}: no LoRA weights). Export or train it again.",
                           path=str(folder), reason=f"{WEIGHTS_NAME}: no LoRA weights")
    rank_pattern = config.get("rank_pattern") or {}
    alpha_pattern = config.get("alpha_pattern") or {}
    use_rslora = bool(config.get("use_rslora"))
    pairs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    scalings: dict[str, float] = {}
    for module, parts in sorted(halves.items()):
        if set(parts) != {"A", "B"}:
            raise AdapterError("lora.corrupt", f"The LoRA adapter {folder} cannot be read ({module}: lora_A or lora_B missing). Export or train it again.",
                               path=str(folder), reason=f"{module}: lora_A or lora_B missing")
        a, b = parts["A"], parts["B"]
        r = int(_pattern_value(rank_pattern, module, rank))
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != r or b.shape[1] != r:
            raise AdapterError("lora.corrupt", f"The LoRA adapter {folder} cannot be read ({module}: lora_A {list(a.shape)} / lora_B {list(b.shape)} do not match r={r}). Export or train it again.",
                               path=str(folder), reason=f"{module}: shapes do not match r={r}")
        module_alpha = float(_pattern_value(alpha_pattern, module, alpha))
        scalings[module] = module_alpha / (r ** 0.5 if use_rslora else r)
        pairs[module] = (a, b)
    weights = LoraWeights(name=label, rank=rank, alpha=alpha, pairs=pairs, scalings=scalings)
    targets = config.get("target_modules") or []
    info = AdapterInfo(
        name=label, path=str(folder.resolve()), rank=rank, alpha=alpha,
        target_modules=sorted(targets) if isinstance(targets, list) else [str(targets)],
        modules=len(pairs), base_model=config.get("base_model_name_or_path"),
        sha256={CONFIG_NAME: _sha256(config_path), WEIGHTS_NAME: _sha256(weights_path)},
    )
    return weights, info


def _pattern_value(pattern: Mapping[str, Any], module: str, default: Any) -> Any:
    """PEFT rank/alpha patterns: the first key that matches the end of the module path."""
    for key, value in pattern.items():
        if module == key or module.endswith("." + key) or re.fullmatch(key, module):
            return value
    return default


def validate_adapter(weights: LoraWeights, linear_shapes: Mapping[str, tuple[int, int]], folder: str, variant: str) -> None:
    """Check every adapted module exists in the decoder as a Linear with matching shapes.

    ``linear_shapes`` maps decoder-relative Linear paths to (out_features, in_features).
    """
    for module, (a, b) in weights.pairs.items():
        shape = linear_shapes.get(module)
        if shape is None:
            raise AdapterError("lora.unknown_module", f"The adapter {folder} targets '{module}', which the {variant} model does not have. It was trained for a different model.",
                               path=str(folder), module=module, variant=variant)
        out_features, in_features = shape
        if a.shape[1] != in_features or b.shape[0] != out_features:
            raise AdapterError("lora.shape_mismatch",
                               f"The adapter {folder} does not fit the {variant} model: {module} expects {in_features}→{out_features}, the adapter has {a.shape[1]}→{b.shape[0]}. Use an adapter trained on this model.",
                               path=str(folder), module=module, variant=variant,
                               expected=f"{in_features}->{out_features}", found=f"{a.shape[1]}->{b.shape[0]}")


def variant_hint_mismatch(info: AdapterInfo, variant: str) -> str | None:
    """A warning when the adapter names a different base variant (shapes fit, sound may not)."""
    base = (info.base_model or "").strip()
    if not base:
        return None
    known = ("turbo", "base", "sft", "xl")
    named = {k for k in known if k in Path(base).name.lower()}
    loaded = {k for k in known if k in variant.lower()}
    if named and loaded and named != loaded:
        return f"The adapter {info.name} was trained on {Path(base).name}; the loaded model is {variant}."
    return None


def clamp_scale(scale: float) -> float:
    """Upstream clamps user scales to [0, 1]."""
    return float(min(1.0, max(0.0, float(scale))))
