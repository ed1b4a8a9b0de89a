"""End to end: `mixgrv generate` and the Generator on the tiny parity checkpoints.

A caption, Korean lyrics, a seed and a LoRA give a playable file of the requested duration in
every format; the same seed twice gives identical audio, another seed different audio; a broken
adapter, a missing model folder or a bad value fails with one clear line and leaves no file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from mixgrv_app import cli
from mixgrv_app.core.jobs import CancelToken, Cancelled, Progress

KOREAN_LYRICS = "[verse]\n봄바람이 불어오면\n너의 이름을 불러 볼게\n[chorus]\n우리의 노래가 끝나지 않게"


def _argv(parity, out, *extra, seed="11", duration="10"):
    return ["generate", "--quiet", "--models", str(parity / "checkpoints"), "--caption", "Dreamy K-pop ballad with soft piano",
            "--lyrics", KOREAN_LYRICS, "--language", "ko", "--seed", seed, "--duration", duration,
            "--lora", f"{parity / 'lora' / 'adapter'}:0.7", "--out", str(out), *extra]


def _read(path):
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return data, rate


@pytest.fixture(scope="module")
def generated(parity, tmp_path_factory):
    """One run per format (wav 24-bit, flac 16-bit, mp3) plus a same-seed and an other-seed WAV."""
    folder = tmp_path_factory.mktemp("gen")
    runs = {
        "wav": (folder / "song.wav", ["--bit-depth", "24"], "11"),
        "flac": (folder / "song.flac", ["--bit-depth", "16"], "11"),
        "mp3": (folder / "song.mp3", [], "11"),
        "same": (folder / "same.wav", ["--bit-depth", "24"], "11"),
        "other": (folder / "other.wav", ["--bit-depth", "24"], "12"),
    }
    codes = {name: cli.main(_argv(parity, out, *extra, seed=seed)) for name, (out, extra, seed) in runs.items()}
    return {name: out for name, (out, _, _) in runs.items()}, codes


def test_every_format_is_playable_with_the_requested_duration(generated):
    paths, codes = generated
    assert all(code == 0 for code in codes.values()), codes
    for name in ("wav", "flac"):
        data, rate = _read(paths[name])
        assert rate == 48000 and data.shape == (480000, 2), (name, data.shape)
        assert np.abs(data).max() > 0.01
    data, rate = _read(paths["mp3"])
    assert rate == 48000 and data.shape[1] == 2
    assert abs(data.shape[0] - 480000) <= 3000  # encoder delay/padding only
    info = sf.info(str(paths["flac"]))
    assert info.subtype == "PCM_16"
    assert sf.info(str(paths["wav"])).subtype == "PCM_24"


def test_sidecar_records_request_seed_adapter_and_backend(generated, parity):
    paths, _ = generated
    sidecar = json.loads((paths["wav"].parent / "song.wav.json").read_text(encoding="utf-8"))
    assert sidecar["seeds"] == [11] and not sidecar["seed_drawn"]
    assert sidecar["request"]["lyrics"] == KOREAN_LYRICS and sidecar["request"]["language"] == "ko"
    assert sidecar["variant"] == "acestep-v15-turbo"
    (adapter,) = sidecar["adapters"]
    assert adapter["scale"] == pytest.approx(0.7) and adapter["enabled"]
    assert len(adapter["sha256"]["adapter_model.safetensors"]) == 64
    assert sidecar["backend"]["name"] == "torch" and sidecar["backend"]["dtype"] == "float32"
    assert set(sidecar["timings_s"]) >= {"text", "diffusion", "decode"}
    assert "봄바람이" in sidecar["prompts"]["lyrics"]


def test_same_seed_same_song_other_seed_other_song(generated):
    paths, _ = generated
    a, _ = _read(paths["wav"])
    b, _ = _read(paths["same"])
    c, _ = _read(paths["other"])
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0.05


def test_batch_writes_numbered_files(parity, tmp_path):
    out = tmp_path / "take.wav"
    assert cli.main(_argv(parity, out, "--batch", "2", "--bit-depth", "32f")) == 0
    one, _ = _read(tmp_path / "take-1.wav")
    two, _ = _read(tmp_path / "take-2.wav")
    assert one.shape == two.shape == (480000, 2)
    assert not out.exists() and (tmp_path / "take.wav.json").is_file()
    single = tmp_path / "single.wav"
    assert cli.main(_argv(parity, single, "--bit-depth", "32f")) == 0
    # item 1 of a batch is the same seed alone (batched matmuls round differently: ~1e-6)
    np.testing.assert_allclose(_read(single)[0], one, atol=1e-5, rtol=0)


def _fails(argv, capsys):
    code = cli.main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0
    assert len(err) == 1 and err[0].startswith("mixgrv: error: "), err
    return err[0]


def test_broken_adapter_fails_cleanly(parity, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(parity / "lora" / "adapter", broken)
    data = (broken / "adapter_model.safetensors").read_bytes()
    (broken / "adapter_model.safetensors").write_bytes(data[: len(data) // 2])
    out = tmp_path / "x.wav"
    argv = _argv(parity, out)
    argv[argv.index("--lora") + 1] = f"{broken}:0.5"
    line = _fails(argv, capsys)
    assert "cannot be read" in line and str(broken) in line
    assert list(tmp_path.glob("x*")) == []


def test_adapter_for_another_model_fails_cleanly(parity, tmp_path, capsys):
    from safetensors.numpy import load_file, save_file

    wrong = tmp_path / "wrong"
    shutil.copytree(parity / "lora" / "adapter", wrong)
    tensors = load_file(str(wrong / "adapter_model.safetensors"))
    key = next(k for k in tensors if k.endswith("lora_A.weight"))
    tensors[key] = np.zeros((tensors[key].shape[0], 64), dtype=np.float32)  # in_features 64, model has 48
    save_file(tensors, str(wrong / "adapter_model.safetensors"))
    out = tmp_path / "x.wav"
    argv = _argv(parity, out)
    argv[argv.index("--lora") + 1] = str(wrong)
    line = _fails(argv, capsys)
    assert "does not fit" in line
    assert list(tmp_path.glob("x*")) == []


def test_missing_model_folder_fails_cleanly(parity, tmp_path, capsys):
    out = tmp_path / "x.wav"
    argv = _argv(parity, out)
    argv[argv.index("--models") + 1] = str(tmp_path / "no-models")
    line = _fails(argv, capsys)
    assert "does not exist" in line and "no-models" in line
    assert not out.exists() and not (tmp_path / "x.wav.json").exists()


@pytest.mark.parametrize("flag,value,words", [("--duration", "5", "duration"), ("--language", "kr", "language"),
                                               ("--batch", "9", "batch"), ("--bit-depth", "32f", "FLAC")])
def test_bad_values_fail_before_loading(parity, tmp_path, capsys, flag, value, words):
    out = tmp_path / ("x.flac" if flag == "--bit-depth" else "x.wav")
    argv = _argv(parity, out)
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv += [flag, value]
    argv[argv.index("--models") + 1] = str(tmp_path / "not-even-looked-at")
    line = _fails(argv, capsys)
    assert words.lower() in line.lower()


def test_subprocess_entry_point_prints_paths(parity, tmp_path):
    out = tmp_path / "p.wav"
    done = subprocess.run([sys.executable, "-m", "mixgrv_app", *_argv(parity, out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    assert "seed 11" in done.stderr


# ---- the Generator as the Generation tab uses it ---------------------------------------------------

@pytest.fixture(scope="module")
def generator(parity):
    from mixgrv_app.core.pipeline import Generator

    gen = Generator(parity / "checkpoints", "acestep-v15-turbo", backend="torch")
    yield gen
    gen.close()


def _request(**kw):
    """A small request; Generator tests use render() at 5 s (128 frames, upstream's minimum) to stay fast."""
    from mixgrv_app.core.requests import GenerationRequest

    values = dict(caption="lofi beat", lyrics="[verse]\nla la", language="en", duration=10, seed=5, adapters=None)
    values.update(kw)
    return GenerationRequest(**values)


def test_generator_serves_many_requests_with_adapter_switching(generator, parity):
    events = []
    base = generator.render(_request(duration=5), events=events.append)
    stages = [e.stage for e in events if isinstance(e, Progress)]
    assert stages[0] == "text" and "diffusion" in stages and stages[-1] == "decode"
    assert sum(1 for e in events if isinstance(e, Progress) and e.stage == "diffusion" and e.done > 0) == 8
    name = generator.load_adapter(parity / "lora" / "adapter")
    with_lora = generator.render(_request(duration=5))
    assert np.abs(with_lora.latents - base.latents).max() > 1e-3
    generator.set_adapter_scale(name, 0.0)
    np.testing.assert_allclose(generator.render(_request(duration=5)).latents, base.latents, atol=1e-6)
    generator.set_adapter_scale(name, 1.0)
    generator.enable_adapter(name, False)
    np.testing.assert_array_equal(generator.render(_request(duration=5)).latents, base.latents)
    generator.enable_adapter(name, True)
    np.testing.assert_array_equal(generator.render(_request(duration=5)).latents, with_lora.latents)
    second = generator.load_adapter(parity / "lora" / "adapter", name="again")
    generator.set_adapter_scale(second, 0.5)
    stacked = generator.render(_request(duration=5))
    generator.unload_adapter(second)
    np.testing.assert_array_equal(generator.render(_request(duration=5)).latents, with_lora.latents)
    assert np.abs(stacked.latents - with_lora.latents).max() > 1e-3
    generator.unload_adapter(name)
    np.testing.assert_array_equal(generator.render(_request(duration=5)).latents, base.latents)


def test_missing_seed_is_drawn_and_reported(generator):
    result = generator.render(_request(duration=5, seed=None, batch_size=2))
    assert result.seed_drawn and result.seeds[1] == result.seeds[0] + 1
    again = generator.render(_request(duration=5, seed=result.seeds[0], batch_size=2))
    np.testing.assert_array_equal(again.audio[1], result.audio[1])


def test_cancel_between_steps(generator):
    cancel = CancelToken()
    seen = []

    def events(event):
        seen.append(event)
        if isinstance(event, Progress) and event.stage == "diffusion" and event.done == 3:
            cancel.cancel()

    with pytest.raises(Cancelled):
        generator.generate(_request(), events=events, cancel=cancel)
    assert max(e.done for e in seen if isinstance(e, Progress) and e.stage == "diffusion") == 3


def test_base_variant_with_guidance(parity):
    from mixgrv_app.core.pipeline import Generator

    gen = Generator(parity / "checkpoints", "acestep-v15-base", backend="torch")
    events = []
    result = gen.generate(_request(variant="acestep-v15-base", steps=4, guidance=3.0, shift=2.0, guidance_mode="adg", batch_size=2),
                          events=events.append)
    assert len(result.audio) == 2 and np.isfinite(result.latents).all()
    assert sum(1 for e in events if isinstance(e, Progress) and e.stage == "diffusion" and e.done > 0) == 4
    gen.close()


def test_mlx_unavailable_is_a_clear_error_or_a_noted_fallback(parity, monkeypatch):
    """Forcing MLX where it cannot start fails with one clear error; "auto" on Apple Silicon
    falls back to torch and says why (simulated here by making the MLX backend unimportable)."""
    import sys

    from mixgrv_app.core import pipeline
    from mixgrv_app.core.errors import MixgrvError
    from mixgrv_app.core.pipeline import Generator

    monkeypatch.setitem(sys.modules, "mixgrv_app.core.mlx_model.backend", None)  # import now raises ImportError
    with pytest.raises(MixgrvError) as info:
        Generator(parity / "checkpoints", "acestep-v15-turbo", backend="mlx")
    assert info.value.code == "generate.backend_unavailable"
    monkeypatch.setattr(pipeline, "_apple_silicon", lambda: True)
    gen = Generator(parity / "checkpoints", "acestep-v15-turbo", backend="auto", device="cpu")
    try:
        assert gen.backend.info.name == "torch"
        assert any("MLX" in note for note in gen.backend.info.notes)
    finally:
        gen.close()


@pytest.fixture(scope="module")
def source_wav(tmp_path_factory):
    rng = np.random.default_rng(0)
    t = np.arange(24000) / 48000  # 0.5 s: the tiny VAE encodes slowly on CPU
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(t.shape)
    path = tmp_path_factory.mktemp("src") / "source.wav"
    sf.write(str(path), np.stack([tone, tone[::-1]], axis=1).astype(np.float32), 48000)
    return path


def test_cover(generator, source_wav):
    cover = generator.render(_request(duration=5, task="cover", source_audio=str(source_wav), cover_strength=0.5,
                                      cover_noise_strength=0.3))
    assert cover.latents.shape == (1, 128, 64) and np.isfinite(cover.latents).all()  # 12 frames, silence-padded to 128
    assert cover.audio[0].shape == (2, 128 * 1920)
    text2music = generator.render(_request(duration=5))
    assert np.abs(text2music.latents - cover.latents).max() > 1e-3
    assert "source_encode" in cover.timings


def test_reference_assembly_is_three_seeded_segments():
    import random

    from mixgrv_app.core.pipeline import assemble_reference

    sr = 48000
    audio = np.tile(np.arange(36 * sr, dtype=np.float64), (2, 1))  # sample value = its index
    out = assemble_reference(audio, random.Random(3))
    assert out.shape == (2, 30 * sr)
    np.testing.assert_array_equal(out, assemble_reference(audio, random.Random(3)))
    assert not np.array_equal(out, assemble_reference(audio, random.Random(4)))
    for i in range(3):  # front / middle / back third: one contiguous 10 s piece each
        segment = out[0, i * 10 * sr:(i + 1) * 10 * sr]
        assert np.all(np.diff(segment) == 1)
        assert i * 12 * sr <= segment[0] <= i * 12 * sr + 2 * sr
    short = assemble_reference(np.ones((2, 5 * sr), dtype=np.float32), random.Random(0))
    assert short.shape == (2, 30 * sr)  # repeated up to 30 s first


def test_repaint_keeps_the_source_outside_the_region(generator, source_wav):
    a = generator.render(_request(duration=5, task="repaint", source_audio=str(source_wav), repaint_start=0.2, repaint_end=0.4,
                                  repaint_crossfade_frames=3))
    b = generator.render(_request(duration=5, caption="something else entirely", task="repaint", source_audio=str(source_wav),
                                  repaint_start=0.2, repaint_end=0.4, repaint_crossfade_frames=3))
    start, end = 5, 10  # region in latent frames
    np.testing.assert_array_equal(a.latents[:, : start - 3], b.latents[:, : start - 3])
    np.testing.assert_array_equal(a.latents[:, end + 3:], b.latents[:, end + 3:])
    assert np.abs(a.latents[:, start:end] - b.latents[:, start:end]).max() > 1e-3
    # outpainting: 0.25 s before and 0.75 s after the 0.5 s source (1.5 s, silence-padded to 128 frames)
    out = generator.render(_request(duration=5, task="extend", source_audio=str(source_wav), repaint_start=-0.25, repaint_end=1.25))
    assert out.latents.shape == (1, 128, 64) and np.isfinite(out.audio[0]).all()
