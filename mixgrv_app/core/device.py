"""Which device and dtype a job runs on, decided in one place and said out loud.

Policy (design.md): CPU → float32; CUDA → bfloat16; Apple MPS → float32 by default, bfloat16
on request — never float16 for the DiT or the text encoder (bf16-trained weights overflow in
fp16 and write NaN; upstream switched MPS to fp32 for that reason). Every choice carries the
reason, which jobs log and write into their sidecars. torch is imported lazily.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass

DTYPES = ("float32", "bfloat16")


@dataclass(frozen=True)
class DevicePolicy:
    device: str      # "cpu" | "cuda" | "mps"
    dtype: str       # "float32" | "bfloat16"
    reason: str


def is_apple_silicon() -> bool:
    return sys.platform == "darwin" and platform.machine() == "arm64"


def available_torch_devices() -> list[str]:
    import torch

    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


def select(device: str = "auto", dtype: str | None = None, purpose: str = "generate") -> DevicePolicy:
    """Resolve ``device`` ("auto" | "cpu" | "cuda" | "mps") and ``dtype`` for ``purpose``.

    ``purpose`` is "generate", "preprocess" or "train". A requested device that is missing
    falls back to the CPU with the reason; a float16 request is refused (raised as ValueError).
    """
    if dtype in ("float16", "fp16", "half"):
        raise ValueError("float16 is not supported: ACE-Step's bf16 weights overflow in fp16 and produce NaN")
    available = available_torch_devices()
    notes = []
    if device == "auto":
        chosen = "cuda" if "cuda" in available else "mps" if "mps" in available else "cpu"
        notes.append(f"auto-selected {chosen}")
    elif device in available:
        chosen = device
        notes.append(f"{device} as requested")
    else:
        chosen = "cpu"
        notes.append(f"{device} is not available here; using the CPU")
    if dtype is None:
        if chosen == "cuda":
            dtype = "bfloat16"
            notes.append("bf16 on CUDA")
        elif chosen == "mps":
            dtype = "float32"
            notes.append("fp32 on MPS (fp16 makes NaN; bf16 only on request)")
        else:
            dtype = "float32"
            notes.append("fp32 on CPU")
    elif dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; use one of {', '.join(DTYPES)}")
    elif chosen == "cpu" and dtype == "bfloat16" and purpose != "train":
        notes.append("bf16 on CPU is slow; consider float32")
    return DevicePolicy(chosen, dtype, "; ".join(notes))
