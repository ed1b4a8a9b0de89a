"""Builds a corpus of REAL audio files (every format, bit depth, channel count and sample rate the
import must take) plus broken ones, for the dataset/audio tests and bench/preprocess.py.

Files are short (0.6-1.5 s) so the whole import runs in seconds. soundfile writes what libsndfile
can; PyAV (bundled FFmpeg) encodes m4a AAC/ALAC, ADTS .aac and .wma. Each good file is described
by a `GoodFile` with the facts the import must report (rate, channels, duration, codec); each bad
one by the error code it must be skipped with.
"""

from __future__ import annotations

import shutil
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np


@dataclass
class GoodFile:
    path: Path
    sample_rate: int
    channels: int
    seconds: float            # length of the signal that was encoded
    codec: str                # the codec name the import must report
    duration_tolerance: float = 0.002  # lossy codecs pad (AAC: priming + frame padding)


@dataclass
class BadFile:
    path: Path
    code: str                 # AudioError/DatasetError code the import must skip it with


def tone(seconds: float, sr: int, channels: int, amp: float = 0.5, seed: int = 0) -> np.ndarray:
    """[frames, channels] float32: a chord + a little noise, different per channel, never clipping."""
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    rng = np.random.default_rng(seed)
    cols = []
    for c in range(channels):
        f = 110.0 * 2 ** ((seed % 24) / 6.0) * (1 + 0.25 * c)
        sig = np.sin(2 * np.pi * f * t) + 0.5 * np.sin(2 * np.pi * 1.5 * f * t + c)
        sig = sig / 1.5 + 0.02 * rng.standard_normal(n)
        cols.append(amp * sig)
    return np.stack(cols, axis=1).astype(np.float32)


def _sf(path: Path, data: np.ndarray, sr: int, fmt: str, subtype: str) -> None:
    import soundfile as sf

    sf.write(str(path), data, sr, format=fmt, subtype=subtype)


def _pyav(path: Path, data: np.ndarray, sr: int, codec: str, container: str | None = None,
          sample_fmt: str = "fltp", bit_rate: int | None = None) -> None:
    import av

    channels = data.shape[1]
    layout = {1: "mono", 2: "stereo"}[channels]
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=sr, layout=layout)
        if bit_rate:
            stream.bit_rate = bit_rate
        stream.time_base = Fraction(1, sr)
        fmt = sample_fmt
        src = np.ascontiguousarray(data.T if fmt.endswith("p") else data.reshape(1, -1))
        if fmt.startswith("s16"):
            src = (np.clip(src, -1, 1) * 32767).astype(np.int16)
        elif fmt.startswith("s32"):
            src = (np.clip(src, -1, 1) * 2147483647).astype(np.int32)
        frame = av.AudioFrame.from_ndarray(src, format=fmt, layout=layout)
        frame.sample_rate = sr
        frame.pts = 0
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def build_good(root: Path) -> list[GoodFile]:
    root.mkdir(parents=True, exist_ok=True)
    files: list[GoodFile] = []

    def sfw(name: str, sr: int, ch: int, fmt: str, sub: str, codec: str, seconds: float = 1.0) -> None:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        _sf(p, tone(seconds, sr, ch, seed=len(files)), sr, fmt, sub)
        files.append(GoodFile(p, sr, ch, seconds, codec))

    # WAV: every integer/float depth, the rate range, 1/2/3/6/8 channels
    sfw("wav/u8_mono_8k.wav", 8000, 1, "WAV", "PCM_U8", "pcm_u8")
    sfw("wav/s16_stereo_44k.wav", 44100, 2, "WAV", "PCM_16", "pcm_16")
    sfw("wav/s24_stereo_96k.wav", 96000, 2, "WAV", "PCM_24", "pcm_24", 0.6)
    sfw("wav/s32_stereo_48k.wav", 48000, 2, "WAV", "PCM_32", "pcm_32")
    sfw("wav/f32_stereo_192k.wav", 192000, 2, "WAV", "FLOAT", "float", 0.6)
    sfw("wav/f64_mono_22k.wav", 22050, 1, "WAV", "DOUBLE", "double")
    sfw("wav/s16_3ch_32k.wav", 32000, 3, "WAV", "PCM_16", "pcm_16")
    sfw("wav/s16_5.1_48k.wav", 48000, 6, "WAV", "PCM_16", "pcm_16")
    sfw("wav/s24_7.1_44k.wav", 44100, 8, "WAV", "PCM_24", "pcm_24", 0.6)
    sfw("wav/s16_mono_11k.wav", 11025, 1, "WAV", "PCM_16", "pcm_16")
    # FLAC, Vorbis, Opus, MP3, AIFF through libsndfile
    sfw("flac/s16_44k.flac", 44100, 2, "FLAC", "PCM_16", "flac")
    sfw("flac/s24_96k_mono.flac", 96000, 1, "FLAC", "PCM_24", "flac", 0.6)
    sfw("flac/s8_16k.flac", 16000, 2, "FLAC", "PCM_S8", "flac")
    sfw("lossy/vorbis_44k.ogg", 44100, 2, "OGG", "VORBIS", "vorbis")
    sfw("lossy/opus_48k.opus", 48000, 2, "OGG", "OPUS", "opus")
    sfw("lossy/mp3_44k.mp3", 44100, 2, "MP3", "MPEG_LAYER_III", "mp3")
    sfw("lossy/mp3_mono_24k.mp3", 24000, 1, "MP3", "MPEG_LAYER_III", "mp3")
    sfw("aiff/s16_44k.aiff", 44100, 2, "AIFF", "PCM_16", "pcm_16")
    sfw("aiff/s24_48k.aif", 48000, 2, "AIFF", "PCM_24", "pcm_24")
    for f in files:
        if f.codec in ("vorbis", "opus", "mp3"):
            f.duration_tolerance = 0.06
    # FFmpeg-only formats through PyAV
    def avw(name: str, sr: int, ch: int, codec: str, container: str | None, fmt: str, report: str,
            tol: float, seconds: float = 1.0, bit_rate: int | None = None) -> None:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        _pyav(p, tone(seconds, sr, ch, seed=len(files)), sr, codec, container, fmt, bit_rate)
        files.append(GoodFile(p, sr, ch, seconds, report, tol))

    # AAC decodes with the encoder's priming and last-frame padding (1.0 s -> 46080 samples at
    # 44.1 kHz: +1024 priming, rounded up to whole 1024-sample frames)
    avw("ffmpeg/aac_44k.m4a", 44100, 2, "aac", "mp4", "fltp", "aac", 0.1)
    avw("ffmpeg/alac_48k.m4a", 48000, 2, "alac", "mp4", "s16p", "alac", 0.002)
    avw("ffmpeg/adts_48k.aac", 48000, 2, "aac", "adts", "fltp", "aac", 0.1)
    avw("ffmpeg/wma_44k.wma", 44100, 2, "wmav2", "asf", "fltp", "wmav2", 0.1, bit_rate=128000)
    # names that must stay readable
    sfw("names/노래 1.wav", 44100, 2, "WAV", "PCM_16", "pcm_16")
    nfd = unicodedata.normalize("NFD", "가을 바람.flac")
    sfw(f"names/{nfd}", 48000, 2, "FLAC", "PCM_16", "flac")
    sfw("names/a b&c's (live) [v2] #1.wav", 48000, 2, "WAV", "PCM_16", "pcm_16")
    sfw("names/dup/song.wav", 44100, 2, "WAV", "PCM_16", "pcm_16")
    sfw("names/song.wav", 48000, 1, "WAV", "PCM_16", "pcm_16")
    return files


