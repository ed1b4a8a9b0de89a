"""Overlap-discard tiling, shared by the torch and MLX VAEs (framework-free).

Long latents are decoded window by window: each window adds ``overlap`` frames of context on
both sides of its core, and only the core is kept, so seams never show and memory stays bounded
by the window size whatever the song length (upstream's tiled decode).
"""

from __future__ import annotations

# Upstream's encode tiling of a source audio (cover, repaint, timbre reference), in samples at
# 48 kHz: 30 s windows with 2 s of context on each side. Shorter audio is encoded in one pass,
# exactly as given; longer audio window by window, so a 10-minute source needs the memory of 34 s.
ENCODE_CHUNK_SAMPLES = 48000 * 30
ENCODE_OVERLAP_SAMPLES = 48000 * 2
ENCODE_CHUNK_SAMPLES_CPU = 48000 * 15   # upstream encodes in 15 s windows on the CPU


def encode_chunk_samples(device: str) -> int:
    """Upstream's encode window for a device: 15 s on the CPU, 30 s on an accelerator. The
    pipeline's source/reference encode uses it, because each window is a separate posterior
    sample (so the window layout is part of what a seed reproduces)."""
    return ENCODE_CHUNK_SAMPLES_CPU if device == "cpu" else ENCODE_CHUNK_SAMPLES


def overlap_discard_windows(length: int, chunk: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """Upstream's tiling: (window start, window end, core start, core end) covering [0, length).

    Each window decodes ``overlap`` extra frames on both sides of its core (clipped to the
    sequence) and only the core is kept, so seams never show.
    """
    if length <= chunk:
        return [(0, length, 0, length)]
    stride = chunk - 2 * overlap
    if stride <= 0:
        raise ValueError(f"chunk {chunk} must be larger than twice the overlap {overlap}")
    windows = []
    for core_start in range(0, length, stride):
        core_end = min(core_start + stride, length)
        windows.append((max(0, core_start - overlap), min(length, core_end + overlap), core_start, core_end))
    return windows
