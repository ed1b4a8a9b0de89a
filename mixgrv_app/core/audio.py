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
from mixgrv_app.core.fileio import atomic_path, known_fields

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
        "audio.undecodable": f"{path.name} is not an audio file this app can read.",
        "audio.truncated": f"{path.name} looks truncated or damaged ({reason}).",
        "audio.not_finite": f"{path.name} decodes to NaN or Inf samples.",
    }
    return AudioError(code, texts.get(code, f"{path.name}: {reason}"), path=str(path), name=path.name, reason=reason)


def _declared_pcm_bytes(path: Path) -> tuple[int, int] | None:
    """(declared sample-data bytes, bytes actually present) for WAV/AIFF, else None.

    libsndfile quietly shortens a cut-off WAV/AIFF to what is there; the header still says how
    long the file was meant to be, which is how a half-copied download is told apart.
    """
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12:
                return None
            if head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE":
                order, want, pos = ("<" if head[:4] == b"RIFF" else ">"), b"data", 12
            elif head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
                order, want, pos = ">", b"SSND", 12
            else:
                return None  # RF64/W64/CAF: leave to the decoder
            import struct

            while pos + 8 <= size:
                fh.seek(pos)
                chunk = fh.read(8)
                cid, length = chunk[:4], struct.unpack(order + "I", chunk[4:8])[0]
                if cid == want:
                    if length in (0, 0xFFFFFFFF):  # streaming writers leave it open
                        return None
                    return length, size - pos - 8
                pos += 8 + length + (length & 1)
    except OSError:
        return None
    return None


def _decode_soundfile(path: Path) -> tuple[np.ndarray, AudioInfo]:
    import soundfile as sf

    with sf.SoundFile(str(path)) as fh:  # an error here means "not for libsndfile": FFmpeg is tried next
        sr, ch, fmt, subtype, header_frames = fh.samplerate, fh.channels, fh.format, fh.subtype, fh.frames
        try:
            data = fh.read(dtype="float32", always_2d=True)
        except Exception as exc:  # noqa: BLE001 - header fine, body broken
            raise _bad("audio.truncated", path, str(exc)) from exc
    declared = _declared_pcm_bytes(path) if fmt in ("WAV", "AIFF") else None
    if declared is not None and declared[1] < declared[0] * 0.999:
        raise _bad("audio.truncated", path, f"header announces {declared[0]} bytes of audio, file has {declared[1]}")
    if fmt in ("FLAC", "MPEG", "MP3") and header_frames > 0 and data.shape[0] < 0.9 * header_frames:
        raise _bad("audio.truncated", path, f"header announces {header_frames} frames, decoded {data.shape[0]}")
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
        except AudioError:
            raise
        except Exception as exc:  # noqa: BLE001 - libsndfile says why in the text; try FFmpeg next
            errors.append(f"soundfile: {exc}")
        else:
            if data.shape[-1] > 0:
                return _check_decoded(path, data, info)
            errors.append("soundfile: no frames")
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
        left = data[0::2].sum(axis=0) / data[0::2].shape[0]
        right = data[1::2].sum(axis=0) / data[1::2].shape[0]
        return np.stack([left, right]).astype(np.float32)
    return (np.stack([left, right]) / norm).astype(np.float32)


