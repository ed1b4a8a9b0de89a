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
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from mixgrv_app import paths
from mixgrv_app.core.checkpoints import read_safetensors_header
from mixgrv_app.core.errors import CheckpointError

if TYPE_CHECKING:  # numpy is imported where tensors are read: the library half below runs at start-up
    import numpy as np

    from mixgrv_app.core.backend import LoraWeights

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
    import numpy as np

    header = read_safetensors_header(path)  # CheckpointError when damaged or truncated
    data = memoryview(Path(path).read_bytes())
    out: dict[str, np.ndarray] = {}
    for key, entry in header.items():
        dtype, shape = entry.dtype, entry.shape
        raw = data[entry.begin:entry.end]
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


def _corrupt(folder: Path, reason: str) -> AdapterError:
    return AdapterError("lora.corrupt", f"The LoRA adapter {folder} cannot be read ({reason}). Export or train it again.",
                        path=str(folder), reason=reason)


def _read_config(folder: Path) -> dict[str, Any]:
    """An adapter folder's adapter_config.json, after checking both files are there and that it
    describes a plain LoRA adapter."""
    if not folder.is_dir():
        raise AdapterError("lora.not_found", f"The LoRA adapter folder {folder} was not found. Check the path.", path=str(folder))
    for required in (folder / CONFIG_NAME, folder / WEIGHTS_NAME):
        if not required.is_file():
            raise AdapterError("lora.missing_file", f"The LoRA adapter {folder} has no {required.name}. Choose the folder that holds adapter_config.json and adapter_model.safetensors.",
                               path=str(folder), file=required.name)
    try:
        config = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
        if not isinstance(config, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise _corrupt(folder, f"{CONFIG_NAME}: {exc}") from exc
    peft_type = str(config.get("peft_type", "LORA")).upper()
    if peft_type != "LORA" or config.get("use_dora"):
        kind = "DoRA" if config.get("use_dora") else peft_type
        raise AdapterError("lora.unsupported", f"The adapter {folder} is a {kind} adapter; only plain LoRA adapters are supported.",
                           path=str(folder), kind=kind)
    return config


def read_adapter(folder: str | Path, name: str | None = None) -> tuple[LoraWeights, AdapterInfo]:
    """Read and self-check an adapter folder (not yet against a model)."""
    from mixgrv_app.core.backend import LoraWeights

    folder = Path(folder)
    label = name or folder.name
    config = _read_config(folder)
    config_path, weights_path = folder / CONFIG_NAME, folder / WEIGHTS_NAME
    try:
        rank = int(config["r"])
        alpha = float(config.get("lora_alpha", rank))
        if rank <= 0:
            raise ValueError("r must be positive")
    except (KeyError, TypeError, ValueError) as exc:
        raise _corrupt(folder, f"{CONFIG_NAME}: {exc}") from exc
    try:
        tensors = read_safetensors(weights_path)
    except (OSError, ValueError, KeyError, CheckpointError) as exc:
        raise _corrupt(folder, f"{WEIGHTS_NAME}: {exc}") from exc

    halves: dict[str, dict[str, np.ndarray]] = {}
    for key, value in tensors.items():
        match = _KEY.match(key)
        if not match:
            raise AdapterError("lora.unsupported", f"The adapter {folder} holds '{key}', which is not a LoRA weight; only plain LoRA adapters are supported.",
                               path=str(folder), kind=key)
        halves.setdefault(match["module"], {})[match["ab"]] = value
    if not halves:
        raise _corrupt(folder, f"{WEIGHTS_NAME}: no LoRA weights")
    rank_pattern = config.get("rank_pattern") or {}
    alpha_pattern = config.get("alpha_pattern") or {}
    use_rslora = bool(config.get("use_rslora"))
    pairs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    scalings: dict[str, float] = {}
    for module, parts in sorted(halves.items()):
        if set(parts) != {"A", "B"}:
            raise _corrupt(folder, f"{module}: lora_A or lora_B missing")
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


# ---- the adapter library -----------------------------------------------------------------------
# Every PEFT adapter folder mixgrv knows: trained runs' ``paths.runs_dir()/<run>/final/adapter``,
# and folders imported into ``paths.loras_dir()/<name>`` (copied after a check; the user's own
# folder is never modified).

@dataclass
class LibraryEntry:
    name: str
    path: str
    source: str  # "run" | "imported"


def _is_adapter_folder(folder: Path) -> bool:
    return (folder / CONFIG_NAME).is_file() and (folder / WEIGHTS_NAME).is_file()


def scan_library() -> list[LibraryEntry]:
    """Trained runs' final adapters and imported adapters, by name."""
    found: list[LibraryEntry] = []
    try:
        for run in sorted(paths.runs_dir().iterdir()):
            adapter = run / "final" / "adapter"
            if _is_adapter_folder(adapter):
                found.append(LibraryEntry(run.name, str(adapter), "run"))
    except OSError:
        pass
    try:
        for folder in sorted(paths.loras_dir().iterdir()):
            if _is_adapter_folder(folder):
                found.append(LibraryEntry(folder.name, str(folder), "imported"))
    except OSError:
        pass
    return found


def read_adapter_folder(folder: str | Path) -> dict[str, Any]:
    """Check a PEFT LoRA folder cheaply, at import time (config and safetensors header, no
    weights read): {r, alpha, targets, tensors, base_model}. Raises :class:`AdapterError`.
    Whether the adapter fits the chosen model is checked when it is loaded (validate_adapter)."""
    folder = Path(folder)
    config = _read_config(folder)
    try:
        keys = list(read_safetensors_header(folder / WEIGHTS_NAME))
    except CheckpointError as exc:
        raise _corrupt(folder, f"{WEIGHTS_NAME}: {exc}") from exc
    a_keys = [k for k in keys if ".lora_A." in k]
    if not a_keys or len([k for k in keys if ".lora_B." in k]) != len(a_keys):
        raise _corrupt(folder, f"{WEIGHTS_NAME}: no LoRA A/B tensors among {len(keys)}")
    return {
        "r": config.get("r"),
        "alpha": config.get("lora_alpha"),
        "targets": config.get("target_modules"),
        "tensors": len(keys),
        "base_model": config.get("base_model_name_or_path") or "",
    }


def _library_name(source: Path) -> str:
    """The name an imported folder gets: its own, or its run's for ``<run>/final/adapter``."""
    if source.name == "adapter" and source.parent.name == "final":
        return source.parent.parent.name
    return source.parent.name if source.name in ("adapter", "final") else source.name


def _unique_folder(parent: Path, name: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_. " or ord(c) > 127 else "_" for c in name).strip() or "adapter"
    candidate, n = parent / safe, 2
    while candidate.exists():
        candidate, n = parent / f"{safe} {n}", n + 1
    return candidate


def import_adapter_folder(folder: str | Path) -> tuple[Path, dict[str, Any]]:
    """Check ``folder`` (:func:`read_adapter_folder`) and copy its two files into the library
    under a free name; (the library folder, the check's summary). Raises :class:`AdapterError`."""
    source = Path(folder)
    info = read_adapter_folder(source)
    target = _unique_folder(paths.loras_dir(), _library_name(source))
    try:
        target.mkdir(parents=True)
        for file_name in (CONFIG_NAME, WEIGHTS_NAME):
            shutil.copy2(source / file_name, target / file_name)
    except OSError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise AdapterError("lora.import_failed",
                           f"The LoRA adapter {source} could not be copied into the library ({exc}). Check the free disk space and try again.",
                           path=str(source), reason=str(exc)) from exc
    return target, info