def build_bad(root: Path, good: list[GoodFile]) -> list[BadFile]:
    root.mkdir(parents=True, exist_ok=True)
    bad: list[BadFile] = []
    (root / "empty.wav").write_bytes(b"")
    bad.append(BadFile(root / "empty.wav", "audio.empty_file"))
    (root / "notes.mp3").write_text("these are my lyrics, not an mp3\n" * 20, encoding="utf-8")
    bad.append(BadFile(root / "notes.mp3", "audio.undecodable"))
    (root / "noise.m4a").write_bytes(np.random.default_rng(1).bytes(5000))
    bad.append(BadFile(root / "noise.m4a", "audio.undecodable"))
    _sf(root / "zero_length.wav", np.zeros((0, 2), np.float32), 44100, "WAV", "PCM_16")
    bad.append(BadFile(root / "zero_length.wav", "audio.no_audio"))
    src = next(f.path for f in good if f.path.suffix == ".flac")
    data = src.read_bytes()
    (root / "cut.flac").write_bytes(data[: len(data) // 3])
    bad.append(BadFile(root / "cut.flac", "audio.truncated"))
    src = next(f.path for f in good if f.path.name == "s16_stereo_44k.wav")
    data = src.read_bytes()
    (root / "cut.wav").write_bytes(data[: len(data) // 2])
    bad.append(BadFile(root / "cut.wav", "audio.truncated"))
    nan = tone(0.5, 48000, 2)
    nan[100:200] = np.nan
    _sf(root / "nan.wav", nan, 48000, "WAV", "FLOAT")
    bad.append(BadFile(root / "nan.wav", "audio.not_finite"))
    return bad


def build_corpus(root: Path) -> tuple[list[GoodFile], list[BadFile]]:
    good = build_good(root / "good")
    bad = build_bad(root / "bad", good)
    # sidecars + CSV for label tests
    lyr = root / "good" / "names" / "노래 1.lyrics.txt"
    lyr.write_text("[Verse]\n하늘을 보며\n", encoding="utf-8")
    (root / "good" / "names" / "노래 1.caption.txt").write_text("korean ballad, piano", encoding="utf-8")
    (root / "good" / "wav" / "labels.csv").write_text(
        "file,bpm,key,caption\ns16_stereo_44k.wav,120,C major,bright pop\n", encoding="utf-8")
    (root / "good" / "wav" / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0not really")
    return good, bad


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime_ns of every file under root (to prove an import changed nothing)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            out[str(p)] = (p.read_bytes(), p.stat().st_mtime_ns)
    return out


if __name__ == "__main__":  # build a corpus to look at by hand
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    shutil.rmtree(target, ignore_errors=True)
    g, b = build_corpus(target)
    print(f"{len(g)} good, {len(b)} bad files in {target}")