def resample(data: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample [channels, frames] float32 with soxr (high quality)."""
    if sr_in == sr_out:
        return np.ascontiguousarray(data, dtype=np.float32)
    import soxr

    out = soxr.resample(np.ascontiguousarray(data.T), sr_in, sr_out, quality="HQ")
    return np.ascontiguousarray(out.T, dtype=np.float32)


def load_audio(path: str | os.PathLike[str], target_sr: int = TARGET_SR) -> tuple[np.ndarray, AudioInfo]:
    """Decode, map to stereo and resample: float32 [2, samples] at ``target_sr``, plus AudioInfo.

    Raises AudioError (code ``audio.*``) for anything that is not usable audio, including
    NaN/Inf samples (a float file that would poison training).
    """
    decoded = decode(path)
    return decoded.resampled(target_sr), decoded.info


@dataclass
class Decoded:
    """A decoded file at its own rate plus what is needed to deliver it at 48 kHz stereo."""

    data: np.ndarray  # float32 [channels, frames] (a transposed view of soundfile's buffer)
    info: AudioInfo

    def stereo(self) -> np.ndarray:
        return to_stereo(self.data, self.info.notes)

    def resampled(self, target_sr: int = TARGET_SR) -> np.ndarray:
        """float32 [2, samples] at ``target_sr``; one copy in, one copy out."""
        data = self.data
        if data.shape[0] > 2:
            data = to_stereo(data, self.info.notes)
        if self.info.sample_rate != target_sr:
            import soxr

            # soxr wants frame-major; data.T is contiguous when it came from soundfile
            frames = data.T if data.T.flags.c_contiguous else np.ascontiguousarray(data.T)
            data = soxr.resample(frames, self.info.sample_rate, target_sr, quality="HQ").T
        if data.shape[0] == 1:  # resample mono once, then duplicate
            return np.ascontiguousarray(np.broadcast_to(data, (2, data.shape[1])), dtype=np.float32)
        return np.ascontiguousarray(data, dtype=np.float32)


def decode(path: str | os.PathLike[str], *, allow_non_finite: bool = False) -> Decoded:
    """Decode a file at its own rate; refuses NaN/Inf unless ``allow_non_finite``."""
    data, info = decode_audio(path)
    if not allow_non_finite and not _all_finite(data):
        raise _bad("audio.not_finite", Path(path), "NaN/Inf samples")
    return Decoded(data, info)


def _all_finite(data: np.ndarray) -> bool:
    # A float32 sum over the contiguous buffer is NaN/Inf iff a sample is (audio values are
    # far too small to overflow it), and it is ~10x cheaper than isfinite().all(); only a
    # non-finite sum needs the exact check.
    if data.size == 0:
        return True
    flat = data.T if data.T.flags.c_contiguous else data
    return math.isfinite(float(flat.sum(dtype=np.float32))) or bool(np.isfinite(data).all())


# --------------------------------------------------------------------------- analysis
#
# Loudness follows ITU-R BS.1770-4: K-weighting (a high shelf near 1.7 kHz then a high-pass
# near 38 Hz), mean square per 400 ms block with 75 % overlap, an absolute gate at -70 LUFS and
# a relative gate 10 LU below the absolute-gated loudness. It is measured on the 48 kHz stereo
# signal the model trains on (so a mono file counts as dual mono, like most music tools do).
# The two biquads are applied as their impulse response (see k_weight): it dies out within a
# few tens of milliseconds, and numpy has no fast recursive filter of its own.

SILENCE_DBFS = -60.0
CLIP_LEVEL = 0.999       # a sample this close to full scale ...
CLIP_RUN = 3             # ... in a run of at least this many counts as clipped
FINGERPRINT_HOP_S = 0.5  # fingerprint resolution


def _k_weighting_biquads(sr: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(b, a) for the BS.1770 shelf and high-pass at ``sr``.

    Bilinear transform of the analogue prototypes the standard's 48 kHz coefficients come from
    (pre-warped with tan); at 48 kHz it reproduces the published table to ~1e-9.
    """
    # high shelf, +4 dB above ~1.68 kHz
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sr)
    vh = 10 ** (gain_db / 20.0)
    vb = vh ** 0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = (np.array([vh + vb * k / q + k * k, 2.0 * (k * k - vh), vh - vb * k / q + k * k]) / a0,
             np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]))
    # high-pass ("RLB"), ~38 Hz
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sr)
    a0 = 1.0 + k / q + k * k
    highpass = (np.array([1.0, -2.0, 1.0]), np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]))
    return [shelf, highpass]


_IR_SECONDS = 0.2  # the K-weighting impulse response is below 1e-12 of its peak after ~0.1 s
_BLOCK_FFT = 1 << 17


