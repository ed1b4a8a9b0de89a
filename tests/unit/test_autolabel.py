"""Auto-label (core/autolabel.py, `mixgrv dataset label`) on the set's tiny checkpoints and tiny LM:
typed labels kept unless overwrite, auto-filled fields marked until edited, cancel keeps finished
songs, a killed child loses at most the song in flight and the next run continues, a silent song is
reported and skipped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixgrv_app.core import autolabel
from mixgrv_app.core import dataset as core
from mixgrv_app.core.dataset_import import ImportRequest, run_import
from mixgrv_app.core.dataset_labels import edit_track
from mixgrv_app.core.child_jobs import ChildDied, run_in_child_process
from mixgrv_app.core.jobs import Artifact, CancelToken, Cancelled

REPO = Path(__file__).resolve().parents[2]
MAX_TOKENS = 40  # enough for the CoT's bpm and caption on the tiny LM; keeps each song a few seconds


def _songs(folder: Path, freqs=(220.0, 330.0, 440.0), silent: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    sr = 48000
    t = np.arange(int(1.6 * sr)) / sr
    for i, f in enumerate(freqs):
        x = 0.3 * np.sin(2 * np.pi * f * t)
        sf.write(folder / f"song{i}.wav", np.stack([x, x], 1).astype(np.float32), sr)
    if silent:
        sf.write(folder / "zz_silent.wav", np.zeros((int(1.6 * sr), 2), np.float32), sr)
    return folder


def _dataset(name: str, folder: Path) -> core.Dataset:
    core.create_dataset(name)
    run_import(ImportRequest(name, [str(folder)]))
    return core.open_dataset(name)


def _request(name: str, checkpoints: Path, **kw) -> autolabel.AutoLabelRequest:
    return autolabel.AutoLabelRequest(name, str(checkpoints), backend="torch", device="cpu", max_tokens=MAX_TOKENS, **kw)


def test_typed_caption_kept_auto_fields_marked_cancel_keeps_finished(parity_checkpoints, tmp_path):
    ds = _dataset("al", _songs(tmp_path / "songs"))
    typed = ds.tracks[0]
    edit_track(ds, typed.id, caption="my own words")

    # every song, no overwrite: the typed caption stays, the LM fills what was empty
    result = autolabel.run(_request("al", parity_checkpoints, only_unlabeled=False))
    ds = core.open_dataset("al")
    assert [x["track"] for x in result.labelled] == [t.id for t in ds.tracks] and not result.failed
    first = ds.track(typed.id)
    assert first.caption == "my own words" and "caption" not in first.auto_fields
    assert first.bpm is not None and "bpm" in first.auto_fields
    for t in ds.tracks[1:]:
        assert t.labeled and t.caption and {"caption", "bpm"} <= set(t.auto_fields)

    # an edit makes the field the user's: no longer marked, and a later run leaves it alone
    edit_track(ds, ds.tracks[1].id, caption="edited")
    assert "caption" not in core.open_dataset("al").tracks[1].auto_fields

    # cancel after the first finished song: it is saved, the rest untouched
    fresh = _dataset("al2", _songs(tmp_path / "songs2"))
    cancel = CancelToken()
    seen = []

    def events(ev):
        if isinstance(ev, Artifact):
            seen.append(ev.info["track"])
            cancel.cancel()

    with pytest.raises(Cancelled):
        autolabel.run(_request("al2", parity_checkpoints), events, cancel)
    after = core.open_dataset("al2")
    assert seen == [fresh.tracks[0].id]
    assert after.tracks[0].labeled and after.tracks[0].caption
    assert not any(t.labeled for t in after.tracks[1:])


def test_killed_child_keeps_finished_songs_and_the_cli_continues(parity_checkpoints, tmp_path):
    ds = _dataset("kill", _songs(tmp_path / "songs", silent=True))
    ids = [t.id for t in ds.tracks]
    request = {**autolabel.asdict(_request("kill", parity_checkpoints))}
    pid = []

    def events(ev):
        if isinstance(ev, Artifact) and pid:
            os.kill(pid[0], signal.SIGKILL)  # the child dies while the second song is in flight
            pid.clear()

    with pytest.raises(ChildDied):
        run_in_child_process("mixgrv_app.core.autolabel:child_entry", request, events, on_start=pid.append)
    after = core.open_dataset("kill")
    assert [t.labeled for t in after.tracks] == [True] + [False] * (len(ids) - 1)

    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    res = subprocess.run([sys.executable, "-m", "mixgrv_app", "dataset", "label", "kill", "--only-unlabeled",
                          "--models", str(parity_checkpoints), "--max-tokens", str(MAX_TOKENS), "--json"],
                         capture_output=True, text=True, timeout=600, env=env, cwd=REPO)
    assert res.returncode == 1, res.stderr[-2000:]  # one song failed
    report = json.loads(res.stdout)
    assert report["skipped"] == [ids[0]]
    silent = next(t for t in after.tracks if t.filename == "zz_silent.wav")
    assert [f["track"] for f in report["failed"]] == [silent.id] and report["failed"][0]["code"] == "autolabel.silent"
    assert sorted(x["track"] for x in report["labelled"]) == sorted(i for i in ids[1:] if i != silent.id)
    final = core.open_dataset("kill")
    assert all(t.labeled for t in final.tracks if t.id != silent.id) and not final.track(silent.id).labeled
