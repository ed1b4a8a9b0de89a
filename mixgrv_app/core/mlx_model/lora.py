"""LoRA adapters on the MLX decoder as low-rank side paths (mirror of the torch backend's).

Each targeted ``nn.Linear`` is swapped for a :class:`LoRALinear` that keeps the base layer and
adds ``Σ (α/r)·scale·B(A x)`` for every enabled adapter, in the order they were added (PEFT's
order). Scale and enable switch live in one shared table, so the strength slider takes effect on
the next step without touching weights; removing the last adapter restores the plain layer.
"""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, state: dict[str, tuple[float, bool]]) -> None:
        super().__init__()
        self.base = base
        self._state = state                       # shared: adapter name -> (scale, enabled)
        self._entries: dict[str, tuple[mx.array, mx.array, float]] = {}

    @property
    def weight(self) -> mx.array:
        return self.base.weight

    def add(self, name: str, a: mx.array, b: mx.array, scaling: float) -> None:
        self._entries[name] = (a, b, scaling)

    def remove(self, name: str) -> None:
        self._entries.pop(name, None)

    def empty(self) -> bool:
        return not self._entries

    def merge(self) -> None:
        weight = self.base.weight
        for name, (a, b, scaling) in self._entries.items():
            scale, enabled = self._state.get(name, (1.0, True))
            if enabled:
                weight = weight + ((b.astype(mx.float32) @ a.astype(mx.float32)) * (scaling * scale)).astype(weight.dtype)
        self.base.weight = weight
        self._entries.clear()

    def __call__(self, x: mx.array) -> mx.array:
        out = self.base(x)
        for name, (a, b, scaling) in self._entries.items():
            scale, enabled = self._state.get(name, (1.0, True))
            if enabled and scale:
                side = (x.astype(a.dtype) @ a.T) @ b.T
                out = out + (side * (scaling * scale)).astype(out.dtype)
        return out


def _parent(root: nn.Module, path: str) -> tuple[object, str]:
    """The object holding ``path``'s last component (module attribute or list index)."""
    parts = path.split(".")
    owner: object = root
    for part in parts[:-1]:
        owner = owner[int(part)] if isinstance(owner, list) else getattr(owner, part)
    return owner, parts[-1]


def get_module(root: nn.Module, path: str):
    owner, last = _parent(root, path)
    return owner[int(last)] if isinstance(owner, list) else getattr(owner, last)


def set_module(root: nn.Module, path: str, module) -> None:
    owner, last = _parent(root, path)
    if isinstance(owner, list):
        owner[int(last)] = module
    else:
        setattr(owner, last, module)


def linear_paths(root: nn.Module) -> dict[str, tuple[int, int]]:
    """Every Linear under ``root`` (path -> (out, in)), the same paths as torch's named_modules."""
    out: dict[str, tuple[int, int]] = {}
    for path, module in root.named_modules():
        if isinstance(module, nn.Linear):
            out[path] = (int(module.weight.shape[0]), int(module.weight.shape[1]))
        elif isinstance(module, LoRALinear):
            out[path] = (int(module.base.weight.shape[0]), int(module.base.weight.shape[1]))
    return {p: s for p, s in out.items() if not p.endswith(".base")}
