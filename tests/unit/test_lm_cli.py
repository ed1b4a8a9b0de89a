"""`mixgrv compose` and `mixgrv understand` as a user runs them: real child processes, the set's
tiny checkpoints, JSON out; a missing LM folder is one clear line naming the folder to get."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[2]


def _mixgrv(*argv: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "mixgrv_app", *argv], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=REPO)


def test_compose_json_is_repeatable(parity_checkpoints):
    argv = ("compose", "a soft Korean love song", "--language", "ko", "--models", str(parity_checkpoints),
            "--backend", "torch", "--device", "cpu", "--seed", "5", "--max-tokens", "24", "--json")
    first = _mixgrv(*argv)
    assert first.returncode == 0, first.stderr[-2000:]
    data = json.loads(first.stdout)
    assert data["lm"] == "acestep-5Hz-lm-0.6B" and data["seed"] == 5 and data["instrumental"] is False
    assert isinstance(data["bpm"], int) and 30 <= data["bpm"] <= 300  # the decoder's range, from the LM itself
    again = _mixgrv(*argv)
    assert json.loads(again.stdout) == data


def test_understand_an_audio_file(parity_checkpoints, tmp_path):
    sr = 48000
    t = np.arange(int(1.6 * sr)) / sr
    tone = 0.3 * np.sin(2 * np.pi * 220 * t)
    path = tmp_path / "tone.wav"
    sf.write(path, np.stack([tone, tone], axis=1).astype(np.float32), sr)
    res = _mixgrv("understand", str(path), "--models", str(parity_checkpoints), "--backend", "torch", "--device", "cpu",
                  "--seed", "2", "--max-tokens", "20", "--temperature", "0", "--json")
    assert res.returncode == 0, res.stderr[-2000:]
    data = json.loads(res.stdout)
    assert data["codes"] == 8  # 1.6 s = 40 latent frames = 8 codes of 5 frames
    assert isinstance(data["bpm"], int) and data["language"] == "unknown"  # 20 tokens reach bpm, not language


def test_missing_lm_folder_is_one_clear_line(parity_checkpoints):
    res = _mixgrv("compose", "idea", "--models", str(parity_checkpoints), "--lm", "1.7B", "--backend", "torch")
    assert res.returncode == 2
    assert res.stderr.startswith("mixgrv: error: The 5 Hz LM folder acestep-5Hz-lm-1.7B/ is not in")
    assert "Traceback" not in res.stderr
