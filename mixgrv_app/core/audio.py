"""Audio in and out: decode any file a musician drops, resample, analyse, write results.

Everything the pipeline and the dataset see is ``float32 [2, samples]`` at 48 kHz. Decoding
goes through soundfile (libsndfile: WAV, FLAC, OGG/Vorbis, Opus, MP3, AIFF) first because it
is the fast path, and falls back to PyAV (bundled FFmpeg: m4a AAC/ALAC, aac, wma, anything
else FFmpeg reads). Resampling is soxr. Every failure a user can cause (an empty file, a text
file named .mp3, a truncated download) becomes an :class:`AudioError` with a code, never a
traceback, so the dataset import can list it as "skipped: reason" and go on.

Channel policy: mono is duplicated to both sides; more than two channels are folded down with
the ITU-R BS.775 coefficients for the common 5.1/7.1 layouts (L/R kept, centre and surrounds at
-3 dB, LFE dropped) and, for any other count, even channels summed to the left and odd to the
right, each side scaled so a full-scale signal stays full scale.

Heavy imports (soundfile, soxr, av) happen inside functions so that importing this module for
its types stays cheap.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mixgrv_app.core.errors import AudioError
from mixgrv_app.core.fileio import atomic_path

TARGET_SR = 48000

# extension -> (libsndfile major format, {bit_depth: subtype})
_WRITE_FORMATS: dict[str, tuple[str, dict[str, str]]] = {
    ".wav": ("WAV", {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}),
    ".flac": ("FLAC", {"16": "PCM_16", "24": "PCM_24"}),
    ".mp3": ("MP3", {}),
}

# Extensions libsndfile reads well; anything else goes straight to PyAV.
_SOUNDFILE_EXTS = {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".aifc", ".caf", ".w64", ".rf64"}

AUDIO_EXTENSIONS = frozenset(
    _SOUNDFILE_EXTS | {".m4a", ".mp4", ".aac", ".alac", ".wma", ".webm", ".mka", ".ac3", ".opus", ".wv", ".ape"}
)


@dataclass
class AudioInfo:
    """What the decoder learned about a file (before resampling/channel mapping)."""

    path: str
    sample_rate: int           # the file's own rate
    channels: int              # the file's own channel count
    frames: int                # frames at the file's own rate, as decoded
    duration: float            # seconds
    codec: str                 # "pcm_16", "flac", "vorbis", "mp3", "aac", ...
    container: str             # "wav", "flac", "ogg", "mp3", "mp4", ...
    decoder: str               # "soundfile" | "pyav"
    subtype: str = ""          # libsndfile subtype or FFmpeg sample format
    notes: list[str] = field(default_factory=list)  # downmix etc.

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- writing


def write_audio(
    path: str | os.PathLike[str],
    audio: np.ndarray,
    sample_rate: int,
    bit_depth: str = "16",
    title: str | None = None,
    comment: str | None = None,
) -> Path:
    """Write ``audio`` ([channels, samples] float) atomically; the format comes from the extension.

    WAV takes 16/24/32f, FLAC 16/24, MP3 is libsndfile's LAME encoder (bit_depth ignored).
    Title/comment tags are written where libsndfile supports them for the format.
    """
    import soundfile as sf

    path = Path(path)
    ext = path.suffix.lower()
    if ext not in _WRITE_FORMATS:
        raise AudioError(
            "audio.unsupported_output_format",
            f"Cannot write {path.name}: choose a .wav, .flac or .mp3 file name.",
            path=str(path), extension=ext,
        )
    major, subtypes = _WRITE_FORMATS[ext]
    if major == "MP3":
        subtype = "MPEG_LAYER_III"
    else:
        if bit_depth not in subtypes:
            raise AudioError(
                "audio.unsupported_bit_depth",
                f"{major} cannot be written with bit depth {bit_depth}; choose one of {', '.join(subtypes)}.",
                format=major, bit_depth=bit_depth, choices=", ".join(subtypes),
            )
        subtype = subtypes[bit_depth]
    data = np.asarray(audio)
    if data.ndim == 1:
        data = data[None, :]
    if data.ndim != 2:
        raise AudioError("audio.bad_shape", f"Audio to write must be [channels, samples], got shape {data.shape}.",
                         shape=str(data.shape))
    data = np.ascontiguousarray(data.T, dtype=np.float32)  # soundfile wants [frames, channels]
    if not np.isfinite(data).all():
        raise AudioError("audio.not_finite", f"Refusing to write {path.name}: the audio contains NaN or Inf values.",
                         path=str(path))
    if subtype != "FLOAT":
        data = np.clip(data, -1.0, 1.0)
    try:
        with atomic_path(path) as tmp:
            with sf.SoundFile(str(tmp), "w", samplerate=int(sample_rate), channels=data.shape[1],
                              format=major, subtype=subtype) as fh:
                for attr, value in (("title", title), ("comment", comment)):
                    if value:
                        try:
                            setattr(fh, attr, value)
                        except Exception:  # noqa: BLE001 - format without that tag
                            pass
                fh.write(data)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise AudioError("audio.write_failed", f"Could not write {path.name}: {exc}", path=str(path),
                         reason=str(exc)) from exc
    return path


# --------------------------------------------------------------------------- reading


def _bad(code: str, path: Path, reason: str) -> AudioError:
    texts = {
        "audio.not_found": f"{path.name} was not found.",
        "audio.empty_file": f"{path.name} is empty (0 bytes).",
        "audio.no_audio": f"{path.name} contains no audio samples.",
        "audio.undecodable": f"{path.name} is not an audio file this app can read ({reason}).",
        "audio.truncated": f"{path.name} looks truncated or damaged ({reason}).",
        "audio.not_finite": f"{path.name} decodes to NaN or Inf samples.",
    }
    return AudioError(code, texts.get(code, f"{path.name}: {reason}"), path=str(path), name=path.name, reason=reason)


def _decode_soundfile(path: Path) -> tuple[np.ndarray, AudioInfo]:
    import soundfile as sf

    with sf.SoundFile(str(path)) as fh:
        sr, ch, fmt, subtype = fh.samplerate, fh.channels, fh.format, fh.subtype
        data = fh.read(dtype="float32", always_2d=True)
    codec = {"VORBIS": "vorbis", "OPUS": "opus", "MPEG_LAYER_III": "mp3"}.get(subtype, subtype.lower())
    if fmt == "FLAC":
        codec = "flac"
    info = AudioInfo(path=str(path), sample_rate=int(sr), channels=int(ch), frames=int(data.shape[0]),
                     duration=data.shape[0] / sr if sr else 0.0, codec=codec, container=fmt.lower(),
                     decoder="soundfile", subtype=subtype)
    return data.T, info


def _decode_pyav(path: Path) -> tuple[np.ndarray, AudioInfo]:
    import av

    with av.open(str(path), metadata_errors="ignore") as container:
        streams = [s for s in container.streams if s.type == "audio"]
        if not streams:
            raise _bad("audio.no_audio", path, "no audio stream")
        stream = streams[0]
        codec = stream.codec_context.name
        chunks: list[np.ndarray] = []
        sr = int(stream.codec_context.sample_rate or stream.rate or 0)
        channels = int(stream.codec_context.channels or 0)
        sample_fmt = ""
        for frame in container.decode(stream):
            arr = frame.to_ndarray()
            sample_fmt = frame.format.name
            sr = int(frame.sample_rate)
            nch = len(frame.layout.channels)
            channels = nch
            if frame.format.is_planar:
                arr = arr.reshape(nch, -1)
            else:
                arr = arr.reshape(-1, nch).T
            chunks.append(_to_float32(arr, sample_fmt))
        container_name = container.format.name.split(",")[0]
    if not chunks:
        raise _bad("audio.no_audio", path, "no decodable audio frames")
    data = np.concatenate(chunks, axis=1) if len(chunks) > 1 else chunks[0]
    info = AudioInfo(path=str(path), sample_rate=sr, channels=channels, frames=int(data.shape[1]),
                     duration=data.shape[1] / sr if sr else 0.0, codec=codec, container=container_name,
                     decoder="pyav", subtype=sample_fmt)
    return data, info


def _to_float32(arr: np.ndarray, sample_fmt: str) -> np.ndarray:
    base = sample_fmt.rstrip("p")
    if base in ("flt", "dbl"):
        return arr.astype(np.float32, copy=False)
    if base == "s16":
        return arr.astype(np.float32) / 32768.0
    if base == "s32":
        return (arr.astype(np.float64) / 2147483648.0).astype(np.float32)
    if base == "u8":
        return (arr.astype(np.float32) - 128.0) / 128.0
    if base == "s64":
        return (arr.astype(np.float64) / 9223372036854775808.0).astype(np.float32)
    return arr.astype(np.float32)


def decode_audio(path: str | os.PathLike[str]) -> tuple[np.ndarray, AudioInfo]:
    """Decode a file to float32 [channels, frames] at its own rate. Raises AudioError."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise _bad("audio.not_found", path, "missing") from None
    except OSError as exc:
        raise _bad("audio.undecodable", path, str(exc)) from exc
    if size == 0:
        raise _bad("audio.empty_file", path, "0 bytes")
    errors: list[str] = []
    if path.suffix.lower() in _SOUNDFILE_EXTS:
        try:
            data, info = _decode_soundfile(path)
        except Exception as exc:  # noqa: BLE001 - libsndfile says why in the text; try FFmpeg next
            errors.append(f"soundfile: {exc}")
        else:
            return _check_decoded(path, data, info)
    try:
        data, info = _decode_pyav(path)
    except AudioError:
        raise
    except Exception as exc:  # noqa: BLE001 - FFmpeg errors come in many classes
        errors.append(f"ffmpeg: {exc}")
        reason = "; ".join(errors)
        code = "audio.truncated" if any(w in reason.lower() for w in ("truncat", "end of file", "premature", "eof")) else "audio.undecodable"
        raise _bad(code, path, reason) from exc
    return _check_decoded(path, data, info)


