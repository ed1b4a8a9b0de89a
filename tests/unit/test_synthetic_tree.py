"""A synthetic checkpoint tree with other dimensions than the parity set loads through both
loaders and generates a song end to end — the same code paths as a real download."""

from __future__ import annotations

import numpy as np

from mixgrv_app.core import checkpoints
from mixgrv_app.core.torch_model import loading
from mixgrv_app.core.synthetic import TreeSpec, write_tree


def test_synthetic_tree_loads_and_generates(tmp_path):
    spec = TreeSpec(hidden=40, layers=3, heads=4, kv_heads=2, head_dim=10, text_hidden=24, vae_channels=8, seed=5,
                    variants=("acestep-v15-turbo", "acestep-v15-base"))
    root = write_tree(tmp_path / "checkpoints", spec)
    found = checkpoints.find_components(root)
    assert set(found.dits) == {"acestep-v15-turbo", "acestep-v15-base"} and found.vae and found.text_encoder
    model = loading.load_dit_model(root / "acestep-v15-turbo")
    assert model.config.hidden_size == 40 and len(model.decoder.layers) == 3

    from mixgrv_app.core.pipeline import Generator
    from mixgrv_app.core.requests import GenerationRequest

    gen = Generator(root, backend="torch", device="cpu")
    a = gen.generate(GenerationRequest(caption="lo-fi piano", lyrics="[verse]\n봄바람", language="ko", duration=10, seed=1))
    b = gen.generate(GenerationRequest(caption="lo-fi piano", lyrics="[verse]\n봄바람", language="ko", duration=10, seed=2))
    gen.close()
    assert a.audio[0].shape == (2, 480000) and np.isfinite(a.audio[0]).all()
    assert float(np.abs(a.audio[0] - b.audio[0]).max()) > 1e-3  # another seed, another song

    from mixgrv_app.core.mlx_model import loading as mlx_loading

    mlx_model = mlx_loading.load_dit_model(root / "acestep-v15-base")
    assert mlx_model.config.hidden_size == 40
