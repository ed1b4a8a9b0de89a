"""End to end: every generation-task case (``p_*``) through the real ``mixgrv generate`` CLI.

The command line is built from the case's ``generate_music_kwargs`` (parametrized by case name,
on both backends), the source/reference are the case's audio written as 32-bit float WAVs, and
the VAE posterior eps / reference segments follow the case's documented rule through the CLI's
reproduction hooks ($MIXGRV_VAE_EPS_SEED, $MIXGRV_REFERENCE_SEED); the initial noise is the
CLI's own seed rule, which is the case's. The written 32-bit float WAV must equal upstream's
returned audio at the case's atol, be T·1920 samples long, and the sidecar must record the task
and the source (path + SHA-256). Bad requests exit non-zero with one line on stderr and leave
no file (real child processes).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from mixgrv_app import cli
from tests.parity.test_tasks import (ERRORS, _case_params, _pick, _task_cases, case_task, check_audio, load_case,
                                     python_random_seed, write_inputs)


def _fmt(value) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def cli_args(params, paths, out, backend) -> list[str]:
    """``mixgrv generate`` arguments equivalent to the case's generate_music call."""
    from tests.conftest import parity_dir

    kw = params["generate_music_kwargs"]
    audio_kw = params["generate_audio_kwargs_non_tensor"]
    source = params.get("instruction_source", {})
    argv = ["generate", "--quiet", "--models", str(parity_dir() / "checkpoints"), "--variant", params["model_variant"],
            "--backend", backend, "--caption", kw["captions"], "--lyrics", kw["lyrics"], "--language", kw["vocal_language"],
            "--steps", str(kw["inference_steps"]), "--guidance", _fmt(kw["guidance_scale"]), "--shift", _fmt(kw["shift"]),
            "--seed", str(kw["seed"]), "--batch", str(kw["batch_size"]), "--task", case_task(params),
            "--cover-strength", _fmt(audio_kw["audio_cover_strength"]), "--cover-noise", _fmt(audio_kw["cover_noise_strength"]),
            "--bit-depth", "32f", "--out", str(out)]
    if kw["bpm"] is not None:
        argv += ["--bpm", str(kw["bpm"])]
    if kw["key_scale"]:
        argv += ["--key", kw["key_scale"]]
    if kw["time_signature"]:
        argv += ["--time-signature", str(kw["time_signature"])]
    if kw["audio_duration"] is not None:
        argv += ["--duration", _fmt(kw["audio_duration"])]
    if "in.src_audio" in paths:
        argv += ["--source", paths["in.src_audio"]]
    if "in.reference_audio" in paths:
        argv += ["--reference-audio", paths["in.reference_audio"]]
    if kw.get("repainting_start") is not None or kw.get("repainting_end") is not None:
        start, end = kw.get("repainting_start"), kw.get("repainting_end")
        argv += ["--region", f"{'' if start is None else _fmt(start)}:{'' if end is None else _fmt(end)}"]
    if source.get("track_name"):
        argv += ["--track", source["track_name"]]
    if source.get("complete_track_classes"):
        argv += ["--tracks", ",".join(source["complete_track_classes"])]
    if kw.get("audio_code_string"):
        argv += ["--audio-codes", kw["audio_code_string"]]
    return argv


@pytest.fixture(scope="module")
def cases(parity):
    return _task_cases(parity)


def _cli_params():
    """(case, backend) pairs: every case through the CLI on torch; on MLX every case that does not
    encode a 30 s reference (the MLX encode of a reference is checked through the Generator in
    tests/parity/test_tasks.py; through the CLI it would only repeat two minutes of VAE work)."""
    from tests.conftest import parity_dir

    cases = _task_cases(parity_dir())
    pairs = []
    for param in _case_params():
        name = param if isinstance(param, str) else param.values[0]
        marks = () if isinstance(param, str) else param.marks
        pairs.append(pytest.param(name, "torch", marks=marks, id=f"{name}-torch"))
        if not cases[name]["params"]["generate_music_kwargs"].get("reference_audio"):
            pairs.append(pytest.param(name, "mlx", id=f"{name}-mlx"))
    return pairs


