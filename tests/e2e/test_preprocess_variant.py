"""Preprocessing for another DiT ("학습할 모델"): only the DiT-dependent tensors are made again.

``encoder_hidden_states`` come from the chosen DiT's condition encoder and ``context_latents``
from its folder's silence latent; ``target_latents`` depend only on the audio, the VAE and the
settings. So a dataset prepared for turbo and then for base keeps its VAE latents (no audio or
VAE stage runs) and rewrites the rest, recording the new variant; ``force`` redoes everything.
Real core on the parity checkpoints, short tones.
"""

from __future__ import annotations

import soundfile as sf
import torch
from safetensors import safe_open

from mixgrv_app.core import dataset as D
from mixgrv_app.core.dataset_import import ImportRequest, run_import
from mixgrv_app.core.dataset_labels import edit_track
from mixgrv_app.core import preprocess as P
from mixgrv_app.core.fileio import read_json
from mixgrv_app.core.jobs import Log
from support.audio_corpus import tone


def _tensors(path):
    with safe_open(str(path), framework="pt") as handle:
        return {k: handle.get_tensor(k) for k in handle.keys()}


def test_a_second_model_keeps_the_vae_latents_and_remakes_the_conditions(tmp_path, parity_checkpoints):
    from mixgrv_app.core import models

    installed = models.installed_dits(str(parity_checkpoints))
    first = models.preferred_dit(str(parity_checkpoints))
    second = next(v for v in installed if v != first)
    src = tmp_path / "src"
    src.mkdir()
    sf.write(str(src / "piano.wav"), tone(0.6, 48000, 2, seed=1), 48000)
    D.create_dataset("pv")
    run_import(ImportRequest("pv", [str(src)]))
    ds = D.open_dataset("pv")
    edit_track(ds, "piano", caption="warm piano")
    track = D.open_dataset("pv").tracks[0]

    def run(variant, **kw):
        events = []
        result = P.run(P.PreprocessRequest(dataset="pv", models_dir=str(parity_checkpoints), variant=variant,
                                           device="cpu", **kw), events.append)
        return result, events

    done, _ = run(first)
    assert [t.status for t in done.tracks] == ["done"] and done.timings["vae"] > 0
    path = done.tracks[0].tensors
    before = _tensors(path)

    again, events = run(second)
    assert [t.status for t in again.tracks] == ["done"]        # the DiT changed: the track is made again ...
    assert again.timings["vae"] == 0 and again.timings["audio"] == 0   # ... without decoding or the VAE
    assert again.timings["condition_encoder"] > 0
    assert any(isinstance(e, Log) and "VAE latents kept" in e.message for e in events)
    after = _tensors(path)
    assert torch.equal(after["target_latents"], before["target_latents"])
    assert after["encoder_hidden_states"].shape == before["encoder_hidden_states"].shape
    meta = read_json(P.tensors_dir("pv") / f"{track.id}.json")["mixgrv"]
    assert meta["variant"] == second and meta["seconds"] == round(done.tracks[0].seconds, 3)
    assert read_json(P.tensors_dir("pv") / P.MANIFEST)["mixgrv"]["variant"] == second

    unchanged, _ = run(second)
    assert [t.status for t in unchanged.tracks] == ["unchanged"]
    forced, _ = run(first, force=True)
    assert forced.timings["vae"] > 0                          # force redoes every stage
    assert torch.equal(_tensors(path)["target_latents"], before["target_latents"])  # the same seed rule
