"""Preprocessing a real dataset on the parity checkpoints: upstream's keys, shapes and dtypes; the
condition part equals the core models' output for upstream's training prompt; context from the
silence latent; a re-run does no work; a cancelled run resumes; an injected NaN is caught and
names the track and stage; the CLI verb. Clips are ≤ 1 s (VAE encode dominates on 2 cores)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
import torch
from safetensors import safe_open

from mixgrv_app.core import dataset as D
from mixgrv_app.core import dataset_import, dataset_labels
from mixgrv_app.core import preprocess as P
from mixgrv_app.core.jobs import Artifact, CancelToken, Cancelled, Progress
from support.audio_corpus import tone

VARIANT = "acestep-v15-turbo"
EXPECTED_ROWS = P.LYRIC_MAX_TOKENS + 1 + P.TEXT_MAX_TOKENS  # 512 lyric + 1 timbre + 256 text = 769


@pytest.fixture(scope="module")
def encoders(parity_checkpoints):
    return P.Encoders(parity_checkpoints, VARIANT, device="cpu", dtype="float32")


@pytest.fixture
def dataset(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    sf.write(str(src / "피아노.wav"), tone(0.6, 44100, 2, seed=1), 44100)
    sf.write(str(src / "drums.flac"), tone(0.45, 48000, 1, seed=2), 48000)
    sf.write(str(src / "bass.mp3"), tone(0.5, 22050, 2, seed=3), 22050)
    D.create_dataset("pp", custom_tag="mytag", tag_position="prepend")
    dataset_import.run_import(dataset_import.ImportRequest("pp", [str(src)]))
    ds = D.open_dataset("pp")
    dataset_labels.edit_track(ds, "피아노", caption="warm piano", bpm=90, lyrics="[Verse]\n안녕 hello", language="ko")
    dataset_labels.edit_track(ds, "drums", caption="tight drums", keyscale="C major", timesignature="4")
    return D.open_dataset("pp")


def _run(models, **kw):
    events = []
    kw.setdefault("cancel", None)
    encoders = kw.pop("encoders", None)
    cancel = kw.pop("cancel")
    req = P.PreprocessRequest(dataset="pp", models_dir=str(models), variant=VARIANT, device="cpu", **kw)
    result = P.run(req, events.append, cancel, encoders=encoders)
    return result, events


def test_tensors_have_upstreams_keys_shapes_dtypes_and_conditions(parity_checkpoints, encoders, dataset):
    result, events = _run(parity_checkpoints, encoders=encoders)
    assert [t.status for t in result.tracks] == ["done"] * 3
    out = Path(result.out_dir)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t.id}.safetensors" for t in dataset.tracks] + [f"{t.id}.json" for t in dataset.tracks] + ["manifest.json"])

    hidden = encoders.encoder.text_projector.out_features if hasattr(encoders.encoder.text_projector, "out_features") else None
    silence = encoders.silence
    for track in dataset.tracks:
        path = out / f"{track.id}.safetensors"
        with safe_open(str(path), "pt") as fh:
            assert set(fh.keys()) == set(P.TENSOR_KEYS)
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
        frames = int(round(track.analysis["duration"], 6) * 48000) // 1920
        assert tensors["target_latents"].shape == (frames, 64) and tensors["target_latents"].dtype == torch.float32
        assert tensors["attention_mask"].shape == (frames,) and torch.all(tensors["attention_mask"] == 1)
        assert tensors["attention_mask"].dtype == torch.float32
        ehs = tensors["encoder_hidden_states"]
        assert ehs.shape[0] == EXPECTED_ROWS and ehs.dtype == torch.float32
        if hidden:
            assert ehs.shape[1] == hidden
        assert tensors["encoder_attention_mask"].shape == (EXPECTED_ROWS,)
        assert tensors["encoder_attention_mask"].dtype == torch.bool
        ctx = tensors["context_latents"]
        assert ctx.shape == (frames, 128)
        assert torch.equal(ctx[:, :64], silence[:frames]) and torch.all(ctx[:, 64:] == 1)
        meta = json.loads((out / f"{track.id}.json").read_text(encoding="utf-8"))
        assert set(meta["metadata"]) == {"audio_path", "filename", "caption", "lyrics", "duration", "bpm", "keyscale",
                                         "timesignature", "language", "is_instrumental"}
        assert Path(meta["metadata"]["audio_path"]).is_file()

    # the condition part equals what the core models compute for upstream's training prompt,
    # written out here by hand from upstream's template
    piano = dataset.track("피아노")
    prompt = ("# Instruction\nFill the audio semantic mask based on the given conditions:\n\n"
              "# Caption\nmytag, warm piano\n\n# Metas\n- bpm: 90\n- timesignature: N/A\n- keyscale: N/A\n"
              "- duration: 0 seconds\n<|endoftext|>\n")
    tok = encoders.tokenizer
    text_ids = tok.encode(prompt, 256)
    lyric_ids = tok.encode("[Verse]\n안녕 hello", 512)
    ids = torch.full((1, 256), tok.pad_id, dtype=torch.long)
    ids[0, : len(text_ids)] = torch.tensor(text_ids)
    lids = torch.full((1, 512), tok.pad_id, dtype=torch.long)
    lids[0, : len(lyric_ids)] = torch.tensor(lyric_ids)
    tmask = (torch.arange(256) < len(text_ids)).long()[None]
    lmask = (torch.arange(512) < len(lyric_ids)).long()[None]
    with torch.inference_mode():
        text_h = encoders.text_encoder(ids)
        text_h = getattr(text_h, "last_hidden_state", text_h)
        lyric_h = encoders.text_encoder.embed_tokens(lids)
        want_h, want_m = encoders.encoder(text_h, tmask.bool(), lyric_h, lmask.bool(), torch.zeros(1, 1, 64),
                                          torch.zeros(1, dtype=torch.long))
    got = P.load_tensors(out / f"{piano.id}.safetensors")
    assert torch.allclose(got["encoder_hidden_states"], want_h[0], atol=1e-5, rtol=0)
    assert torch.equal(got["encoder_attention_mask"], want_m[0].bool())
    # packed: [lyric valid | timbre | text valid | pads]
    assert int(got["encoder_attention_mask"].sum()) == len(text_ids) + len(lyric_ids) + 1
    assert bool(got["encoder_attention_mask"][: len(lyric_ids) + 1 + len(text_ids)].all())
    assert got["metadata"]["caption"] == "mytag, warm piano"

    # the latents are a posterior sample: close to the VAE mean within a few std
    from mixgrv_app.core.audio import load_audio

    audio, _ = load_audio(dataset.audio_file(piano))
    frames = audio.shape[1] // 1920
    with torch.inference_mode():
        mean, std = encoders.vae.encode(torch.from_numpy(audio[:, : frames * 1920])[None])
    z = (got["target_latents"] - mean[0].T) / std[0].T
    assert z.abs().max() < 6 and 0.5 < z.std() < 1.5

    # events: per-track stages, overall progress with ETA ending at 1.0, one artifact per track
    assert sum(isinstance(e, Artifact) for e in events) == 3
    overall = [e for e in events if isinstance(e, Progress) and e.stage == "preprocess"]
    assert overall[-1].overall == pytest.approx(1.0) and any(e.eta_s is not None for e in overall[1:])
    assert {e.message.split(": ")[-1] for e in events if isinstance(e, Progress) and e.stage == "track"} >= set(P.STAGES)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["num_samples"] == 3 and manifest["metadata"]["name"] == "pp"
    assert all(Path(p).is_file() for p in manifest["samples"])

    # a re-run does no work: nothing loaded, nothing rewritten (plan() says so without models)
    req = P.PreprocessRequest(dataset="pp", models_dir=str(parity_checkpoints), variant=VARIANT, device="cpu")
    assert [e["status"] for e in P.plan(req)] == ["current"] * 3
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != "manifest.json"}
    again, events = _run(parity_checkpoints)
    assert [t.status for t in again.tracks] == ["unchanged"] * 3
    assert not any(isinstance(e, Progress) and e.stage == "load" for e in events)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != "manifest.json"} == stamps

    # a label change redoes only that track; same audio and seed give the same latents
    drums = dataset.track("drums")
    before = P.load_tensors(out / f"{drums.id}.safetensors")
    dataset_labels.edit_track(D.open_dataset("pp"), "drums", caption="loose drums")
    assert {e["filename"]: e["status"] for e in P.plan(req)}["drums.flac"] == "stale"
    third, _ = _run(parity_checkpoints, encoders=encoders)
    assert {t.filename: t.status for t in third.tracks} == {"피아노.wav": "unchanged", "drums.flac": "done",
                                                           "bass.mp3": "unchanged"}
    after = P.load_tensors(out / f"{drums.id}.safetensors")
    assert torch.equal(after["target_latents"], before["target_latents"])
    assert not torch.equal(after["encoder_hidden_states"], before["encoder_hidden_states"])
    assert after["metadata"]["caption"] == "mytag, loose drums"


def test_cancel_then_resume(parity_checkpoints, encoders, dataset):
    cancel = CancelToken()
    written = []

    def sink(event):
        if isinstance(event, Artifact):
            written.append(event.path)
            cancel.cancel()

    req = P.PreprocessRequest(dataset="pp", models_dir=str(parity_checkpoints), variant=VARIANT, device="cpu")
    with pytest.raises(Cancelled):
        P.run(req, sink, cancel, encoders=encoders)
    out = P.tensors_dir("pp")
    names = sorted(p.name for p in out.iterdir())
    assert len(written) == 1 and names == sorted([Path(written[0]).name, Path(written[0]).with_suffix(".json").name])
    assert not (out / "manifest.json").exists()  # no manifest from a half-finished run
    result, _ = _run(parity_checkpoints, encoders=encoders)
    assert sorted(t.status for t in result.tracks) == ["done", "done", "unchanged"]
    # a track removed from the dataset loses its tensors on the next run
    gone = D.remove_track(D.open_dataset("pp"), "bass")
    result, _ = _run(parity_checkpoints, encoders=encoders)
    assert [t.status for t in result.tracks] == ["unchanged", "unchanged"]
    assert not list(out.glob(f"{gone.id}.*"))
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["num_samples"] == 2


def test_injected_nan_stops_with_track_and_stage(parity_checkpoints, encoders, dataset):
    weight = encoders.text_encoder.norm.weight
    saved = weight.detach().clone()
    try:
        with torch.no_grad():
            weight[0] = float("nan")
        with pytest.raises(P.PreprocessError) as e:
            _run(parity_checkpoints, encoders=encoders)
    finally:
        with torch.no_grad():
            weight.copy_(saved)
    err = e.value
    assert err.code == "preprocess.non_finite"
    assert err.params["stage"] == "text_encoder" and err.params["track"] == dataset.tracks[0].filename
    assert dataset.tracks[0].filename in err.message and "text_encoder" in err.message
    assert not any(P.tensors_dir("pp").glob("*.safetensors"))  # nothing half-written


def test_unreadable_track_is_reported_and_others_go_on(parity_checkpoints, encoders, dataset):
    dataset.audio_file(dataset.track("bass")).write_bytes(b"gone")
    result, _ = _run(parity_checkpoints, encoders=encoders)
    status = {t.filename: (t.status, t.code) for t in result.tracks}
    assert status["bass.mp3"] == ("failed", "audio.undecodable")
    assert status["drums.flac"][0] == status["피아노.wav"][0] == "done"


def test_cli_preprocess_json(parity_checkpoints, dataset, capsys):
    from mixgrv_app.cli import main

    code = main(["preprocess", "pp", "--models", str(parity_checkpoints), "--device", "cpu", "--max-seconds", "0.2",
                 "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert [t["status"] for t in report["tracks"]] == ["done"] * 3
    assert all(t["frames"] == 5 for t in report["tracks"])  # capped: 0.2 s -> 5 frames
    assert main(["preprocess", "pp", "--models", str(parity_checkpoints), "--device", "cpu", "--max-seconds", "0.2"]) == 0
    assert "0 preprocessed, 3 unchanged, 0 failed" in capsys.readouterr().out


def test_missing_model_folder_stops_the_job(tmp_path, dataset, parity_checkpoints):
    import shutil

    from mixgrv_app.core.errors import CheckpointError

    models = tmp_path / "models"
    shutil.copytree(parity_checkpoints / VARIANT, models / VARIANT)
    shutil.copytree(parity_checkpoints / "Qwen3-Embedding-0.6B", models / "Qwen3-Embedding-0.6B")
    req = P.PreprocessRequest(dataset="pp", models_dir=str(models), variant=VARIANT, device="cpu")
    with pytest.raises(CheckpointError) as e:
        P.run(req)
    assert e.value.code == "checkpoint.missing_component" and "vae" in e.value.message
    assert not P.tensors_dir("pp").exists() or not any(P.tensors_dir("pp").iterdir())


def test_encoder_loaded_from_bf16_files_equals_a_float32_load(parity_checkpoints, encoders):
    from mixgrv_app.core.torch_model import loading

    full = loading.load_dit_model(parity_checkpoints / VARIANT, device="cpu", dtype="float32")
    ref = full.encoder.state_dict()
    for key, value in encoders.encoder.state_dict().items():
        assert value.dtype == ref[key].dtype and torch.equal(value, ref[key]), key


def test_child_process_entry_round_trip(parity_checkpoints, dataset):
    from dataclasses import asdict

    from mixgrv_app.core.child_jobs import run_in_child_process

    req = P.PreprocessRequest(dataset="pp", models_dir=str(parity_checkpoints), variant=VARIANT, device="cpu",
                              max_seconds=0.2)
    events = []
    payload = run_in_child_process("mixgrv_app.core.preprocess:child_entry", asdict(req), events.append)
    result = P.result_from_dict(payload)
    assert [t.status for t in result.processed] == ["done"] * 3 and result.device == "cpu"
    assert any(isinstance(e, Progress) and e.stage == "preprocess" for e in events)
    assert result.to_dict() == payload
