"""LoRA adapters on the MLX decoder as low-rank side paths (mirror of the torch backend's).

Each targeted ``nn.Linear`` is swapped for a :class:`LoRALinear` that keeps the base layer and
adds ``Σ (α/r)·scale·B(A x)`` for every enabled adapter, in the order they were added (PEFT's
order). Scale and enable switch live in one shared :class:`AdapterTable`, so the strength slider
takes effect on the next step without touching weights; removing the last adapter restores the
plain layer.

The table hands the layers the effective scales as one float32 *array* (``scale`` or 0 when
disabled, one entry per adapter). The backend's compiled DiT step takes that array as an input
(``mx.compile`` would bake a Python float into the graph at trace time, and the slider would be
ignored); outside a compiled step the layers read the same array built from the table.
"""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn


class AdapterTable:
    """name -> (user scale, enabled) for every attached adapter, in the order they were added."""

    def __init__(self) -> None:
        self.state: dict[str, tuple[float, bool]] = {}
        self.current: mx.array | None = None   # the running step's scales (a compile input) or None
        self.traced = False                    # True while a compiled step traces: no Python skips

    def index(self, name: str) -> int:
        return list(self.state).index(name)

    def active(self, name: str) -> bool:
        scale, enabled = self.state.get(name, (1.0, True))
        return bool(enabled and scale)

    def vector(self) -> mx.array:
        """Effective scales [max(1, n)] float32: the user scale, or 0 for a disabled adapter."""
        values = [float(scale) if enabled else 0.0 for scale, enabled in self.state.values()]
        return mx.array(values or [0.0], dtype=mx.float32)


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, table: AdapterTable) -> None:
        super().__init__()
        self.base = base
        self._table = table                       # shared by every wrapped layer of one backend
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
            scale, enabled = self._table.state.get(name, (1.0, True))
            if enabled:
                weight = weight + ((b.astype(mx.float32) @ a.astype(mx.float32)) * (scaling * scale)).astype(weight.dtype)
        self.base.weight = weight
        self._entries.clear()

    def __call__(self, x: mx.array) -> mx.array:
        out = self.base(x)
        table = self._table
        scales = table.current if table.current is not None else table.vector()
        for name, (a, b, scaling) in self._entries.items():
            if not table.traced and not table.active(name):
                continue                          # eager call: a disabled adapter costs nothing
            side = (x.astype(a.dtype) @ a.T) @ b.T    # fp32 side path (fp32 A/B), added in out's dtype
            out = out + (side * (scales[table.index(name)] * scaling)).astype(out.dtype)
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