@pytest.mark.parametrize(("name", "backend"), _cli_params())
def test_task_case_through_the_cli(parity, cases, tmp_path, monkeypatch, name, backend):
    params = cases[name]["params"]
    expected = load_case(parity, name)
    paths = write_inputs(expected, tmp_path)
    out = tmp_path / "take.wav"
    monkeypatch.setenv("MIXGRV_VAE_EPS_SEED", str(params["vae_posterior_eps_seed"]))
    monkeypatch.setenv("MIXGRV_REFERENCE_SEED", str(python_random_seed(params)))
    assert cli.main(cli_args(params, paths, out, backend)) == 0
    data, rate = sf.read(str(out), dtype="float32", always_2d=True)
    assert rate == 48000
    check_audio(params, expected, data.T[None], ERRORS, f"cli {name}[{backend}]")
    sidecar = json.loads((tmp_path / "take.wav.json").read_text(encoding="utf-8"))
    codes = bool(params["generate_music_kwargs"].get("audio_code_string"))
    assert sidecar["task"] == ("cover" if codes else case_task(params))
    assert sidecar["prompts"]["caption"] == params["prompts"]["caption_prompt"]
    assert sidecar["samples_per_channel"] == [params["lengths"]["output_samples_per_channel"]]
    if codes:
        assert sidecar["source"] is None and sidecar["request"]["audio_codes"]
    else:
        digest = hashlib.sha256(open(paths["in.src_audio"], "rb").read()).hexdigest()
        assert sidecar["source"]["sha256"] == digest and sidecar["source"]["path"] == paths["in.src_audio"]
        assert sidecar["request"]["source_audio"] == paths["in.src_audio"] and sidecar["request"]["task"] == case_task(params)


def test_audio_codes_from_a_file_equal_the_string(parity, cases, tmp_path):
    """``--audio-codes @FILE`` reads the same codes (torch; the string form runs above)."""
    name = _pick(cases, lambda p: p["generate_music_kwargs"].get("audio_code_string"))
    params = cases[name]["params"]
    (tmp_path / "codes.txt").write_text(params["generate_music_kwargs"]["audio_code_string"], encoding="utf-8")
    argv = cli_args(params, {}, tmp_path / "take.wav", "torch")
    argv[argv.index("--audio-codes") + 1] = "@" + str(tmp_path / "codes.txt")
    assert cli.main(argv) == 0
    data, _ = sf.read(str(tmp_path / "take.wav"), dtype="float32", always_2d=True)
    check_audio(params, load_case(parity, name), data.T[None], ERRORS, "cli @codes")


# ---- refusals: one line, exit != 0, no file (real child processes) ----------------------------------

def _run(argv, cwd):
    return subprocess.run([sys.executable, "-m", "mixgrv_app", *argv], capture_output=True, text=True, cwd=cwd, timeout=300)


def _base(parity, out, *extra):
    return ["generate", "--quiet", "--models", str(parity / "checkpoints"), "--caption", "Warm acoustic pop", "--seed", "3",
            "--out", str(out), *extra]


@pytest.fixture(scope="module")
def short_source(tmp_path_factory):
    path = tmp_path_factory.mktemp("src") / "source.wav"
    t = np.arange(int(1.5 * 48000)) / 48000
    sf.write(str(path), np.stack([np.sin(2 * np.pi * 220 * t)] * 2, axis=1).astype(np.float32) * 0.3, 48000, subtype="FLOAT")
    return path


def _refusals(parity, short_source, tmp_path):
    long_path = tmp_path / "long.wav"
    sf.write(str(long_path), np.zeros((601 * 8000, 1), dtype=np.int16), 8000, subtype="PCM_16")  # 601 s, 8 kHz mono
    garbage = tmp_path / "garbage.wav"
    garbage.write_text("not audio at all", encoding="utf-8")
    src = str(short_source)
    return {
        "base_only": (["--task", "lego", "--source", src, "--track", "guitar"], "acestep-v15-base"),
        "region_repaint_past_end": (["--task", "repaint", "--source", src, "--region", "0.5:3"], "region"),
        "region_extend_inside": (["--task", "extend", "--source", src, "--region", "0.2:1.0"], "region"),
        "region_negative_repaint": (["--task", "repaint", "--source", src, "--region", "-2:1"], "extend"),
        "source_too_long": (["--task", "cover", "--source", str(long_path)], "600"),
        "undecodable": (["--task", "cover", "--source", str(garbage)], "garbage.wav"),
        "no_codes": (["--audio-codes", "nothing here"], "audio_code"),
        "bad_track": (["--task", "extract", "--source", src, "--track", "kazoo", "--variant", "acestep-v15-base"], "vocals"),
        "no_source": (["--task", "repaint", "--region", "0:1"], "source"),
        "bad_region_text": (["--task", "extend", "--source", src, "--region", "ten:20"], "START:END"),
    }


def test_refusals_are_one_line_and_leave_no_file(parity, short_source, tmp_path):
    from tests.conftest import REPO_ROOT

    for label, (extra, needle) in _refusals(parity, short_source, tmp_path).items():
        out = tmp_path / f"{label}.wav"
        done = _run(_base(parity, out, *extra), REPO_ROOT)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode != 0, (label, done.stdout, done.stderr)
        assert len(lines) == 1 and lines[0].startswith("mixgrv: error:"), (label, done.stderr)
        assert needle in lines[0], (label, lines[0])
        assert not out.exists() and not (tmp_path / f"{label}.wav.json").exists(), label
