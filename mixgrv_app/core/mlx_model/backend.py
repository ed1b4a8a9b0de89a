"""The generation backend on MLX (the protocol in core/backend.py; mirror of the torch one).

Metal on Apple Silicon, CPU elsewhere (tests). Everything a song needs — text encoder,
condition encoder, DiT, audio tokens, VAE — runs here, so generating never imports torch. The
MLX buffer cache is capped from the machine's memory and cleared after each decode and after
each job (:meth:`MLXBackend.release_memory`, called by the pipeline even when a job fails).

Precision (:func:`precision_for`): on Metal the DiT, condition encoder and text encoder keep the
official files' bf16 weights (no upcast: half the memory); RMSNorm statistics, the timestep
sinusoid (t enters as fp32) and the FSQ rounding stay fp32 inside the modules, attention is
``mx.fast.scaled_dot_product_attention`` (MLX's Metal kernels keep scores and softmax in fp32
accumulators — not checkable on Linux; the CPU fallback rounds the scores to bf16); the diffusion state x_t, the Euler update and
everything crossing the backend boundary are fp32; the VAE is fp32 (its Snake activations are
precision sensitive). fp16 is refused everywhere. On the CPU everything is fp32 (parity).
``MIXGRV_MLX_DTYPE=bfloat16|float32`` or ``open_backend(dtype=)`` overrides the choice; the
chosen dtype is ``BackendInfo.dtype`` (the sidecar's backend block). Measured bf16 vs fp32 on
the parity checkpoints: tests/parity/test_mlx_precision.py.

The DiT step (one decoder forward per sampler step) can run through ``mx.compile``
(:func:`compile_for`: on for Metal, off on the CPU where it measured no faster —
bench/mlx_compile.py; ``MIXGRV_MLX_COMPILE=0|1`` or ``open_backend(compile_step=)``
override). Everything that changes between calls is an input of the compiled function — x_t,
t, the context latents, the embedded condition and the LoRA scales as one array — and shapes
are not generalised (``shapeless=False``), so MLX traces once per new latent/condition length.
What the trace captures as constants (the weights, which adapters exist) changes only through
add/remove/merge of adapters, and those drop the compiled function. A compiled step computes
the side path of a disabled adapter and multiplies it by 0 (exactly the base output; a rank-64
adapter costs ~3% of a step), where the plain step skips it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import mlx.core as mx
import numpy as np

from mixgrv_app.core.audio_codes import CODEBOOK_SIZE
from mixgrv_app.core.backend import BackendInfo, LoraWeights
from mixgrv_app.core.checkpoints import require_generation_set
from mixgrv_app.core.errors import MixgrvError
from mixgrv_app.core.mlx_model import loading
from mixgrv_app.core.mlx_model.lora import AdapterTable, LoRALinear, get_module, linear_paths, set_module
from mixgrv_app.core.tiling import ENCODE_CHUNK_SAMPLES, ENCODE_OVERLAP_SAMPLES

DTYPE_ENV = "MIXGRV_MLX_DTYPE"
COMPILE_ENV = "MIXGRV_MLX_COMPILE"
_DTYPE_NAMES = {"bfloat16": "bfloat16", "bf16": "bfloat16", "float32": "float32", "fp32": "float32"}
# Upper bound of one VAE decode window in latent frames, whatever the caller asks (the ceiling of
# pipeline.decode_chunk): upstream's 256 on the GPU, where the decoder's activations for one
# window (~0.25 GB per 128-channel tensor) must fit beside the DiT; 1024 (41 s) on the CPU.
MAX_DECODE_FRAMES = {"cpu": 1024}
MAX_DECODE_FRAMES_GPU = 256


@dataclass(frozen=True)
class Precision:
    """Compute dtype per network. ``state`` is the dtype of x_t / the Euler update and of every
    array crossing the backend boundary; fp32 always."""

    dit: str             # DiT decoder + condition encoder + audio (de)tokenizer (one AceStepModel)
    text_encoder: str    # Qwen3 text encoder (and the lyric embedding table)
    vae: str = "float32"
    state: str = "float32"

    @property
    def name(self) -> str:
        """What BackendInfo.dtype (and so the sidecar) reports."""
        return self.dit


def _bad_setting(reason: str) -> MixgrvError:
    return MixgrvError("generate.backend_unavailable", f"Cannot use the MLX backend: {reason}. Use --backend torch.",
                       backend="mlx", reason=reason)


def precision_for(device: str, dtype: str | None = None) -> Precision:
    """bf16 weights on a GPU (Metal), fp32 on the CPU; ``dtype`` or $MIXGRV_MLX_DTYPE override
    ("auto" or unset: the device's default). fp16 is refused: bf16-trained weights overflow in fp16."""
    requested = (dtype if dtype is not None else os.environ.get(DTYPE_ENV, "")).strip().lower()
    if requested in ("", "auto"):
        chosen = "float32" if device == "cpu" else "bfloat16"
    elif requested in _DTYPE_NAMES:
        chosen = _DTYPE_NAMES[requested]
    elif requested in ("float16", "fp16", "half"):
        raise _bad_setting(f"{DTYPE_ENV}={requested} is not allowed (fp16 overflows in the DiT and writes NaN); "
                           "use bfloat16 or float32")
    else:
        raise _bad_setting(f"unknown MLX dtype '{requested}' (use bfloat16, float32 or auto)")
    return Precision(dit=chosen, text_encoder=chosen)


def compile_for(device: str, compile_step: bool | None = None) -> bool:
    """Compile the DiT step? On by default on a GPU (Metal), off on the CPU; ``compile_step`` or
    $MIXGRV_MLX_COMPILE=0/1 override."""
    if compile_step is not None:
        return bool(compile_step)
    value = os.environ.get(COMPILE_ENV, "").strip().lower()
    if value in ("", "auto"):
        return device != "cpu"
    if value in ("1", "true", "on", "yes"):
        return True
    if value in ("0", "false", "off", "no"):
        return False
    raise _bad_setting(f"{COMPILE_ENV}={value} (use 0 or 1)")


@dataclass
class MLXCondition:
    hidden: mx.array
    mask: mx.array
    context: mx.array | None = None

    @property
    def batch(self) -> int:
        return int(self.hidden.shape[0])


def _device_name() -> str:
    """The device MLX computes on now: "metal", "gpu" (another GPU build) or "cpu"."""
    if mx.default_device() != mx.gpu:
        return "cpu"
    try:
        return "metal" if mx.metal.is_available() else "gpu"
    except AttributeError:
        return "gpu"


def _limit_cache() -> None:
    """Cap MLX's buffer cache at a quarter of the machine's memory."""
    try:
        import psutil

        mx.set_cache_limit(int(psutil.virtual_memory().total // 4))
    except (AttributeError, ImportError):
        pass


def _clear_cache() -> None:
    try:
        mx.clear_cache()
    except AttributeError:
        pass


class DiTStep:
    """The per-step DiT forward: fp32 x_t / t / context latents in, the decoder in the weights'
    dtype, fp32 velocity out. The LoRA scales enter as one array (``AdapterTable.vector()``), a
    graph input when compiled, so the strength slider and the enable switch reach a compiled
    graph without retracing. ``traces`` counts how often a compiled step was traced (once per
    new input shape)."""

    def __init__(self, decoder, dtype, table: AdapterTable, compiled: bool) -> None:
        self.dtype, self.table, self.compiled = dtype, table, compiled
        self._traces = traces = [0]

        # a closure, not a bound method: no reference cycle, so dropping the step frees the
        # trace (which holds the weights it saw) at once, without waiting for the cyclic GC
        def forward(x, t, t_r, context_latents, context, scales):
            if compiled:
                traces[0] += 1      # Python runs here only while MLX traces
            table.current, table.traced = scales, compiled
            try:
                out = decoder(x.astype(dtype), t, t_r, None, context_latents.astype(dtype), context=context)
            finally:
                table.current, table.traced = None, False
            return out.astype(mx.float32)

        self._fn = mx.compile(forward) if compiled else forward

    @property
    def traces(self) -> int:
        return self._traces[0]

    def __call__(self, x: mx.array, t: mx.array, t_r: mx.array, context_latents: mx.array, context: mx.array) -> mx.array:
        return self._fn(x.astype(mx.float32), t.astype(mx.float32), t_r.astype(mx.float32),
                        context_latents.astype(mx.float32), context.astype(self.dtype), self.table.vector())


class MLXBackend:
    def __init__(self, model, text_encoder, vae, silence: mx.array, info: BackendInfo,
                 precision: Precision = Precision("float32", "float32"), compile_step: bool = False) -> None:
        self.model, self.text_encoder, self.vae = model, text_encoder, vae
        self.info = info
        self.precision = precision
        self.dtype = loading.DTYPES[precision.dit]          # the DiT/condition compute dtype
        self.compile_step = bool(compile_step)
        self._silence = silence.astype(mx.float32)
        self.hidden_size = int(model.config.hidden_size)
        self.text_hidden_size = int(text_encoder.config.hidden_size)
        self._adapters = AdapterTable()
        self._adapter_order: list[str] = []
        self._wrapped: dict[str, LoRALinear] = {}
        self._step_fn = None                                # built lazily; dropped when weights change

    @staticmethod
    def _np(array: mx.array) -> np.ndarray:
        return np.array(array.astype(mx.float32))

    def _a(self, array: np.ndarray, dtype=None) -> mx.array:
        out = mx.array(np.ascontiguousarray(array))
        return out.astype(dtype) if dtype is not None else out

    # ---- text
    def encode_text(self, ids: np.ndarray) -> np.ndarray:
        return self._np(self.text_encoder(self._a(ids, mx.int64)))

    def embed_lyrics(self, ids: np.ndarray) -> np.ndarray:
        return self._np(self.text_encoder.embed_tokens(self._a(ids, mx.int64)))

    # ---- condition
    def encode_condition(self, text_hidden, text_mask, lyric_hidden, lyric_mask, refer_latents, refer_order) -> MLXCondition:
        hidden, mask = self.model.encoder(self._a(text_hidden, self.dtype), self._a(text_mask, mx.bool_),
                                          self._a(lyric_hidden, self.dtype), self._a(lyric_mask, mx.bool_),
                                          self._a(refer_latents, self.dtype), self._a(refer_order, mx.int64))
        mx.eval(hidden, mask)
        return MLXCondition(hidden, mask)

    def with_null_condition(self, cond: MLXCondition) -> MLXCondition:
        null = mx.broadcast_to(self.model.null_condition_emb.astype(cond.hidden.dtype), cond.hidden.shape)
        return MLXCondition(mx.concatenate([cond.hidden, null], axis=0), mx.concatenate([cond.mask, cond.mask], axis=0))

    def condition_arrays(self, cond: MLXCondition) -> tuple[np.ndarray, np.ndarray]:
        return self._np(cond.hidden), np.array(cond.mask).astype(bool)

    # ---- denoiser
    def dit_step(self, x: mx.array, t: mx.array, t_r: mx.array, context_latents: mx.array, context: mx.array,
                 compiled: bool | None = None) -> mx.array:
        """One decoder forward on device arrays (fp32 in and out); ``compiled`` None = the backend's setting."""
        use = self.compile_step if compiled is None else bool(compiled)
        if use:
            if self._step_fn is None:
                self._step_fn = DiTStep(self.model.decoder, self.dtype, self._adapters, compiled=True)
            fn = self._step_fn
        else:
            fn = DiTStep(self.model.decoder, self.dtype, self._adapters, compiled=False)
        return fn(x, t, t_r, context_latents, context)

    def _drop_compiled(self) -> None:
        self._step_fn = None   # the trace holds the old weights/adapters as constants

    def velocity(self, x, t, cond: MLXCondition, context_latents, r=None) -> np.ndarray:
        timestep = self._a(np.asarray(t, dtype=np.float32), mx.float32)       # sinusoid input: fp32
        timestep_r = timestep if r is None else self._a(np.asarray(r, dtype=np.float32), mx.float32)
        if cond.context is None:
            cond.context = self.model.decoder.embed_condition(cond.hidden.astype(self.dtype))
        out = self.dit_step(self._a(x, mx.float32), timestep, timestep_r, self._a(context_latents, mx.float32),
                            cond.context)
        return self._np(out)

    def cover_hints(self, latents: np.ndarray) -> np.ndarray:
        x = self._a(latents, self.dtype)
        quantized, _i, _m = self.model.tokenize(x, self._silence.astype(self.dtype))
        return self._np(self.model.detokenize(quantized)[:, : x.shape[1]])

    def codes_to_hints(self, codes: np.ndarray) -> np.ndarray:
        ids = np.clip(np.asarray(codes, dtype=np.int64), 0, CODEBOOK_SIZE - 1)
        return self._np(self.model.codes_to_hints(self._a(ids, mx.int64)))

    def audio_to_codes(self, latents: np.ndarray) -> np.ndarray:
        x = self._a(latents, self.dtype)
        _quantized, indices, _mask = self.model.tokenize(x, self._silence.astype(self.dtype))
        return np.array(indices).reshape(indices.shape[0], -1).astype(np.int64)

    # ---- VAE
    def decode_chunk_limit(self) -> int:
        return MAX_DECODE_FRAMES.get(self.info.device, MAX_DECODE_FRAMES_GPU)

    def vae_decode(self, latents: np.ndarray, chunk_size: int = 256, overlap: int = 64) -> np.ndarray:
        """Tiled decode; the window is capped at :meth:`decode_chunk_limit` frames whatever the
        caller asks, so peak memory does not grow with the song's length."""
        chunk_size = max(1, min(int(chunk_size), self.decode_chunk_limit()))
        overlap = min(int(overlap), max(0, (chunk_size - 1) // 2))
        z = self._a(latents, mx.float32).transpose(0, 2, 1)
        audio = self._np(self.vae.tiled_decode(z, chunk_size=chunk_size, overlap=overlap))
        _clear_cache()
        return audio

    def vae_encode(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = self._a(audio, mx.float32)
        if x.shape[-1] > ENCODE_CHUNK_SAMPLES:
            mean, std = self.vae.tiled_encode(x, ENCODE_CHUNK_SAMPLES, ENCODE_OVERLAP_SAMPLES)
        else:
            mean, std = self.vae.encode(x)
        return self._np(mean.transpose(0, 2, 1)), self._np(std.transpose(0, 2, 1))

    def silence_latent(self) -> np.ndarray:
        return self._np(self._silence[0])

    # ---- adapters
    def linear_shapes(self) -> dict[str, tuple[int, int]]:
        return linear_paths(self.model.decoder)

    def add_adapter(self, weights: LoraWeights) -> None:
        for path, (a, b) in weights.pairs.items():
            wrapped = self._wrapped.get(path)
            if wrapped is None:
                wrapped = LoRALinear(get_module(self.model.decoder, path), self._adapters)
                set_module(self.model.decoder, path, wrapped)
                self._wrapped[path] = wrapped
            wrapped.add(weights.name, mx.array(a, dtype=mx.float32), mx.array(b, dtype=mx.float32), weights.scaling(path))
        self._adapters.state[weights.name] = (1.0, True)
        self._adapter_order.append(weights.name)
        self._drop_compiled()

    # scale and enable switch are inputs of the compiled step: no retrace, no recompile
    def set_adapter_scale(self, name: str, scale: float) -> None:
        _s, enabled = self._adapters.state[name]
        self._adapters.state[name] = (float(scale), enabled)

    def set_adapter_enabled(self, name: str, enabled: bool) -> None:
        scale, _e = self._adapters.state[name]
        self._adapters.state[name] = (scale, bool(enabled))

    def remove_adapter(self, name: str) -> None:
        for path, wrapped in list(self._wrapped.items()):
            wrapped.remove(name)
            if wrapped.empty():
                set_module(self.model.decoder, path, wrapped.base)
                del self._wrapped[path]
        self._adapters.state.pop(name, None)
        self._adapter_order.remove(name)
        self._drop_compiled()

    def merge_adapters(self) -> None:
        for path, wrapped in list(self._wrapped.items()):
            wrapped.merge()
            set_module(self.model.decoder, path, wrapped.base)
        self._wrapped.clear()
        self._adapters.state.clear()
        self._adapter_order.clear()
        self._drop_compiled()

    def adapter_names(self) -> list[str]:
        return list(self._adapter_order)

    # ---- lifetime
    def release_memory(self) -> None:
        """Give MLX's cached buffers back (the pipeline calls this after every job, failed or not)."""
        _clear_cache()

    def close(self) -> None:
        self._step_fn = None
        self.model = self.text_encoder = self.vae = None
        _clear_cache()


def open_backend(models_root: str | Path, variant: str, device: str = "auto", dtype: str | None = None,
                 compile_step: bool | None = None) -> MLXBackend:
    """Load the variant's DiT, the text encoder, the VAE and the silence latent on MLX.

    ``dtype``: "bfloat16", "float32" or "auto"/None ($MIXGRV_MLX_DTYPE, else the device's
    default, see :func:`precision_for`); ``compile_step``: None = $MIXGRV_MLX_COMPILE or the
    device's default (:func:`compile_for`)."""
    dit_dir, vae_dir, text_dir = require_generation_set(models_root, variant)
    if device in ("cpu",):
        mx.set_default_device(mx.cpu)
    where = _device_name()
    precision = precision_for(where, dtype)
    compiled = compile_for(where, compile_step)
    _limit_cache()
    model = loading.load_dit_model(dit_dir, dtype=precision.dit)
    text_encoder = loading.load_text_encoder(text_dir, dtype=precision.text_encoder)
    vae = loading.load_vae(vae_dir, dtype=precision.vae)
    silence = loading.load_silence_latent(dit_dir)
    notes = ("DiT step compiled (mx.compile)",) if compiled else ()
    info = BackendInfo(name="mlx", device=where, dtype=precision.name, variant=variant,
                       is_turbo=bool(model.config.is_turbo), notes=notes)
    return MLXBackend(model, text_encoder, vae, silence, info, precision, compiled)
