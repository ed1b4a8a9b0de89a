"""core/audio.py: writing, decoding every format the import takes, channel mapping, resampling,
loudness (BS.1770), clipping/silence analysis and near-duplicate fingerprints."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
import soundfile as sf

from mixgrv_app.core import audio as A
from mixgrv_app.core.errors import AudioError
from support.audio_corpus import build_corpus, tone


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    good, bad = build_corpus(root)
    return root, good, bad


def _sine(freq, seconds, sr=48000, amp=1.0, channels=2):
    t = np.arange(int(seconds * sr)) / sr
    x = amp * np.sin(2 * np.pi * freq * t)
    return np.stack([x] * channels)


# --------------------------------------------------------------------------- writing


@pytest.mark.parametrize("name,bit_depth,subtype", [
    ("x.wav", "16", "PCM_16"), ("x.wav", "24", "PCM_24"), ("x.wav", "32f", "FLOAT"),
    ("x.flac", "16", "PCM_16"), ("x.flac", "24", "PCM_24"), ("x.mp3", "16", "MPEG_LAYER_III"),
])
def test_write_audio_formats_tags_and_round_trip(tmp_path, name, bit_depth, subtype):
    audio = _sine(440, 0.5, amp=0.5).astype(np.float32)
    out = A.write_audio(tmp_path / name, audio, 48000, bit_depth, title="제목 title", comment="seed 42")
    assert out == tmp_path / name
    with sf.SoundFile(str(out)) as fh:
        assert fh.subtype == subtype and fh.samplerate == 48000 and fh.channels == 2
        assert fh.title == "제목 title" and fh.comment == "seed 42"
    back, info = A.load_audio(out)
    assert back.dtype == np.float32 and back.shape[0] == 2
    if subtype != "MPEG_LAYER_III":
        assert back.shape[1] == audio.shape[1]
        tol = {"PCM_16": 1e-4, "PCM_24": 1e-6, "FLOAT": 0}[subtype]
        assert np.abs(back - audio).max() <= tol
    else:
        assert abs(back.shape[1] - audio.shape[1]) < 2400
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temp file left


def test_write_audio_refuses_bad_requests_and_leaves_nothing(tmp_path):
    audio = np.zeros((2, 100), np.float32)
    with pytest.raises(AudioError) as e:
        A.write_audio(tmp_path / "x.ogg", audio, 48000)
    assert e.value.code == "audio.unsupported_output_format"
    with pytest.raises(AudioError) as e:
        A.write_audio(tmp_path / "x.flac", audio, 48000, "32f")
    assert e.value.code == "audio.unsupported_bit_depth"
    bad = audio.copy()
    bad[0, 5] = np.nan
    with pytest.raises(AudioError) as e:
        A.write_audio(tmp_path / "x.wav", bad, 48000)
    assert e.value.code == "audio.not_finite"
    assert list(tmp_path.iterdir()) == []


def test_write_audio_clips_integer_formats_but_keeps_float(tmp_path):
    hot = np.array([[1.5, -1.5, 0.25]], np.float32)
    A.write_audio(tmp_path / "i.wav", hot, 48000, "16")
    A.write_audio(tmp_path / "f.wav", hot, 48000, "32f")
    i, _ = sf.read(str(tmp_path / "i.wav"), dtype="float32")
    f, _ = sf.read(str(tmp_path / "f.wav"), dtype="float32")
    assert i.max() <= 1.0 and i.min() >= -1.0
    assert np.allclose(f, hot[0])


# --------------------------------------------------------------------------- decoding


def test_every_good_corpus_file_loads_at_48k_stereo(corpus):
    _, good, _ = corpus
    assert {g.path.suffix for g in good} >= {".wav", ".flac", ".ogg", ".opus", ".mp3", ".aiff", ".aif", ".m4a", ".aac", ".wma"}
    for g in good:
        data, info = A.load_audio(g.path)
        assert data.dtype == np.float32 and data.ndim == 2 and data.shape[0] == 2, g.path
        assert info.sample_rate == g.sample_rate and info.channels == g.channels, g.path
        assert info.codec == g.codec, (g.path, info.codec)
        assert abs(info.duration - g.seconds) <= g.duration_tolerance, (g.path, info.duration)
        assert abs(data.shape[1] / 48000 - info.duration) < 0.002, g.path
        assert np.isfinite(data).all()
        # the corpus signal peaks near 0.5: decoding must not rescale (8-bit, 32-bit int, double)
        # (a percentile: lossy codecs overshoot at the abrupt start)
        level = float(np.percentile(np.abs(data), 99.5))
        assert 0.3 < level < 0.75, (g.path, level)


def test_ffmpeg_formats_use_pyav_and_aac_padding_is_what_ffmpeg_reports(corpus):
    _, good, _ = corpus
    by_name = {g.path.name: g for g in good}
    _, info = A.load_audio(by_name["aac_44k.m4a"].path)
    assert info.decoder == "pyav"
    # 1.0 s of AAC at 44.1 kHz decodes as 45 frames of 1024 (priming + padding), see platform-notes
    assert info.frames in (44100, 45056, 46080)
    _, info = A.load_audio(by_name["alac_48k.m4a"].path)
    assert info.decoder == "pyav" and info.frames == 48000  # lossless: exact


@pytest.mark.parametrize("bad_index", range(7))
def test_broken_files_raise_audio_errors_with_codes(corpus, bad_index):
    _, _, bad = corpus
    b = bad[bad_index]
    with pytest.raises(AudioError) as e:
        A.load_audio(b.path)
    assert e.value.code == b.code, (b.path.name, e.value.code, e.value.message)
    assert b.path.name in e.value.message


def test_missing_file_and_mislabelled_real_audio(tmp_path, corpus):
    with pytest.raises(AudioError) as e:
        A.load_audio(tmp_path / "nope.wav")
    assert e.value.code == "audio.not_found"
    # a real WAV whose name says .mp3 is still audio: decode by content, not by name
    _, good, _ = corpus
    wav = next(g.path for g in good if g.path.name == "s16_stereo_44k.wav")
    fake = tmp_path / "really_a_wav.mp3"
    shutil.copyfile(wav, fake)
    data, info = A.load_audio(fake)
    assert info.container == "wav" and data.shape == (2, 48000)
    # an AAC file named .mp3: libsndfile refuses it, FFmpeg reads it
    m4a = next(g.path for g in good if g.path.name == "aac_44k.m4a")
    fake = tmp_path / "really_aac.mp3"
    shutil.copyfile(m4a, fake)
    data, info = A.load_audio(fake)
    assert info.codec == "aac" and info.decoder == "pyav" and abs(data.shape[1] - 48000) < 4800


def test_channel_policy_mono_duplicates_and_surround_downmix():
    mono = np.arange(5, dtype=np.float32)[None] / 10
    assert np.array_equal(A.to_stereo(mono), np.vstack([mono, mono]))
    # 5.1 (FL FR FC LFE BL BR): centre and surrounds at -3 dB, LFE dropped, normalised
    ch = np.zeros((6, 4), np.float32)
    ch[2] = 1.0          # centre only
    ch[3] = 1.0          # LFE must not leak
    notes: list[str] = []
    out = A.to_stereo(ch, notes)
    g = 1 / math.sqrt(2)
    assert np.allclose(out[0], g / (1 + 2 * g)) and np.allclose(out[1], out[0])
    assert notes and "6 channels" in notes[0]
    # any other count: even channels left, odd right, full scale stays full scale
    three = np.ones((3, 4), np.float32)
    out = A.to_stereo(three)
    assert np.allclose(out, 1.0)


def test_resampling_keeps_frequency_and_level():
    sr = 44100
    x = _sine(1000, 1.0, sr=sr, amp=0.5).astype(np.float32)
    y = A.resample(x, sr, 48000)
    assert y.shape == (2, 48000)
    ref = _sine(1000, 1.0, sr=48000, amp=0.5)
    core = slice(2000, 46000)  # ignore filter edges
    assert np.abs(y[:, core] - ref[:, core]).max() < 2e-3


# --------------------------------------------------------------------------- analysis


def test_k_weighting_matches_the_standard_48k_coefficients_and_a_direct_iir():
    (b1, a1), (b2, a2) = A._k_weighting_biquads(48000)
    assert np.allclose(b1, [1.53512485958697, -2.69169618940638, 1.19839281085285], atol=1e-9)
    assert np.allclose(a1, [1.0, -1.69065929318241, 0.73248077421585], atol=1e-9)
    assert np.allclose(b2, [1.0, -2.0, 1.0]) and np.allclose(a2, [1.0, -1.99004745483398, 0.99007225036621], atol=1e-9)
    x = np.random.default_rng(0).standard_normal(150_000)  # longer than one overlap-add block
    y = x.copy()
    for b, a in A._k_weighting_biquads(44100):  # the recursive filter, the slow obvious way
        out = np.zeros_like(y)
        x1 = x2 = y1 = y2 = 0.0
        for i, v in enumerate(y):
            o = b[0] * v + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2
            x2, x1, y2, y1 = x1, v, y1, o
            out[i] = o
        y = out
    assert np.abs(A.k_weight(x[None], 44100)[0] - y).max() < 2e-6  # float32 blocks
    # processing in groups of blocks (bounded memory) carries the tails across groups exactly
    one = np.concatenate(list(A._k_weighted_chunks(np.stack([x, -x]).astype(np.float32), 44100, group=1)), axis=1)
    assert np.array_equal(one, A.k_weight(np.stack([x, -x]).astype(np.float32), 44100))


def test_integrated_loudness_reference_levels_and_gating():
    sr = 48000
    full = _sine(997, 5.0)
    assert A.integrated_loudness(full, sr) == pytest.approx(0.0, abs=0.02)         # both channels at 0 dBFS
    assert A.integrated_loudness(full * 0.1, sr) == pytest.approx(-20.0, abs=0.02)
    left_only = full.copy()
    left_only[1] = 0
    assert A.integrated_loudness(left_only, sr) == pytest.approx(-3.01, abs=0.02)  # BS.1770 test point
    # absolute gate: the 46 all-silent blocks drop out; 47 full blocks and 3 straddling the
    # edge (3/4, 1/2, 1/4 of the energy) remain, as the standard's block arithmetic says
    gated = np.concatenate([full * 0.1, np.zeros((2, 5 * sr))], axis=1)
    assert A.integrated_loudness(gated, sr) == pytest.approx(-20.0 + 10 * math.log10(48.5 / 50), abs=0.01)
    # relative gate: a -50 dB tail passes the absolute gate but is 30 LU down, so it drops out
    # too (with it, the mean over 96 blocks would be about -23 LUFS)
    tail = np.concatenate([full * 0.1, full * 0.00316], axis=1)
    assert A.integrated_loudness(tail, sr) == pytest.approx(-20.0 + 10 * math.log10(48.5 / 50), abs=0.01)
    # a -26 dB tail is within 10 LU and counts: the level drops accordingly
    assert A.integrated_loudness(np.concatenate([full * 0.1, full * 0.05], axis=1), sr) == pytest.approx(-22.0, abs=0.1)
    assert A.integrated_loudness(np.zeros((2, sr)), sr) == float("-inf")
    # other rates use the same curve
    assert A.integrated_loudness(_sine(997, 3.0, sr=44100) * 0.1, 44100) == pytest.approx(-20.0, abs=0.03)


def _decoded(stereo: np.ndarray, sr: int = 48000) -> A.Decoded:
    info = A.AudioInfo(path="mem", sample_rate=sr, channels=stereo.shape[0], frames=stereo.shape[1],
                       duration=stereo.shape[1] / sr, codec="pcm", container="mem", decoder="test")
    return A.Decoded(stereo.astype(np.float32), info)


def test_analysis_clipping_silence_and_warnings():
    sr = 48000
    clean = _sine(997, 6.0, amp=1.0)
    a = A.analyse(_decoded(clean))
    assert a.clipping_ratio == 0.0 and a.peak == pytest.approx(1.0, abs=1e-3)
    assert a.loudness_lufs == pytest.approx(0.0, abs=0.05)
    clipped = np.clip(_sine(997, 6.0, amp=2.0), -1, 1)
    a = A.analyse(_decoded(clipped))
    assert a.clipping_ratio > 0.3
    assert "analysis.clipping" in [w.code for w in a.warnings]
    padded = np.concatenate([np.zeros((2, sr)), _sine(440, 6.0, amp=0.3), np.zeros((2, 3 * sr))], axis=1)
    a = A.analyse(_decoded(padded), max_seconds=8.0)
    assert a.leading_silence == pytest.approx(1.0, abs=0.01) and a.trailing_silence == pytest.approx(3.0, abs=0.01)
    codes = {w.code: w for w in a.warnings}
    assert "analysis.trailing_silence" in codes and "analysis.leading_silence" not in codes
    assert codes["analysis.will_be_cut"].params == {"seconds": 10.0, "max_seconds": 8.0}
    assert all(w.severity in ("info", "warning", "error") for w in a.warnings)
    a = A.analyse(_decoded(np.zeros((2, 6 * sr))))
    assert a.loudness_lufs == float("-inf") and [w.code for w in a.warnings][0] == "analysis.silent"
    d = a.to_dict()
    assert d["loudness_lufs"] is None and A.Analysis.from_dict(d).loudness_lufs == float("-inf")


def test_non_finite_samples_are_counted_when_allowed(tmp_path):
    x = tone(1.0, 48000, 2)
    x[10:20, 0] = np.inf
    sf.write(str(tmp_path / "inf.wav"), x, 48000, subtype="FLOAT")
    with pytest.raises(AudioError):
        A.decode(tmp_path / "inf.wav")
    a = A.analyse(A.decode(tmp_path / "inf.wav", allow_non_finite=True))
    assert a.non_finite == 10 and a.warnings[0].code == "analysis.non_finite"


def _melody(seed: int, seconds: float, sr: int) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    notes = np.random.default_rng(seed).integers(0, 12, int(seconds * 2) + 1)
    x = np.sin(2 * np.pi * 220 * 2 ** (notes[(t * 2).astype(int)] / 12) * t) * np.exp(-3 * (t % 0.5))
    return (0.5 * np.stack([x, x * 0.9], axis=1)).astype(np.float32)


def test_fingerprint_finds_the_same_recording_across_codecs_and_rates(tmp_path):
    import soxr

    song = _melody(3, 6.0, 44100)
    other = _melody(4, 6.0, 44100)
    sf.write(str(tmp_path / "s.wav"), song, 44100)
    sf.write(str(tmp_path / "s.mp3"), song, 44100)
    sf.write(str(tmp_path / "s48.flac"), soxr.resample(song, 44100, 48000), 48000)
    sf.write(str(tmp_path / "o.wav"), other, 44100)
    prints = {p: A.analyse(A.decode(tmp_path / p)).fingerprint for p in ("s.wav", "s.mp3", "s48.flac", "o.wav")}
    assert A.fingerprints_match(prints["s.wav"], prints["s.mp3"])
    assert A.fingerprints_match(prints["s.wav"], prints["s48.flac"])
    assert not A.fingerprints_match(prints["s.wav"], prints["o.wav"])
    assert not A.fingerprints_match(prints["s.mp3"], prints["o.wav"])
    assert not A.fingerprints_match(prints["s.wav"], prints["s.wav"][: len(prints["s.wav"]) // 2])


def test_importing_core_audio_is_cheap():
    import subprocess
    import sys

    code = ("import sys; import mixgrv_app.core.audio, mixgrv_app.core.dataset; "
            "print([m for m in ('soundfile', 'soxr', 'av', 'torch', 'PySide6') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr
