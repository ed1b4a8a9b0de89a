"""The model-call protocol both generation backends implement (torch and MLX).

Why this exists: the latents are tiny ([B, T, 64]), so everything that is *not* a neural
network call — turbo/base schedules, Euler steps, APG/ADG/CFG, cover and repaint logic, noise,
peak normalisation, trimming — lives once in ``core/schedule.py`` and ``core/pipeline.py`` and
works on numpy arrays. A backend only runs the networks. At its boundary every array is a
``numpy.ndarray`` in float32 (ids int64); what stays on the device between calls (the packed
condition, cross-attention caches) is an opaque :class:`ConditionHandle`.

Layouts: latents are time-major ``[B, T, 64]``; audio is channel-first ``[B, 2, samples]`` at
48 kHz; ``t`` values are per-item float arrays ``[B]`` in [0, 1].

Implementations: ``core/torch_model/backend.py`` (``TorchBackend``) and
``core/mlx_model/backend.py`` (``MLXBackend``). Both are built with
``open_backend(models_root, variant, device=...)`` in their module and are chosen by
``core/pipeline.py`` (MLX on Apple Silicon, torch elsewhere; ``--backend`` forces one).

This module is framework-free: importing it costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


class ConditionHandle(Protocol):
    """Opaque, device-side result of :meth:`Backend.encode_condition`.

    It holds ``encoder_hidden_states`` [B, L, hidden] and its mask (and may hold a per-layer
    cross-attention K/V cache, which is a pure optimisation). The pipeline never looks inside;
    it only reads ``batch`` (rows in the handle) to check shapes.
    """

    batch: int


@dataclass(frozen=True)
class BackendInfo:
    """What a backend is running on; written into every sidecar JSON."""

    name: str                 # "torch" | "mlx"
    device: str               # "cpu" | "cuda" | "mps" | "metal"
    dtype: str                # "float32" | "bfloat16" (DiT / text encoder compute dtype)
    variant: str              # checkpoint folder name of the DiT, e.g. "acestep-v15-turbo"
    is_turbo: bool            # from the DiT config.json (is_turbo)
    notes: tuple[str, ...] = ()  # e.g. why a fallback happened


@dataclass
class LoraWeights:
    """A validated adapter as plain numpy (built by ``core/lora.py``, applied by a backend).

    ``pairs`` maps a decoder module path *relative to the decoder* (e.g.
    ``"layers.0.self_attn.q_proj"``) to ``(A [r, in], B [out, r])`` float32 arrays.
    ``scaling(module)`` is alpha / r for that module (upstream's PEFT scaling before the user
    scale; ``scalings`` holds per-module values from rank/alpha patterns or rsLoRA).
    """

    name: str
    rank: int
    alpha: float
    pairs: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    scalings: dict[str, float] = field(default_factory=dict)

    def scaling(self, module: str) -> float:
        return float(self.scalings.get(module, float(self.alpha) / float(self.rank)))


@runtime_checkable
class Backend(Protocol):
    """Model calls for generation. All arguments and results are numpy unless stated.

    A backend is created once with its models loaded (DiT of one variant, text encoder, VAE,
    silence latent) and then serves many requests; it keeps no per-request state except the
    adapters it was told to apply.
    """

    info: BackendInfo
    hidden_size: int          # DiT hidden size (for shape checks of adapters)
    text_hidden_size: int     # text-encoder hidden size

    # ---- text ------------------------------------------------------------------------
    def encode_text(self, ids: np.ndarray) -> np.ndarray:
        """Caption ids [B, L] int64 -> text encoder ``last_hidden_state`` [B, L, Dt] float32.

        Called WITHOUT an attention mask (upstream passes none; right-padded positions are
        computed by the causal Qwen3 stack like any other token)."""

    def embed_lyrics(self, ids: np.ndarray) -> np.ndarray:
        """Lyric ids [B, L] int64 -> ``text_encoder.embed_tokens(ids)`` [B, L, Dt] float32
        (the input embedding table only, no transformer pass)."""

    # ---- condition -------------------------------------------------------------------
    def encode_condition(
        self,
        text_hidden: np.ndarray,       # [B, Lt, Dt] float32
        text_mask: np.ndarray,         # [B, Lt] bool
        lyric_hidden: np.ndarray,      # [B, Ll, Dt] float32
        lyric_mask: np.ndarray,        # [B, Ll] bool
        refer_latents: np.ndarray,     # [N, Tr, 64] float32, packed timbre references
        refer_order: np.ndarray,       # [N] int64, batch index of each reference
    ) -> ConditionHandle:
        """The condition encoder (text projector, lyric encoder, timbre encoder, packing)
        -> device-side handle with encoder_hidden_states/mask for ``B`` items."""

    def with_null_condition(self, cond: ConditionHandle) -> ConditionHandle:
        """Handle for CFG: rows ``[cond ; null_condition_emb expanded like cond]`` (2B rows,
        masks duplicated). ``velocity`` on it returns ``[v_cond ; v_uncond]``."""

    def condition_arrays(self, cond: ConditionHandle) -> tuple[np.ndarray, np.ndarray]:
        """(encoder_hidden_states [B, L, hidden] float32, encoder_attention_mask [B, L] bool)
        as numpy — for tests and debugging only; never on the hot path."""

    # ---- denoiser --------------------------------------------------------------------
    def velocity(
        self,
        x: np.ndarray,                 # [B, T, 64] float32, x_t
        t: np.ndarray,                 # [B] float32 timestep
        cond: ConditionHandle,         # B rows
        context_latents: np.ndarray,   # [B, T, 128] float32 = concat(src, chunk_mask)
        r: np.ndarray | None = None,   # [B] timestep_r; None means r = t (all inference)
    ) -> np.ndarray:
        """One DiT evaluation -> predicted velocity [B, T, 64] float32 (v ≈ noise − x0)."""

    # ---- 5 Hz bottleneck (cover) ---------------------------------------------------------
    def cover_hints(self, latents: np.ndarray) -> np.ndarray:
        """``detokenize(tokenize(latents, silence_latent))`` cropped to T: [B, T, 64] ->
        [B, T, 64] float32. (Tokenize pads T to a multiple of 5 with the first frames of the
        silence latent, as upstream.)"""

    def codes_to_hints(self, codes: np.ndarray) -> np.ndarray:
        """5 Hz audio code ids [B, N] int (0..63999, the LM's ``<|audio_code_N|>``) -> 25 Hz
        hints [B, 5·N, 64] float32: FSQ ``get_output_from_indices`` then the detokenizer, as
        upstream decodes pasted or LM-written codes. Ids outside the codebook are clamped."""

    def audio_to_codes(self, latents: np.ndarray) -> np.ndarray:
        """25 Hz latents [B, T, 64] float32 -> 5 Hz code ids [B, ceil(T/5)] int64 (the audio
        tokenizer + FSQ; T padded to a multiple of 5 with the silence latent's first frames,
        as :meth:`cover_hints` does). ``codes_to_hints`` of the result equals ``cover_hints``."""

    # ---- VAE -------------------------------------------------------------------------
    def vae_decode(self, latents: np.ndarray, chunk_size: int = 256, overlap: int = 64) -> np.ndarray:
        """Latents [B, T, 64] -> audio [B, 2, T*1920] float32, tiled overlap-discard decode
        (a single window when T <= chunk_size)."""

    def vae_encode(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Audio [B, 2, S] float32 at 48 kHz -> posterior (mean, std), each [B, S//1920, 64]
        float32, time-major. The pipeline samples ``mean + std * noise`` with its own numpy
        generator, so sampling stays identical across backends."""

    def silence_latent(self) -> np.ndarray:
        """The variant's ``silence_latent.pt`` as [frames, 64] float32 (time-major)."""

    # ---- LoRA adapters (core/lora.py validates; the backend only applies) ------------------
    def linear_shapes(self) -> dict[str, tuple[int, int]]:
        """Every ``nn.Linear``-like layer of the DiT decoder: path relative to the decoder
        (``"layers.0.self_attn.q_proj"``) -> (out_features, in_features). core/lora.py checks
        adapters against it before ``add_adapter``."""

    def add_adapter(self, weights: LoraWeights) -> None:
        """Attach an adapter as low-rank side paths on the decoder's Linear layers:
        ``y = W x + sum_a (alpha_a/r_a) * clamp(scale_a, 0, 1) * B_a A_a x`` for every enabled
        adapter a (PEFT order: ``(B (A x)) * scaling`` added to the base output, adapters in the
        order they were added). Added at scale 1.0, enabled. The base weights are never
        modified. ``weights.scaling(module)`` is alpha/r for that module."""

    def set_adapter_scale(self, name: str, scale: float) -> None:
        """Set the user scale (clamped to [0, 1] by the caller)."""

    def set_adapter_enabled(self, name: str, enabled: bool) -> None:
        """Disable without unloading (exactly the base model when all are disabled);
        re-enabling restores the stored scale."""

    def remove_adapter(self, name: str) -> None:
        """Drop an adapter completely (really, unlike upstream's unload_lora)."""

    def merge_adapters(self) -> None:
        """Fold every enabled adapter into the base weights at its current scale and forget
        them (faster sampling; irreversible until the DiT is reloaded)."""

    def adapter_names(self) -> list[str]:
        """Names of the attached (unmerged) adapters, in the order they were added."""

    # ---- lifetime ----------------------------------------------------------------------
    def release_memory(self) -> None:
        """Give cached device buffers back; the pipeline calls it after every job, failed or not."""

    def close(self) -> None:
        """Free device memory. The backend is unusable afterwards."""


def describe(backend: Any) -> dict[str, Any]:
    """The sidecar's "backend" block."""
    info: BackendInfo = backend.info
    return {
        "name": info.name,
        "device": info.device,
        "dtype": info.dtype,
        "variant": info.variant,
        "is_turbo": info.is_turbo,
        "notes": list(info.notes),
    }