def _check_decoded(path: Path, data: np.ndarray, info: AudioInfo) -> tuple[np.ndarray, AudioInfo]:
    if data.size == 0 or data.shape[-1] == 0:
        raise _bad("audio.no_audio", path, "zero-length audio")
    if info.sample_rate <= 0:
        raise _bad("audio.undecodable", path, "unknown sample rate")
    return data, info


def to_stereo(data: np.ndarray, notes: list[str] | None = None) -> np.ndarray:
    """Map [channels, frames] to [2, frames] with the policy in the module docstring."""
    ch = data.shape[0]
    if ch == 2:
        return data
    if ch == 1:
        return np.concatenate([data, data], axis=0)
    if notes is not None:
        notes.append(f"downmixed {ch} channels to stereo")
    g = 1.0 / math.sqrt(2.0)
    if ch in (6, 8):  # FFmpeg/WAV order: FL FR FC LFE (BL BR) (SL SR)
        left = data[0] + g * data[2] + g * data[4] + (g * data[6] if ch == 8 else 0.0)
        right = data[1] + g * data[2] + g * data[5] + (g * data[7] if ch == 8 else 0.0)
        norm = 1.0 + g + g + (g if ch == 8 else 0.0)
    else:
        left = data[0::2].sum(axis=0)
        right = data[1::2].sum(axis=0)
        norm = float(max(data[0::2].shape[0], data[1::2].shape[0]))
    return (np.stack([left, right]) / norm).astype(np.float32)


def resample(data: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample [channels, frames] float32 with soxr (high quality)."""
    if sr_in == sr_out:
        return data
    import soxr

    out = soxr.resample(np.ascontiguousarray(data.T), sr_in, sr_out, quality="HQ")
    return np.ascontiguousarray(out.T, dtype=np.float32)


def load_audio(path: str | os.PathLike[str], target_sr: int = TARGET_SR) -> tuple[np.ndarray, AudioInfo]:
    """Decode, map to stereo and resample: float32 [2, samples] at ``target_sr``, plus AudioInfo.

    Raises AudioError (code ``audio.*``) for anything that is not usable audio.
    """
    data, info = decode_audio(path)
    if not np.isfinite(data).all():
        raise _bad("audio.not_finite", Path(path), "NaN/Inf samples")
    data = to_stereo(data, info.notes)
    data = resample(data, info.sample_rate, target_sr)
    return np.ascontiguousarray(data, dtype=np.float32), info
