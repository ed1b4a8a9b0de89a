"""A tiny real dataset prepared for training on the parity checkpoints (shared by tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def prepared_dataset(tmp: Path, models: Path, name: str = "train-set", songs: int = 2, seconds: float = 1.2) -> str:
    """Write ``songs`` short stereo clips, import them, label them and preprocess them."""
    from mixgrv_app.core import dataset as ds_core
    from mixgrv_app.core import dataset_import, dataset_labels
    from mixgrv_app.core.preprocess import PreprocessRequest, run

    src = tmp / "songs"
    src.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for i in range(songs):
        t = np.arange(int(seconds * 48000)) / 48000
        tone = 0.3 * np.sin(2 * np.pi * (220 + 110 * i) * t) + 0.02 * rng.standard_normal(t.shape)
        sf.write(src / f"song{i}.wav", np.stack([tone, tone * 0.8], axis=1).astype(np.float32), 48000, subtype="PCM_16")
    ds_core.create_dataset(name)
    dataset_import.add_files(name, [str(src)])
    ds = ds_core.open_dataset(name)
    for i, track in enumerate(ds.tracks):
        dataset_labels.edit_track(ds, track.id, caption=f"test tone {i}", bpm=120)
    run(PreprocessRequest(dataset=name, models_dir=str(models), max_seconds=seconds))
    return name


def write_tensor_dataset(name: str, frames: list[int], hidden: int, rows: int = 769, seed: int = 0,
                         nan_track: int | None = None) -> str:
    """A dataset in core/preprocess.py's output form (per-track safetensors with upstream's five
    keys + manifest) written directly with random values, for tests and benches that need
    tensors of a given size without running the encoders. ``nan_track`` poisons one track."""
    import torch
    from safetensors.torch import save_file

    from mixgrv_app.core.fileio import write_json
    from mixgrv_app.core.preprocess import MANIFEST, tensors_dir

    folder = tensors_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    samples = []
    for i, t in enumerate(frames):
        states, latents = torch.randn(rows, hidden, generator=g), torch.randn(t, 64, generator=g)
        if nan_track == i:  # in the latents, so condition dropout cannot hide it
            latents[t // 2:] = float("nan")
        tensors = {
            "target_latents": latents,
            "attention_mask": torch.ones(t),
            "encoder_hidden_states": states,
            "encoder_attention_mask": torch.ones(rows, dtype=torch.bool),
            "context_latents": torch.cat([0.3 * torch.randn(t, 64, generator=g), torch.ones(t, 64)], dim=-1),
        }
        path = folder / f"track{i:02d}.safetensors"
        save_file(tensors, str(path))
        samples.append(str(path))
    write_json(folder / MANIFEST, {"metadata": {"name": name}, "samples": samples, "num_samples": len(samples)})
    return name
