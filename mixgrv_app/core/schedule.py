"""Sampling schedules and guidance for ACE-Step 1.5, on numpy, reproducing upstream's numbers.

Everything the sampler does that is not a network call lives here, once, for every backend:

* turbo: fixed 8-entry tables for shift 1/2/3 (other shifts snap to the nearest), custom
  timesteps snapped to the 20 table values;
* base/sft: ``linspace(1, 0, steps+1)`` then ``s·t / (1 + (s−1)·t)``, computed in float32 the
  way torch computes it (upstream builds the schedule in the model dtype, so a CFG-interval
  bound can sit on a rounding edge);
* APG (momentum −0.75, norm clip 2.5 over time, projection in float64), ADG (angle-based), the
  CFG interval test;
* latent length and trimming rules, repaint injection and boundary crossfade, peak
  normalisation.

Float semantics follow upstream exactly: turbo feeds ``float(fp32(t))`` and takes Euler
``dt`` in double; base keeps ``t`` as float32 scalars (so ``dt`` is a float32 difference).
Python floats mixed with float32 arrays stay float32 (numpy's weak scalars), like torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

SAMPLE_RATE = 48000
HOP = 1920                 # audio samples per latent frame (25 Hz)
MIN_LATENT_FRAMES = 128
LATENT_CHANNELS = 64

TURBO_SHIFTS = (1.0, 2.0, 3.0)
TURBO_TABLES: dict[float, tuple[float, ...]] = {
    # s·t/(1+(s−1)·t) of t = 1 − i/8, i = 0..7 (final 0 implicit), as upstream lists them
    1.0: (1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125),
    2.0: (1.0, 0.9333333333333333, 0.8571428571428571, 0.7692307692307693, 0.6666666666666666,
          0.5454545454545454, 0.4, 0.2222222222222222),
    3.0: (1.0, 0.9545454545454546, 0.9, 0.8333333333333334, 0.75, 0.6428571428571429, 0.5, 0.3),
}
# The 20 distinct values of the three tables, in upstream's order (ties snap to the first).
TURBO_VALID_TIMESTEPS: tuple[float, ...] = (
    1.0, 0.9545454545454546, 0.9333333333333333, 0.9, 0.875, 0.8571428571428571,
    0.8333333333333334, 0.7692307692307693, 0.75, 0.6666666666666666, 0.6428571428571429, 0.625,
    0.5454545454545454, 0.5, 0.4, 0.375, 0.3, 0.25, 0.2222222222222222, 0.125,
)
MAX_CUSTOM_TIMESTEPS = 20

APG_MOMENTUM = -0.75
APG_NORM_THRESHOLD = 2.5
ADG_ANGLE_CLIP = 3.14 / 6


# ---- lengths -----------------------------------------------------------------------------------

def requested_samples(duration: float) -> int:
    """``int(round(D, 1) * 48000)`` evaluated in float64 as upstream writes it (10.2 s -> 489599)."""
    return int(round(float(duration), 1) * SAMPLE_RATE)


def latent_frames(duration: float) -> int:
    """Latent length for a duration: requested samples // 1920, at least 128 frames."""
    return max(requested_samples(duration) // HOP, MIN_LATENT_FRAMES)


def output_samples(duration: float) -> int:
    """Samples per channel we keep: min(T·1920, requested) — trimmed, never padded."""
    return min(latent_frames(duration) * HOP, requested_samples(duration))


# ---- schedules ---------------------------------------------------------------------------------

def snap_turbo_shift(shift: float) -> float:
    """Turbo supports shift 1, 2, 3 only; anything else snaps to the nearest (ties: lower)."""
    return min(TURBO_SHIFTS, key=lambda s: abs(s - float(shift)))


def turbo_timesteps(shift: float = 3.0, timesteps: Sequence[float] | None = None) -> list[float]:
    """Turbo schedule values (without the implicit final 0), before float32 rounding.

    Custom ``timesteps`` arrive as float32 (upstream wraps them in a float32 tensor), lose
    trailing zeros, are cut to 20 and snap to the nearest of the 20 table values.
    """
    if timesteps is not None:
        values = [float(v) for v in np.asarray(list(timesteps), dtype=np.float32)]
        while values and values[-1] == 0:
            values.pop()
        values = values[:MAX_CUSTOM_TIMESTEPS]
        if values:
            return [min(TURBO_VALID_TIMESTEPS, key=lambda valid: abs(valid - v)) for v in values]
    return list(TURBO_TABLES[snap_turbo_shift(shift)])


def torch_linspace_f32(start: float, end: float, steps: int) -> np.ndarray:
    """float32 ``torch.linspace`` as its CPU kernel computes it: forward from ``start`` for the
    first half, backward from ``end`` for the second, each value one fused multiply-add
    (exact product, one rounding). Bit-identical for the short ranges schedules use; longer
    ones (vectorised in torch) may differ in the last ulp."""
    start32, end32 = np.float32(start), np.float32(end)
    if steps == 1:
        return np.array([start32], dtype=np.float32)
    step = np.float64(np.float32((end32 - start32) / np.float32(steps - 1)))
    idx = np.arange(steps, dtype=np.float64)
    halfway = steps // 2
    out = np.empty(steps, dtype=np.float64)
    out[:halfway] = np.float64(start32) + step * idx[:halfway]
    out[halfway:] = np.float64(end32) - step * (steps - idx[halfway:] - 1)
    return out.astype(np.float32)


def base_timesteps(steps: int, shift: float = 1.0) -> np.ndarray:
    """Base/SFT schedule [steps+1] in float32, including the final 0."""
    t = torch_linspace_f32(1.0, 0.0, int(steps) + 1)
    if float(shift) != 1.0:
        s = float(shift)
        t = (s * t / (1 + (s - 1) * t)).astype(np.float32)
    return t


def nearest_start(values: Sequence[float], cover_noise_strength: float) -> int:
    """Index of the schedule value nearest to ``1 − strength`` (cover noise strength start)."""
    level = 1.0 - float(cover_noise_strength)
    best = min(values, key=lambda v: abs(float(v) - level))
    return list(values).index(best)


def renoise(x: np.ndarray, t: float, noise: np.ndarray) -> np.ndarray:
    """``t·noise + (1−t)·x`` with upstream's scalar semantics (``t`` python or float32)."""
    return (t * noise + (1.0 - t) * x).astype(np.float32, copy=False)


def cfg_active(t: np.float32, start: float, end: float) -> bool:
    """Upstream compares the float32 schedule value with the (float32-cast) interval bounds."""
    t32 = np.float32(t)
    return bool(t32 >= np.float32(start)) and bool(t32 <= np.float32(end))


# ---- guidance ----------------------------------------------------------------------------------

@dataclass
class MomentumBuffer:
    """APG's running average of the guidance difference (starts at 0)."""

    momentum: float = APG_MOMENTUM
    running_average: np.ndarray | float = 0.0

    def update(self, value: np.ndarray) -> np.ndarray:
        self.running_average = (value + self.momentum * self.running_average).astype(np.float32, copy=False)
        return self.running_average


def apg_guidance(cond: np.ndarray, uncond: np.ndarray, scale: float, buffer: MomentumBuffer | None,
                 norm_threshold: float = APG_NORM_THRESHOLD, eta: float = 0.0) -> np.ndarray:
    """Adaptive projected guidance over [B, T, C] velocities; norms over time (axis 1)."""
    diff = (cond - uncond).astype(np.float32)
    if buffer is not None:
        diff = buffer.update(diff)
    if norm_threshold > 0:
        norm = np.sqrt(np.sum(np.square(diff, dtype=np.float32), axis=1, keepdims=True, dtype=np.float32))
        with np.errstate(divide="ignore"):
            factor = np.minimum(np.float32(1.0), (np.float32(norm_threshold) / norm).astype(np.float32))
        diff = diff * factor
    v0 = diff.astype(np.float64)
    v1 = cond.astype(np.float64)
    v1 = v1 / np.maximum(np.sqrt(np.sum(v1 * v1, axis=1, keepdims=True)), 1e-12)
    parallel = np.sum(v0 * v1, axis=1, keepdims=True) * v1
    orthogonal = (v0 - parallel).astype(np.float32)
    update = orthogonal + np.float32(eta) * parallel.astype(np.float32)
    return (cond + np.float32(scale - 1) * update).astype(np.float32)


def adg_guidance(latents: np.ndarray, cond: np.ndarray, uncond: np.ndarray, sigma: float, scale: float,
                 angle_clip: float = ADG_ANGLE_CLIP) -> np.ndarray:
    """Angle-based dynamic guidance (upstream's adg_forward, clip on, no norm), per frame.

    Upstream only broadcasts correctly for batch 1; here every item is treated like that
    single-item case, so B = 1 is identical and B > 1 works.
    """
    sigma32 = np.float32(sigma)
    weight = scale - 1
    weight = weight * (weight > 0) + 1e-3
    hat_cond = (latents - sigma32 * cond).astype(np.float32)
    hat_uncond = (latents - sigma32 * uncond).astype(np.float32)
    diff = hat_cond - hat_uncond
    a = hat_cond.astype(np.float64)
    b = hat_uncond.astype(np.float64)
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    theta = np.arccos(np.sum(a * b, axis=-1, keepdims=True))             # [B, T, 1] float64
    theta_new = np.clip(weight * theta, -angle_clip, angle_clip)
    dot = np.sum(diff * hat_uncond, axis=-1, keepdims=True, dtype=np.float32)
    norm_sq = np.sum(hat_uncond * hat_uncond, axis=-1, keepdims=True, dtype=np.float32)
    projection = (dot / (norm_sq + np.float32(1e-8))) * hat_uncond
    perpendicular = (diff - projection).astype(np.float32)
    sin_theta = np.sin(theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(sin_theta > 1e-3, np.sin(theta_new) / sin_theta, 0.0)
    p_new = perpendicular * ratio + perpendicular * weight * (sin_theta <= 1e-3)
    latent_new = np.cos(theta_new) * hat_cond + p_new
    return ((latents.astype(np.float64) - latent_new) / np.float64(sigma32)).astype(np.float32)


# ---- repaint ------------------------------------------------------------------------------------

def repaint_inject(x: np.ndarray, clean: np.ndarray, mask: np.ndarray, t_next: float, noise: np.ndarray) -> np.ndarray:
    """Outside the region (mask False) put the source back, noised to ``t_next``."""
    noised = (t_next * noise + (1.0 - t_next) * clean).astype(np.float32)
    return np.where(mask[..., None], x, noised)


def repaint_crossfade(x: np.ndarray, clean: np.ndarray, mask: np.ndarray, frames: int) -> np.ndarray:
    """Linear crossfade of ``frames`` latent frames at each border of the repaint region."""
    soft = mask.astype(np.float32)
    if frames > 0:
        length = mask.shape[1]
        for b in range(mask.shape[0]):
            row = mask[b]
            if row.all() or not row.any():
                continue
            inside = np.flatnonzero(row)
            left, right = int(inside[0]), int(inside[-1]) + 1
            fade_start = max(left - frames, 0)
            if left > fade_start:
                soft[b, fade_start:left] = torch_linspace_f32(0.0, 1.0, left - fade_start + 2)[1:-1]
            fade_end = min(right + frames, length)
            if fade_end > right:
                soft[b, right:fade_end] = torch_linspace_f32(1.0, 0.0, fade_end - right + 2)[1:-1]
    m = soft[..., None]
    return (m * x + (np.float32(1.0) - m) * clean).astype(np.float32)


# ---- output ------------------------------------------------------------------------------------

def peak_normalize(audio: np.ndarray) -> np.ndarray:
    """Divide each item [B, C, N] by its peak when the peak exceeds 1 (upstream's rule)."""
    peak = np.max(np.abs(audio), axis=(1, 2), keepdims=True)
    if np.any(peak > 1.0):
        audio = audio / np.maximum(peak, np.float32(1.0))
    return audio.astype(np.float32, copy=False)
