"""Parity: every m_cli_* case of cli_cases.json through the real `mixgrv generate` (main(argv)).

Run from the set root (relative argv paths such as ``lora/adapter`` resolve there); only
``--out`` is redirected into a temporary folder because the set is read-only. The written
32-bit float WAVs must have exactly the case's sample count and match head, tail and the
float64 checksums within the case's atol.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from safetensors.numpy import load_file

from mixgrv_app import cli
from tests.conftest import parity_dir


def _cases(root):
    return json.loads((root / "cli_cases.json").read_text(encoding="utf-8"))


def _case_names():
    root = parity_dir()
    if not (root / "cli_cases.json").is_file():
        return ["cli_cases.json missing"]
    return [c["case"] for c in _cases(root)]


@pytest.mark.parametrize("name", _case_names())
def test_cli_case(parity, tmp_path, monkeypatch, name, capsys):
    case = next(c for c in _cases(parity) if c["case"] == name)
    argv = [str(parity / "checkpoints") if a == "CHECKPOINTS" else a for a in case["argv"]]
    out_index = argv.index("--out") + 1
    out_name = argv[out_index]
    argv[out_index] = str(tmp_path / out_name)
    monkeypatch.chdir(parity)
    assert cli.main(["generate", "--quiet", *argv]) == 0, capsys.readouterr().err

    expected = load_file(str(parity / case["expected_file"]))
    vae = json.loads((parity / "cases.json").read_text(encoding="utf-8"))["model_dims"]["vae"]
    n = case["samples_per_channel"]
    head, tail = expected["out.audio_head"].shape[-1], expected["out.audio_tail"].shape[-1]
    items = []
    for output in sorted(case["outputs"], key=lambda o: o["batch_index"]):
        data, rate = sf.read(str(tmp_path / output["file"]), dtype="float32", always_2d=True)
        assert rate == vae["sampling_rate"] and data.shape == (n, vae["audio_channels"]), (output["file"], data.shape)
        items.append(data.T)
    audio = np.stack(items)
    derived = {
        "out.audio_head": audio[:, :, :head],
        "out.audio_tail": audio[:, :, n - tail:n],
        "out.audio_sum": audio.astype(np.float64).sum(axis=-1),
        "out.audio_sumsq": (audio.astype(np.float64) ** 2).sum(axis=-1),
    }
    errors = {key: float(np.max(np.abs(derived[key] - expected[key]))) for key in case["compare"]}
    print(name, errors)
    for key in case["compare"]:
        assert errors[key] <= case["atol"][key], f"{name} {key}: max error {errors[key]:.3g} > atol {case['atol'][key]}"
    sidecar = json.loads((tmp_path / (out_name + ".json")).read_text(encoding="utf-8"))
    assert sidecar["seeds"][0] == int(argv[argv.index("--seed") + 1])