def _k_weighting_ir(sr: int) -> np.ndarray:
    """The K-weighting impulse response, truncated to ``_IR_SECONDS``, from its frequency response."""
    n = 1 << 18  # long enough that time-aliasing of the (decayed) tail is nil
    z = np.exp(-1j * np.pi * np.arange(n // 2 + 1) / (n / 2))
    h = np.ones_like(z)
    for b, a in _k_weighting_biquads(sr):
        h *= (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    return np.fft.irfft(h, n)[: int(sr * _IR_SECONDS)]


def k_weight(x: np.ndarray, sr: int) -> np.ndarray:
    """K-weighted copy of [channels, frames] (float32).

    The two biquads are applied as their (truncated) impulse response by overlap-add FFT
    convolution in float32 blocks: numpy has no fast recursive filter, and this is within
    ~1e-6 of the recursive result. Blocks are processed in groups so memory stays bounded
    for hour-long files.
    """
    return np.concatenate(list(_k_weighted_chunks(x, sr)), axis=1)


def _k_weighted_chunks(x: np.ndarray, sr: int, group: int = 16):
    """Yield the K-weighted signal in consecutive [channels, <= group*block] pieces."""
    ir = _k_weighting_ir(sr)
    taps = ir.size
    block = _BLOCK_FFT - taps + 1
    ir_spec = np.fft.rfft(ir.astype(np.float32), _BLOCK_FFT)
    ch, n = x.shape
    carry = np.zeros((ch, taps - 1), dtype=np.float32)
    for start in range(0, n, block * group):
        piece = x[:, start : start + block * group]
        m = piece.shape[1]
        nb = -(-m // block)
        padded = np.zeros((ch, nb * block), dtype=np.float32)
        padded[:, :m] = piece
        spec = np.fft.rfft(padded.reshape(ch, nb, block), _BLOCK_FFT, axis=-1)
        spec *= ir_spec
        y = np.fft.irfft(spec, _BLOCK_FFT, axis=-1).astype(np.float32, copy=False)  # [ch, nb, block+taps-1]
        out = np.ascontiguousarray(y[..., :block])
        out[:, 1:, : taps - 1] += y[:, :-1, block:]          # overlap-add the tails inside the group
        out = out.reshape(ch, nb * block)
        out[:, : taps - 1] += carry                           # ... and the previous group's tail
        carry = y[:, -1, block:].copy()
        yield out[:, :m]


def integrated_loudness(x: np.ndarray, sr: int) -> float:
    """BS.1770 gated integrated loudness of [channels, frames] in LUFS; -inf for silence/short."""
    block, hop = int(round(0.4 * sr)), int(round(0.1 * sr))
    if x.shape[-1] < block:
        return float("-inf")
    # channel weights are 1.0 for L and R; the running sum of power is all the gating needs
    parts = [np.einsum("ij,ij->j", y, y, dtype=np.float64) for y in _k_weighted_chunks(np.asarray(x, dtype=np.float32), sr)]
    csum = np.concatenate([[0.0], np.cumsum(np.concatenate(parts))])
    starts = np.arange(0, x.shape[-1] - block + 1, hop)
    z = (csum[starts + block] - csum[starts]) / block
    with np.errstate(divide="ignore"):
        lk = -0.691 + 10 * np.log10(z)
    gated = z[lk > -70.0]
    if gated.size == 0:
        return float("-inf")
    relative = -0.691 + 10 * math.log10(gated.mean()) - 10.0
    gated = z[(lk > -70.0) & (lk > relative)]
    if gated.size == 0:
        return float("-inf")
    return float(-0.691 + 10 * math.log10(gated.mean()))


def _clipped_fraction(data: np.ndarray) -> float:
    hot = np.abs(data) >= CLIP_LEVEL
    if not hot.any():
        return 0.0
    # a sample is clipped when it sits inside a run of >= CLIP_RUN hot samples
    run = hot[:, : hot.shape[1] - CLIP_RUN + 1].copy()
    for k in range(1, CLIP_RUN):
        run &= hot[:, k : hot.shape[1] - CLIP_RUN + 1 + k]
    clipped = np.zeros_like(hot)
    for k in range(CLIP_RUN):
        clipped[:, k : k + run.shape[1]] |= run
    return float(clipped.sum() / hot.size)


def _silence_edges(frames_major: np.ndarray, sr: int) -> tuple[float, float]:
    """Seconds below -60 dBFS (all channels) at the start and at the end of [frames, channels]."""
    n = frames_major.shape[0]
    level = 10 ** (SILENCE_DBFS / 20)

    def first_loud(view: np.ndarray) -> int:
        # look in growing windows: a track usually gets loud within its first seconds
        start, size = 0, sr
        while start < n:
            chunk = np.abs(view[start : start + size]).max(axis=1) > level
            hit = int(np.argmax(chunk))
            if chunk[hit]:
                return start + hit
            start, size = start + size, size * 4
        return n

    lead = first_loud(frames_major)
    if lead == n:
        return n / sr, n / sr
    trail = first_loud(frames_major[::-1])
    return lead / sr, trail / sr


FINGERPRINT_BANDS = (60.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0)  # 7 bands


def fingerprint(stereo48: np.ndarray, sr: int = TARGET_SR) -> str:
    """A compact spectral fingerprint for near-duplicate detection across codecs and rates.

    Per 0.5 s block of the mono mix: energy (dB) in 7 octave-ish bands, as one byte each
    (hex). Two encodings of the same recording (WAV vs MP3, 44.1 vs 48 kHz) agree to about a
    dB in every band; different songs do not.
    """
    hop = int(sr * FINGERPRINT_HOP_S)
    n = stereo48.shape[-1] // hop
    if n == 0:
        return ""
    mono = stereo48[:, : n * hop].mean(axis=0, dtype=np.float64).reshape(n, hop)
    power = np.abs(np.fft.rfft(mono * np.hanning(hop), axis=1)) ** 2
    freqs = np.fft.rfftfreq(hop, 1.0 / sr)
    edges = np.searchsorted(freqs, FINGERPRINT_BANDS)
    bands = np.stack([power[:, a:b].sum(axis=1) for a, b in zip(edges[:-1], edges[1:], strict=True)], axis=1)
    db = 10 * np.log10(np.maximum(bands / hop, 1e-12))
    codes = np.clip(np.round(db) + 200, 0, 255).astype(np.uint8)  # 1 dB steps, floor -200 dB
    return codes.tobytes().hex()


def fingerprints_match(a: str, b: str, tolerance_db: float = 6.0, min_blocks: int = 8) -> bool:
    """True when two fingerprints describe the same recording: lengths within 2 %, and at most
    10 % of the audible band cells differ by more than ``tolerance_db``. Clips shorter than
    ``min_blocks`` half-seconds carry too little evidence and never match."""
    nb = len(FINGERPRINT_BANDS) - 1
    if not a or not b:
        return False
    fa = np.frombuffer(bytes.fromhex(a), np.uint8).reshape(-1, nb).astype(float) - 200
    fb = np.frombuffer(bytes.fromhex(b), np.uint8).reshape(-1, nb).astype(float) - 200
    if abs(len(fa) - len(fb)) > max(1, 0.02 * max(len(fa), len(fb))):
        return False
    n = min(len(fa), len(fb))
    if n < min_blocks:
        return False
    fa, fb = fa[:n], fb[:n]
    # compare the bands that carry the sound: within 30 dB of the block's loudest band (codecs
    # differ wildly in near-empty bands) and above digital silence
    top = np.maximum(fa, fb)
    audible = (top > top.max(axis=1, keepdims=True) - 30.0) & (top > -70.0)
    if audible.sum() < min_blocks:
        return False
    return float((np.abs(fa - fb)[audible] > tolerance_db).mean()) <= 0.10


@dataclass
class Warning_:
    """A finding about a track: severity ("info" | "warning" | "error") + message code + params."""

    severity: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "code": self.code, "params": dict(self.params)}


@dataclass
class Analysis:
    """Cheap per-track facts shown in the dataset panel and used to warn before training."""

    duration: float
    sample_rate: int
    channels: int
    codec: str
    container: str
    peak: float               # max |sample| of the decoded file (before resampling), linear
    peak_dbfs: float
    loudness_lufs: float      # BS.1770 integrated, on the 48 kHz stereo signal; -inf -> None in JSON
    clipping_ratio: float     # fraction of samples in runs of >= 3 at full scale
    leading_silence: float    # seconds below -60 dBFS at the start
    trailing_silence: float
    non_finite: int           # NaN/Inf samples in the decoded file
    fingerprint: str = ""     # see fingerprint(); hex, 7 bytes per 0.5 s
    warnings: list[Warning_] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["warnings"] = [w.to_dict() for w in self.warnings]
        for key in ("loudness_lufs", "peak_dbfs"):
            if not math.isfinite(d[key]):
                d[key] = None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Analysis":
        d = dict(d)
        d["warnings"] = [Warning_(**w) for w in d.get("warnings", [])]
        for key in ("loudness_lufs", "peak_dbfs"):
            if d.get(key) is None:
                d[key] = float("-inf")
        return cls(**known_fields(cls, d))


def analyse(decoded: Decoded, stereo48: np.ndarray | None = None, *, max_seconds: float = 240.0) -> Analysis:
    """Measure a decoded track. ``stereo48`` (its 48 kHz stereo version) is computed if not given."""
    info, data = decoded.info, decoded.data
    non_finite = 0
    clean = data
    if not _all_finite(data):
        finite = np.isfinite(data)
        non_finite = int(data.size - int(finite.sum()))
        clean = np.where(finite, data, 0.0).astype(np.float32)
    # reduce over whichever layout is contiguous (soundfile gives frame-major, PyAV channel-major)
    frames_major = clean.T if clean.T.flags.c_contiguous else np.ascontiguousarray(clean.T)
    peak = float(max(frames_major.max(), -frames_major.min())) if clean.size else 0.0
    if stereo48 is None:
        stereo48 = Decoded(clean, info).resampled(TARGET_SR)
    lufs = integrated_loudness(stereo48, TARGET_SR)
    lead, trail = _silence_edges(frames_major, info.sample_rate)
    result = Analysis(
        duration=round(info.frames / info.sample_rate, 6), sample_rate=info.sample_rate, channels=info.channels,
        codec=info.codec, container=info.container, peak=round(peak, 6),
        peak_dbfs=round(20 * math.log10(peak), 3) if peak > 0 else float("-inf"),
        loudness_lufs=round(lufs, 3) if math.isfinite(lufs) else lufs,
        clipping_ratio=round(_clipped_fraction(clean), 6) if peak >= CLIP_LEVEL else 0.0,
        leading_silence=round(lead, 3),
        trailing_silence=round(trail, 3), non_finite=non_finite, fingerprint=fingerprint(stereo48),
    )
    result.warnings = _warnings_for(result, info, max_seconds)
    return result


def _warnings_for(a: Analysis, info: AudioInfo, max_seconds: float) -> list[Warning_]:
    w: list[Warning_] = []
    if a.non_finite:
        w.append(Warning_("error", "analysis.non_finite", {"count": a.non_finite}))
    if a.peak == 0.0 or not math.isfinite(a.loudness_lufs):
        w.append(Warning_("error", "analysis.silent", {}))
    elif a.loudness_lufs < -35.0:
        w.append(Warning_("warning", "analysis.very_quiet", {"lufs": round(a.loudness_lufs, 1)}))
    if a.clipping_ratio > 0.001:
        w.append(Warning_("warning", "analysis.clipping", {"percent": round(100 * a.clipping_ratio, 2)}))
    if a.duration < 5.0:
        w.append(Warning_("warning", "analysis.too_short", {"seconds": round(a.duration, 1)}))
    if a.duration > max_seconds:
        w.append(Warning_("info", "analysis.will_be_cut", {"seconds": round(a.duration, 1), "max_seconds": max_seconds}))
    if a.sample_rate < 32000:
        w.append(Warning_("warning", "analysis.low_sample_rate", {"sample_rate": a.sample_rate}))
    if a.leading_silence > 2.0:
        w.append(Warning_("info", "analysis.leading_silence", {"seconds": round(a.leading_silence, 1)}))
    if a.trailing_silence > 2.0:
        w.append(Warning_("info", "analysis.trailing_silence", {"seconds": round(a.trailing_silence, 1)}))
    if info.channels > 2:
        w.append(Warning_("info", "analysis.downmixed", {"channels": info.channels}))
    return w
