"""Preprocessing: a dataset's songs → training tensors, exactly as upstream builds them.

Per track (upstream ``preprocess*.py``, see acestep15-facts §7.2):

* audio: the managed copy decoded at 48 kHz stereo (core/audio.py), cut to ``max_seconds``;
* ``target_latents`` [T, 64]: the VAE posterior *sample* (upstream calls ``.sample()``), with
  tiled encoding for long tracks; the noise comes from a generator seeded per track so a re-run
  gives the same tensors;
* the caption branch: upstream's training prompt (text2music instruction, the caption with the
  custom tag applied — or the genre for ``genre_ratio`` percent of tracks —, metas with N/A for
  unknowns and the track's whole-second duration), tokenized padded to 256 ids, through the full
  Qwen3 text encoder;
* the lyric branch: the raw lyrics (no language header, unlike inference) padded to 512 ids,
  through the text encoder's embedding table only;
* the condition encoder with one all-zero [1, 1, 64] timbre reference → ``encoder_hidden_states``
  [512 + 1 + 256, hidden] and its bool mask;
* ``context_latents`` [T, 128] = ``silence_latent[:T]`` ‖ ones(T, 64); ``attention_mask`` ones(T).

Each track is written as ``<id>.safetensors`` (upstream's keys; never pickle) plus ``<id>.json``
(upstream's metadata dict + our cache key) under ``paths.tensors_dir()/<dataset>/``, and a
``manifest.json`` lists them. Every file is written atomically; the JSON goes last and carries a
key hashed from the audio bytes, the labels that reach the prompt, the model files and the
settings, so a re-run skips unchanged tracks and a cancelled run resumes. Every tensor is
checked for NaN/Inf before anything is written; a non-finite value stops the job with a message
naming the track and the stage (the fp16-on-MPS failure that breaks upstream training on Macs).

torch is imported inside the functions that need it.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mixgrv_app import paths
from mixgrv_app.core import prompts
from mixgrv_app.core.errors import MixgrvError, TrainingError
from mixgrv_app.core.fileio import atomic_path, known_fields, read_json, write_json
from mixgrv_app.core.models import TURBO
from mixgrv_app.core.jobs import (Artifact, CancelToken, EventSink, Log, Progress, ProgressTracker,
                                  ignore_events)

FORMAT_VERSION = 1
TEXT_MAX_TOKENS = 256       # upstream training pads/truncates the caption prompt to 256
LYRIC_MAX_TOKENS = 512      # ... and the raw lyrics to 512
SAMPLE_RATE = 48000
HOP = 1920                  # VAE samples per latent frame (25 Hz)
TENSOR_KEYS = ("target_latents", "attention_mask", "encoder_hidden_states", "encoder_attention_mask",
               "context_latents")
STAGES = ("audio", "vae", "text_encoder", "lyrics", "condition_encoder", "context", "write")
MANIFEST = "manifest.json"


class PreprocessError(TrainingError):
    """A track that could not be turned into tensors (NaN, unreadable audio, ...)."""


@dataclass
class PreprocessRequest:
    dataset: str
    models_dir: str
    variant: str = TURBO   # which DiT folder provides the condition encoder
    max_seconds: float = 240.0
    device: str = "auto"                 # "auto" | "cpu" | "cuda" | "mps"
    dtype: str = "float32"               # stored and compute dtype; fp32 on MPS always
    seed: int = 42                       # VAE sampling noise and the genre_ratio draw
    labeled_only: bool = False           # upstream preprocesses labeled samples only
    force: bool = False                  # redo tracks even when their key is unchanged
    vae_chunk_seconds: float = 30.0      # tiled encode window (upstream: 30 s, overlap 2 s)
    vae_overlap_seconds: float = 2.0


@dataclass
class TrackOutcome:
    track_id: str
    filename: str
    status: str                 # "done" | "unchanged" | "failed"
    tensors: str = ""
    frames: int = 0
    seconds: float = 0.0
    code: str = ""
    message: str = ""


@dataclass
class PreprocessResult:
    dataset: str
    out_dir: str
    manifest: str
    device: str
    dtype: str
    tracks: list[TrackOutcome] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)   # seconds per stage, this run

    @property
    def processed(self) -> list[TrackOutcome]:
        return [t for t in self.tracks if t.status == "done"]

    @property
    def unchanged(self) -> list[TrackOutcome]:
        return [t for t in self.tracks if t.status == "unchanged"]

    @property
    def failed(self) -> list[TrackOutcome]:
        return [t for t in self.tracks if t.status == "failed"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def tensors_dir(dataset: str) -> Path:
    return paths.tensors_dir() / dataset


# --------------------------------------------------------------------------- prompt building


def track_inputs(track, meta, seed: int) -> dict[str, Any]:
    """The strings and numbers that reach the model for one track (also part of its cache key)."""
    from mixgrv_app.core.dataset_labels import training_text
    from mixgrv_app.core.prompts import INSTRUMENTAL_LYRICS

    # one rng per track (seed + id) so the genre_ratio draw does not depend on track order
    rng = random.Random(f"{seed}:{track.id}")
    text, caption = training_text(track, meta, rng)
    metas = prompts.metas_text(track.bpm, track.timesignature, track.keyscale, track.duration)
    lyrics = track.lyrics if track.lyrics else INSTRUMENTAL_LYRICS
    return {
        "text_prompt": prompts.caption_prompt(text, metas, prompts.TEXT2MUSIC_INSTRUCTION),
        "caption": caption,
        "lyrics": lyrics,
    }


def upstream_metadata(track, caption: str, lyrics: str, audio_path: str) -> dict[str, Any]:
    """The ``metadata`` dict upstream stores next to the tensors."""
    return {
        "audio_path": audio_path, "filename": track.filename, "caption": caption, "lyrics": lyrics,
        "duration": track.duration, "bpm": track.bpm, "keyscale": track.keyscale,
        "timesignature": track.timesignature, "language": track.language,
        "is_instrumental": track.is_instrumental,
    }


def pad_ids(ids: list[int], length: int, pad_id: int):
    """Right-pad (upstream ``padding="max_length"``): (ids int64 [1, L], mask [1, L])."""
    import numpy as np

    out = np.full((1, length), pad_id, dtype=np.int64)
    mask = np.zeros((1, length), dtype=np.int64)
    ids = ids[:length]
    out[0, : len(ids)] = ids
    mask[0, : len(ids)] = 1
    return out, mask


# --------------------------------------------------------------------------- models


class Encoders:
    """The models preprocessing needs, loaded once: VAE, text encoder + tokenizer, the DiT's
    condition encoder and the silence latent. ``compute_*`` methods take/return torch tensors."""

    def __init__(self, models_dir: str | Path, variant: str, device: str = "auto", dtype: str = "float32") -> None:
        import torch

        from mixgrv_app.core import checkpoints
        from mixgrv_app.core.tokenizer import PromptTokenizer
        from mixgrv_app.core.torch_model import loading

        self.device = _pick_device(device)
        # fp16 writes NaN into the text encoder's padded rows on MPS (upstream GH#619): never fp16
        if dtype not in ("float32", "bfloat16") or (self.device == "mps" and dtype != "float32"):
            dtype = "float32"
        self.dtype_name = dtype
        self.dtype = getattr(torch, dtype)
        self.dit_dir, self.vae_dir, self.text_dir = model_dirs(models_dir, variant)
        # Only the condition encoder is needed. The official files are bf16: loading the whole DiT
        # in bf16 and upcasting the encoder gives exactly the fp32 values at half the peak memory
        # (2B params: 4 GB instead of 8 GB). Files stored in another dtype load as asked.
        stored = {dt for _p, dt, _s in checkpoints.read_headers(self.dit_dir).values()}
        load_dtype = torch.bfloat16 if stored == {"BF16"} else self.dtype
        model = loading.load_dit_model(self.dit_dir, device=self.device, dtype=load_dtype)
        self.encoder = model.encoder.to(self.dtype).eval()
        del model  # let the decoder, tokenizer and detokenizer go
        self.vae = loading.load_vae(self.vae_dir, device=self.device, dtype=torch.float32).eval()
        self.text_encoder = loading.load_text_encoder(self.text_dir, device=self.device, dtype=self.dtype).eval()
        self.tokenizer = PromptTokenizer(self.text_dir)
        silence = loading.load_silence_latent(self.dit_dir)
        silence = torch.as_tensor(silence)
        if silence.dim() == 3 and silence.shape[1] == 64 and silence.shape[2] != 64:
            silence = silence.transpose(1, 2)  # the raw file is [1, 64, T]
        self.silence = silence.reshape(-1, 64).to(torch.float32)  # [T_s, 64]
        self.key = models_key(models_dir, variant)

    # each stage on its own so the NaN check can name it

    def vae_latents(self, audio, generator, chunk_seconds: float, overlap_seconds: float):
        """audio float32 [2, N] (numpy) → posterior sample [T, 64] float32 (torch, CPU)."""
        import torch

        x = torch.from_numpy(audio).to(self.device, torch.float32)[None]
        with torch.inference_mode():
            mean, std = self.vae.tiled_encode(x, chunk_size=int(chunk_seconds * SAMPLE_RATE),
                                              overlap=int(overlap_seconds * SAMPLE_RATE))
        mean, std = mean.float().cpu(), std.float().cpu()
        noise = torch.randn(mean.shape, generator=generator, dtype=torch.float32)
        return (mean + std * noise)[0].transpose(0, 1).contiguous()  # [T, 64]

    def text_states(self, prompt: str):
        import torch

        ids, mask = pad_ids(self.tokenizer.encode(prompt, TEXT_MAX_TOKENS), TEXT_MAX_TOKENS, self.tokenizer.pad_id)
        with torch.inference_mode():
            hidden = self.text_encoder(torch.from_numpy(ids).to(self.device))
        hidden = getattr(hidden, "last_hidden_state", hidden)
        return hidden.to(self.dtype), torch.from_numpy(mask).to(self.device).bool()

    def lyric_states(self, lyrics: str):
        import torch

        ids, mask = pad_ids(self.tokenizer.encode(lyrics, LYRIC_MAX_TOKENS), LYRIC_MAX_TOKENS, self.tokenizer.pad_id)
        with torch.inference_mode():
            emb = self.text_encoder.embed_tokens(torch.from_numpy(ids).to(self.device))
        return emb.to(self.dtype), torch.from_numpy(mask).to(self.device).bool()

    def condition(self, text, text_mask, lyric, lyric_mask):
        import torch

        refer = torch.zeros(1, 1, 64, device=self.device, dtype=self.dtype)  # upstream: one zero frame
        order = torch.zeros(1, device=self.device, dtype=torch.long)
        with torch.inference_mode():
            # upstream's argument order: text, text mask, lyrics, lyric mask, packed refs, ref order
            hidden, mask = self.encoder(text, text_mask, lyric, lyric_mask, refer, order)
        return hidden[0], mask[0].bool()

    def context(self, frames: int):
        import torch

        silence = self.silence
        if silence.shape[0] < frames:  # longer than the stored silence (600 s): tile it, as upstream
            silence = silence.repeat((frames + silence.shape[0] - 1) // silence.shape[0], 1)
        return torch.cat([silence[:frames], torch.ones(frames, 64)], dim=-1)


def _effective_dtype(request: PreprocessRequest) -> str:
    """The dtype Encoders will use for this request (MPS and unknown names fall back to float32)."""
    if request.dtype not in ("float32", "bfloat16"):
        return "float32"
    if request.dtype != "float32" and _pick_device(request.device) == "mps":
        return "float32"
    return request.dtype


def _pick_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def model_dirs(models_dir: str | Path, variant: str) -> tuple[Path, Path, Path]:
    """(DiT folder, VAE folder, text encoder folder) under ``models_dir`` (framework-free check)."""
    from mixgrv_app.core.checkpoints import require_generation_set

    return require_generation_set(models_dir, variant)


def models_key(models_dir: str | Path, variant: str) -> str:
    """Identity of the model files: names, sizes and modification times (hashing GBs is too slow)."""
    return _folders_key(model_dirs(models_dir, variant))


def _folders_key(folders) -> str:  # noqa: ANN001 - paths
    h = hashlib.sha256()
    for folder in folders:
        for p in sorted(Path(folder).glob("*")):
            if p.is_file() and p.suffix in (".safetensors", ".json", ".pt"):
                st = p.stat()
                h.update(f"{Path(folder).name}/{p.name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


# NOTE(ui, issue 16 "학습할 모델"): of a track's tensors only ``encoder_hidden_states`` (the DiT's
# condition encoder) and ``context_latents`` (the DiT folder's silence latent) depend on the DiT
# variant; ``target_latents`` depend on the audio, the VAE and the settings below. A dataset
# prepared for another model keeps its VAE latents (the slow stage) and redoes the rest.
def latents_key(track, request: PreprocessRequest, dtype: str, vae_dir: str | Path) -> str:
    """Identity of a track's ``target_latents`` alone (not the DiT)."""
    blob = json.dumps({
        "v": FORMAT_VERSION, "audio": track.content_hash, "vae": _folders_key([vae_dir]), "max_seconds": request.max_seconds,
        "seed": request.seed, "dtype": dtype, "track": track.id,
        "tiling": [request.vae_chunk_seconds, request.vae_overlap_seconds],
    }, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _reusable_latents(out_dir: Path, track_id: str, key: str):
    """The stored ``target_latents`` of a track when they were made with ``key`` (else None)."""
    meta_path, tensor_path = out_dir / f"{track_id}.json", out_dir / f"{track_id}.safetensors"
    try:
        if read_json(meta_path).get("mixgrv", {}).get("latents_key") != key or not tensor_path.is_file():
            return None
        from safetensors import safe_open

        with safe_open(str(tensor_path), framework="pt") as handle:
            return handle.get_tensor("target_latents")
    except (OSError, ValueError, AttributeError, KeyError):
        return None


# --------------------------------------------------------------------------- the job


def _check_finite(name: str, tensor, track, stage: str) -> None:
    import torch

    t = tensor if tensor.dtype != torch.bool else None
    if t is not None and not bool(torch.isfinite(t).all()):
        bad = int((~torch.isfinite(t)).sum())
        raise PreprocessError(
            "preprocess.non_finite",
            f"{track.filename}: the {stage} stage produced {bad} NaN/Inf values in {name}; nothing was written. "
            "Run preprocessing in float32 on CPU, or check the model files.",
            track=track.filename, stage=stage, tensor=name, count=bad)


def track_key(track, inputs: dict[str, Any], request: PreprocessRequest, models_key: str, dtype: str) -> str:
    blob = json.dumps({
        "v": FORMAT_VERSION, "audio": track.content_hash, "inputs": inputs,
        "meta": upstream_metadata(track, inputs["caption"], inputs["lyrics"], ""),
        "models": models_key, "variant": request.variant, "max_seconds": request.max_seconds,
        "seed": request.seed, "dtype": dtype,
    }, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _is_current(out_dir: Path, track_id: str, key: str) -> bool:
    meta_path, tensor_path = out_dir / f"{track_id}.json", out_dir / f"{track_id}.safetensors"
    if not (meta_path.is_file() and tensor_path.is_file()):
        return False
    try:
        return read_json(meta_path).get("mixgrv", {}).get("key") == key
    except (OSError, ValueError, AttributeError):
        return False


def plan(request: PreprocessRequest) -> list[dict[str, Any]]:
    """What a run would do, without loading any model: one entry per track with ``status``
    "current" (tensors up to date), "stale" (tensors from other audio/labels/models/settings) or
    "missing". For the Training tab's "n of m tracks ready" line."""
    from mixgrv_app.core.dataset import open_dataset

    ds = open_dataset(request.dataset)
    key_of_models = models_key(request.models_dir, request.variant)
    dtype_name = _effective_dtype(request)
    out_dir = tensors_dir(ds.name)
    entries = []
    for track in ds.tracks:
        if request.labeled_only and not track.labeled:
            continue
        key = track_key(track, track_inputs(track, ds.meta, request.seed), request, key_of_models, dtype_name)
        if _is_current(out_dir, track.id, key):
            status = "current"
        elif (out_dir / f"{track.id}.safetensors").is_file():
            status = "stale"
        else:
            status = "missing"
        entries.append({"track_id": track.id, "filename": track.filename, "status": status,
                        "tensors": str(out_dir / f"{track.id}.safetensors")})
    return entries


def run(request: PreprocessRequest, events: EventSink = ignore_events, cancel: CancelToken | None = None,
        encoders: Encoders | None = None) -> PreprocessResult:
    """Turn a dataset into training tensors (the job behind ``mixgrv preprocess`` and the
    Training tab's Preprocess button).

    Events: ``Progress("preprocess", seconds_done, seconds_total, eta, "3/10 name", overall)``
    over the whole dataset (weighted by audio length) and ``Progress("track", stage_index, 7,
    message=stage)`` within a track; ``Artifact("tensors", path)`` per written track; ``Log``
    lines. Raises ``Cancelled`` between stages (files already written stay valid) and
    :class:`PreprocessError` (``preprocess.non_finite``) when a stage produces NaN/Inf.
    A track whose audio cannot be read is reported as failed and the others go on.
    ``manifest.json`` is removed when a track needs work and written again at the end, so a
    trainer never reads a manifest from a half-finished run.
    """
    from mixgrv_app.core.dataset import open_dataset

    cancel = cancel or CancelToken()
    timings: dict[str, float] = {s: 0.0 for s in STAGES}
    ds = open_dataset(request.dataset)
    tracks = [t for t in ds.tracks if t.labeled or not request.labeled_only]
    if not tracks:
        raise PreprocessError("preprocess.empty_dataset",
                              f"Dataset '{ds.name}' has no tracks to preprocess. Add songs first.", dataset=ds.name)
    unlabeled = [t.filename for t in tracks if not t.caption.strip()]
    if unlabeled:
        events(Log("warning", f"{len(unlabeled)} track(s) have no caption; they are trained on the metas only",
                   "preprocess.unlabeled", {"count": len(unlabeled)}))
    out_dir = tensors_dir(ds.name)
    out_dir.mkdir(parents=True, exist_ok=True)

    key_of_models = encoders.key if encoders is not None else models_key(request.models_dir, request.variant)
    dtype_name = encoders.dtype_name if encoders is not None else _effective_dtype(request)
    enc = encoders

    def models() -> Encoders:  # loaded only when a track needs work: an up-to-date re-run loads nothing
        nonlocal enc
        if enc is None:
            t0 = time.perf_counter()
            events(Progress("load", 0, 1, None, "loading models"))
            enc = Encoders(request.models_dir, request.variant, request.device, request.dtype)
            timings["load"] = time.perf_counter() - t0
            events(Progress("load", 1, 1, None, "models loaded"))
            events(Log("info", f"preprocessing on {enc.device} ({enc.dtype_name})"))
        return enc

    seconds = [min(float(t.analysis.get("duration") or t.duration or 1.0), request.max_seconds) for t in tracks]
    overall = ProgressTracker(events, "preprocess", sum(seconds), weight=(0.0, 1.0))
    overall.update(0, f"0/{len(tracks)}")
    result = PreprocessResult(dataset=ds.name, out_dir=str(out_dir), manifest=str(out_dir / MANIFEST),
                              device=enc.device if enc is not None else "", dtype=dtype_name)
    done_s = 0.0
    for n, (track, track_s) in enumerate(zip(tracks, seconds, strict=True), 1):
        cancel.raise_if_cancelled()
        label = f"{n}/{len(tracks)} {track.filename}"
        inputs = track_inputs(track, ds.meta, request.seed)
        key = track_key(track, inputs, request, key_of_models, dtype_name)
        if not request.force and _is_current(out_dir, track.id, key):
            result.tracks.append(TrackOutcome(track.id, track.filename, "unchanged",
                                              str(out_dir / f"{track.id}.safetensors"), seconds=track_s))
            done_s += track_s
            overall.update(done_s, label)
            continue
        encoders_now = models()  # a model that cannot load stops the job (outside the per-track try)
        (out_dir / MANIFEST).unlink(missing_ok=True)
        result.device = encoders_now.device
        try:
            outcome = _process_track(encoders_now, ds, track, inputs, key, request, out_dir, events, cancel, timings)
        except MixgrvError as exc:
            if exc.code == "preprocess.non_finite":
                raise
            result.tracks.append(TrackOutcome(track.id, track.filename, "failed", code=exc.code, message=exc.message))
            events(Log("warning", f"{track.filename}: {exc.message}", exc.code, dict(exc.params)))
        else:
            result.tracks.append(outcome)
            events(Artifact("tensors", outcome.tensors, {"track": track.id, "frames": outcome.frames}))
        done_s += track_s
        overall.update(done_s, label)

    _write_manifest(ds, out_dir, result, request)
    _remove_orphans(out_dir, {t.id for t in ds.tracks})
    result.timings = {k: round(v, 4) for k, v in timings.items()}
    events(Log("info", f"{len(result.processed)} preprocessed, {len(result.unchanged)} unchanged, "
                       f"{len(result.failed)} failed"))
    return result


def _process_track(enc: Encoders, ds, track, inputs, key, request, out_dir: Path, events, cancel, timings) -> TrackOutcome:
    import torch
    from safetensors.torch import save_file

    from mixgrv_app.core.audio import load_audio

    def stage(i: int, name: str) -> float:
        cancel.raise_if_cancelled()
        events(Progress("track", i, len(STAGES), None, f"{track.filename}: {name}"))
        return time.perf_counter()

    key_of_latents = latents_key(track, request, enc.dtype_name, enc.vae_dir)
    latents = None if request.force else _reusable_latents(out_dir, track.id, key_of_latents)
    if latents is not None:   # prepared for another DiT: the VAE latents stay valid
        events(Log("info", f"{track.filename}: VAE latents kept; the condition tensors are made for {request.variant}"))
        n_samples = latents.shape[0] * HOP
    else:
        s = stage(0, "audio")
        audio, _info = load_audio(ds.audio_file(track))
        audio = audio[:, : int(request.max_seconds * SAMPLE_RATE)]
        frames = audio.shape[1] // HOP
        if frames < 1:
            raise PreprocessError("preprocess.too_short", f"{track.filename} is shorter than one latent frame (40 ms).",
                                  track=track.filename)
        audio = audio[:, : frames * HOP]
        n_samples = audio.shape[1]
        timings["audio"] += time.perf_counter() - s

        s = stage(1, "vae")
        gen = torch.Generator().manual_seed(_track_seed(request.seed, track.id))
        latents = enc.vae_latents(audio, gen, request.vae_chunk_seconds, request.vae_overlap_seconds)
        _check_finite("target_latents", latents, track, "vae")
        timings["vae"] += time.perf_counter() - s

    s = stage(2, "text_encoder")
    text, text_mask = enc.text_states(inputs["text_prompt"])
    _check_finite("text_hidden_states", text, track, "text_encoder")
    timings["text_encoder"] += time.perf_counter() - s

    s = stage(3, "lyrics")
    lyric, lyric_mask = enc.lyric_states(inputs["lyrics"])
    _check_finite("lyric_hidden_states", lyric, track, "lyrics")
    timings["lyrics"] += time.perf_counter() - s

    s = stage(4, "condition_encoder")
    hidden, mask = enc.condition(text, text_mask, lyric, lyric_mask)
    _check_finite("encoder_hidden_states", hidden, track, "condition_encoder")
    timings["condition_encoder"] += time.perf_counter() - s

    s = stage(5, "context")
    t_frames = latents.shape[0]
    tensors = {
        "target_latents": latents.to(enc.dtype).cpu().contiguous(),
        "attention_mask": torch.ones(t_frames, dtype=enc.dtype),
        "encoder_hidden_states": hidden.to(enc.dtype).cpu().contiguous(),
        "encoder_attention_mask": mask.cpu().contiguous(),
        "context_latents": enc.context(t_frames).to(enc.dtype).contiguous(),
    }
    for name, tensor in tensors.items():
        _check_finite(name, tensor, track, "context" if name == "context_latents" else "write")
    timings["context"] += time.perf_counter() - s

    s = stage(6, "write")
    audio_path = str(ds.audio_file(track).absolute())
    metadata = upstream_metadata(track, inputs["caption"], inputs["lyrics"], audio_path)
    tensor_path = out_dir / f"{track.id}.safetensors"
    with atomic_path(tensor_path) as tmp:
        save_file(tensors, str(tmp), metadata={"format": "mixgrv-preprocess", "version": str(FORMAT_VERSION),
                                              "metadata": json.dumps(metadata, ensure_ascii=False)})
    cancel_safe_meta = {
        "metadata": metadata,
        "mixgrv": {"key": key, "version": FORMAT_VERSION, "track_id": track.id, "frames": t_frames,
                   "seconds": round(n_samples / SAMPLE_RATE, 3), "text_prompt": inputs["text_prompt"],
                   "dtype": enc.dtype_name, "device": enc.device, "variant": request.variant,
                   "content_hash": track.content_hash, "latents_key": key_of_latents},
    }
    write_json(out_dir / f"{track.id}.json", cancel_safe_meta)  # last: its key marks the pair complete
    timings["write"] += time.perf_counter() - s
    events(Progress("track", len(STAGES), len(STAGES), None, f"{track.filename}: done"))
    return TrackOutcome(track.id, track.filename, "done", str(tensor_path), t_frames, n_samples / SAMPLE_RATE)


def _remove_orphans(out_dir: Path, keep_ids: set[str]) -> None:
    """Tensors of tracks no longer in the dataset (removed or re-imported) go away."""
    for path in out_dir.iterdir():
        if path.suffix in (".safetensors", ".json") and path.name != MANIFEST and path.stem not in keep_ids:
            path.unlink(missing_ok=True)


def _track_seed(seed: int, track_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{track_id}".encode()).digest()[:8], "little") & ((1 << 63) - 1)


def _write_manifest(ds, out_dir: Path, result: PreprocessResult, request: PreprocessRequest) -> None:
    """Upstream's manifest shape ({metadata, samples: [paths], num_samples}) plus our details."""
    from dataclasses import asdict as _asdict

    samples = [t.tensors for t in result.tracks if t.status in ("done", "unchanged")]
    write_json(out_dir / MANIFEST, {
        "metadata": _asdict(ds.meta),
        "samples": samples,
        "num_samples": len(samples),
        "mixgrv": {
            "version": FORMAT_VERSION, "dataset": ds.name, "models_dir": str(request.models_dir),
            "variant": request.variant, "max_seconds": request.max_seconds, "dtype": result.dtype,
            "device": result.device, "seed": request.seed,
            "tracks": [{"id": t.track_id, "filename": t.filename, "status": t.status, "frames": t.frames,
                        "code": t.code} for t in result.tracks],
        },
    })


def load_tensors(path: str | Path) -> dict[str, Any]:
    """Read one preprocessed track: the five tensors (torch) plus ``metadata`` (dict)."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = Path(path)
    data: dict[str, Any] = dict(load_file(str(path)))
    meta_json = path.with_suffix(".json")
    if meta_json.is_file():
        data["metadata"] = read_json(meta_json).get("metadata", {})
    else:
        with safe_open(str(path), "pt") as fh:
            data["metadata"] = json.loads((fh.metadata() or {}).get("metadata", "{}"))
    return data


# --------------------------------------------------------------------------- child process


def child_entry(request: dict[str, Any], events: EventSink, cancel: CancelToken) -> dict[str, Any]:
    """``core.child_jobs.run_in_child_process("mixgrv_app.core.preprocess:child_entry", asdict(request))``:
    the Training tab runs preprocessing in a child process so torch never stalls the window."""
    return run(PreprocessRequest(**known_fields(PreprocessRequest, request)), events, cancel).to_dict()


def result_from_dict(data: dict[str, Any]) -> PreprocessResult:
    """The inverse of :meth:`PreprocessResult.to_dict` (what the child process sends back)."""
    tracks = [TrackOutcome(**known_fields(TrackOutcome, t)) for t in data.get("tracks", [])]
    return PreprocessResult(dataset=data["dataset"], out_dir=data["out_dir"], manifest=data["manifest"],
                            device=data.get("device", ""), dtype=data.get("dtype", ""), tracks=tracks,
                            timings=dict(data.get("timings", {})))
