"""`mixgrv generate --backend mlx` vs `--backend torch`: same seed and LoRA, same audio within a
stated tolerance (1e-4 absolute on peak-normalised audio; measured ~4e-6), and the MLX run never
imports torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("mlx.core")


def _generate(parity, tmp_path, backend):
    out = tmp_path / f"{backend}.wav"
    code = (
        "import sys, runpy\n"
        "from mixgrv_app.cli import main\n"
        f"rc = main(['generate', '--models', {str(parity / 'checkpoints')!r}, '--caption', 'warm lo-fi piano',"
        " '--lyrics', '[verse]\\n봄바람이 불어오면', '--language', 'ko', '--duration', '10', '--seed', '21',"
        f" '--lora', {str(parity / 'lora' / 'adapter') + ':0.7'!r}, '--backend', {backend!r}, '--bit-depth', '32f',"
        f" '--out', {str(out)!r}])\n"
        "print('TORCH_IMPORTED', 'torch' in sys.modules)\n"
        "sys.exit(rc)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    audio, sr = sf.read(out, dtype="float32")
    return audio, sr, "TORCH_IMPORTED True" in res.stdout


def test_mlx_matches_torch_and_never_imports_torch(parity, tmp_path):
    mlx_audio, sr, mlx_torch = _generate(parity, tmp_path, "mlx")
    torch_audio, _, _ = _generate(parity, tmp_path, "torch")
    assert sr == 48000 and mlx_audio.shape == torch_audio.shape == (480000, 2)
    assert not mlx_torch, "the MLX generation imported torch"
    assert float(np.abs(mlx_audio - torch_audio).max()) < 1e-4
