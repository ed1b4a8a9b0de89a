"""MLX memory bounds: the VAE decode window is capped whatever the caller asks, and MLX's buffer
cache is given back after every generation job — also one that was cancelled mid-diffusion."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

mx = pytest.importorskip("mlx.core")

from mixgrv_app.core.jobs import Cancelled, CancelToken, Progress  # noqa: E402
from mixgrv_app.core.requests import GenerationRequest  # noqa: E402

TURBO = "acestep-v15-turbo"


@pytest.fixture(scope="module")
def gen(parity):
    from mixgrv_app.core.pipeline import Generator

    g = Generator(parity / "checkpoints", TURBO, backend="mlx", device="cpu")
    yield g
    g.close()


def _request(seed=3):
    return GenerationRequest(caption="lofi piano", lyrics="", instrumental=True, duration=10, variant=TURBO, seed=seed,
                             batch_size=1)


def test_decode_window_is_capped(gen, monkeypatch):
    from mixgrv_app.core.mlx_model.backend import MAX_DECODE_FRAMES, MAX_DECODE_FRAMES_GPU
    from mixgrv_app.core.pipeline import decode_chunk

    backend = gen.backend
    asked: list[tuple[int, int]] = []

    def fake_tiled_decode(z, chunk_size, overlap):
        asked.append((chunk_size, overlap))
        return mx.zeros((z.shape[0], 2, z.shape[-1] * 1920))

    monkeypatch.setattr(backend.vae, "tiled_decode", fake_tiled_decode)
    latents = np.zeros((1, 15000, 64), dtype=np.float32)  # 600 s, the longest request
    backend.vae_decode(latents, chunk_size=15000, overlap=64)
    assert asked[-1] == (MAX_DECODE_FRAMES["cpu"], 64) == (1024, 64)
    monkeypatch.setattr(backend, "info", dataclasses.replace(backend.info, device="metal"))
    backend.vae_decode(latents, chunk_size=15000, overlap=64)
    assert asked[-1] == (MAX_DECODE_FRAMES_GPU, 64) == (256, 64)
    # the pipeline's own choice is within the cap on both devices, so the cap never changes its
    # numbers (window equality itself: h_vae_tiled_decode in tests/parity/test_vae.py)
    assert decode_chunk("cpu", 15000) <= 1024 and decode_chunk("metal", 15000) <= 256


def test_cache_released_after_each_job(gen):
    gen.render(_request())
    assert mx.get_cache_memory() == 0


def test_cache_released_after_a_cancelled_job(gen):
    cancel = CancelToken()
    held: list[int] = []

    def events(event):
        if isinstance(event, Progress) and event.stage == "diffusion" and event.done == 2:
            held.append(mx.get_cache_memory())
            cancel.cancel()

    with pytest.raises(Cancelled):
        gen.render(_request(), events=events, cancel=cancel)
    assert held and held[0] > 0  # buffers were cached mid-job ...
    assert mx.get_cache_memory() == 0  # ... and given back although the job never reached the decode
