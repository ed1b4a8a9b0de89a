"""LoRA adapters on the torch decoder as low-rank side paths (mirror of ``mlx_model/lora.py``).

Each adapted ``nn.Linear`` gets one forward hook (:class:`SidePaths`) that adds
``Σ (α/r)·scale·B(A x)`` for every enabled adapter, in the order they were added (PEFT's
order); the base weights stay untouched until a merge. Scale and enable switch live in one
state table the backend shares with every hook, so the strength slider takes effect on the
next step without touching weights. No peft: adapters come from core/lora.py's reader.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F


class SidePaths:
    """The adapters attached to one Linear layer, applied by a forward hook."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.module = module
        self.entries: dict[str, tuple[torch.Tensor, torch.Tensor, float]] = {}  # name -> (A, B, alpha/r)
        self.handle = module.register_forward_hook(self._hook)
        self.state: dict[str, tuple[float, bool]] = {}  # shared view: name -> (scale, enabled)

    def _hook(self, module: torch.nn.Module, inputs: tuple[Any, ...], output: torch.Tensor) -> torch.Tensor:
        x = inputs[0]
        for name, (a, b, scaling) in self.entries.items():
            scale, enabled = self.state.get(name, (1.0, True))
            if not enabled:
                continue
            output = output + F.linear(F.linear(x.to(a.dtype), a), b).to(output.dtype) * (scaling * scale)
        return output


def linear_paths(root: torch.nn.Module) -> dict[str, tuple[int, int]]:
    """Every Linear under ``root`` (path -> (out, in)), the paths adapters name."""
    return {name: (int(m.out_features), int(m.in_features))
            for name, m in root.named_modules() if isinstance(m, torch.nn.Linear)}
