"""End to end: `mixgrv generate --backend mlx` vs `--backend torch` on the parity checkpoints.

Same request (caption, Korean lyrics, seed, LoRA at 0.7, 10 s, 32-bit float WAV) on both
backends, each in its own process. The MLX process must never import torch (checked in its
``sys.modules`` after the run). Tolerance on the audio: 3e-5 absolute (peak-normalised
samples), the suggested_atol upstream's own m_cli_turbo_lora_0_5 case gives its whole trimmed
audio; measured here 3.1e-6.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("mlx.core")

RUNNER = r"""
import json, sys
from mixgrv_app import cli
code = cli.main(sys.argv[1:])
torch_modules = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
print("RESULT " + json.dumps({"code": code, "torch_modules": torch_modules[:10]}))
"""

LYRICS = "[verse]\n봄바람이 불어오면\n너의 이름을 불러 볼게"


def _generate(parity, out, backend):
    argv = ["generate", "--quiet", "--models", str(parity / "checkpoints"), "--caption", "Dreamy K-pop ballad with soft piano",
            "--lyrics", LYRICS, "--language", "ko", "--seed", "7", "--duration", "10",
            "--lora", f"{parity / 'lora' / 'adapter'}:0.7", "--backend", backend, "--bit-depth", "32f", "--out", str(out)]
    proc = subprocess.run([sys.executable, "-c", RUNNER, *argv], capture_output=True, text=True, timeout=300)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line is not None, proc.stderr[-2000:]
    return json.loads(line[len("RESULT "):])


@pytest.fixture(scope="module")
def runs(parity, tmp_path_factory):
    folder = tmp_path_factory.mktemp("backends")
    return {backend: (folder / f"{backend}.wav", _generate(parity, folder / f"{backend}.wav", backend))
            for backend in ("mlx", "torch")}


def test_mlx_generation_never_imports_torch(runs):
    path, result = runs["mlx"]
    assert result["code"] == 0 and path.is_file()
    assert result["torch_modules"] == [], result["torch_modules"]
    sidecar = json.loads(path.with_name(path.name + ".json").read_text())
    assert sidecar["backend"]["name"] == "mlx"


def test_mlx_and_torch_give_the_same_song(runs):
    (mlx_path, mlx_result), (torch_path, torch_result) = runs["mlx"], runs["torch"]
    assert mlx_result["code"] == 0 and torch_result["code"] == 0
    assert torch_result["torch_modules"]  # the reference really ran on torch
    a, rate_a = sf.read(str(mlx_path), dtype="float32", always_2d=True)
    b, rate_b = sf.read(str(torch_path), dtype="float32", always_2d=True)
    assert rate_a == rate_b == 48000 and a.shape == b.shape == (480000, 2)
    assert np.abs(b).max() > 0.01
    error = float(np.abs(a - b).max())
    print(f"mlx vs torch audio: max abs error {error:.3g}")
    assert error <= 3e-5
