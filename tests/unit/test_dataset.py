"""core/dataset.py: importing a real corpus (every good file in, every bad one skipped with its
reason, originals untouched), labels from sidecars/CSV, edits, naming, atomic saves, the import
job's events and cancel, upstream JSON, and the `mixgrv dataset` CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixgrv_app import paths
from mixgrv_app.core import dataset as D
from mixgrv_app.core import dataset_import, dataset_labels
from mixgrv_app.core.errors import DatasetError
from mixgrv_app.core.jobs import CancelToken, Log, Progress
from support.audio_corpus import build_corpus, snapshot, tone


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    good, bad = build_corpus(root)
    return root, good, bad


def _melody_file(path: Path, seed: int, seconds: float = 5.0, sr: int = 22050) -> Path:
    t = np.arange(int(seconds * sr)) / sr
    notes = np.random.default_rng(seed).integers(0, 12, int(seconds * 2) + 1)
    x = 0.4 * np.sin(2 * np.pi * 220 * 2 ** (notes[(t * 2).astype(int)] / 12) * t) * np.exp(-3 * (t % 0.5))
    sf.write(str(path), np.stack([x, x], 1).astype(np.float32), sr)
    return path


def test_import_corpus_every_good_file_in_every_bad_one_skipped_nothing_else_changes(corpus):
    root, good, bad = corpus
    before = snapshot(root)
    D.create_dataset("corpus")
    events = []
    result = dataset_import.run_import(dataset_import.ImportRequest("corpus", [str(root / "good"), str(root / "bad")]), events.append)

    assert not result.cancelled
    skipped = {Path(s.source).name: s.code for s in result.skipped}
    assert skipped == {b.path.name: b.code for b in bad}
    assert all(s.message for s in result.skipped)
    assert len(result.imported) == len(good)
    assert [Path(p).name for p in result.ignored] == ["cover.jpg"]

    ds = D.open_dataset("corpus")
    assert len(ds.tracks) == len(good)
    by_source = {t.source_path: t for t in ds.tracks}
    for g in good:
        t = by_source[str(g.path.absolute())]
        a = t.analysis
        assert abs(a["duration"] - g.seconds) <= g.duration_tolerance, (g.path.name, a["duration"])
        assert t.duration == int(a["duration"])
        assert (a["sample_rate"], a["channels"], a["codec"]) == (g.sample_rate, g.channels, g.codec), g.path.name
        assert -16 < a["loudness_lufs"] < -4 and 0.3 < a["peak"] < 1.2 and a["non_finite"] == 0, (g.path.name, a)
        assert a["clipping_ratio"] == 0.0
        assert "analysis.too_short" in [w["code"] for w in a["warnings"]]
        copy = ds.audio_file(t)
        assert copy.read_bytes() == g.path.read_bytes()  # an exact copy ...
        assert ds.root / "audio" in copy.parents          # ... inside the dataset
    assert snapshot(root) == before                      # originals: same bytes, same mtimes

    # readable names: Hangul composed (NFC), odd characters kept, collisions numbered
    names = sorted(t.filename for t in ds.tracks)
    assert "노래 1.wav" in names and "가을 바람.flac" in names
    assert unicodedata.normalize("NFC", "가을 바람.flac") in os.listdir(ds.root / "audio")
    assert "a b&c's (live) [v2] #1.wav" in names
    assert "song.wav" in names and "song (2).wav" in names

    # progress: one event per file, an ETA once a file is done, overall fraction to 1
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[-1].done == progress[-1].total == len(good) + len(bad)
    assert progress[-1].overall == pytest.approx(1.0)
    assert any(e.eta_s is not None for e in progress[1:])
    warnings = [e for e in events if isinstance(e, Log) and e.level == "warning"]
    assert {w.code for w in warnings} == {b.code for b in bad}


def test_labels_from_sidecars_and_csv(corpus):
    root, _, _ = corpus
    D.create_dataset("labels")
    dataset_import.run_import(dataset_import.ImportRequest("labels", [str(root / "good" / "names"), str(root / "good" / "wav")]))
    ds = D.open_dataset("labels")
    t = ds.track("노래 1")
    assert t.caption == "korean ballad, piano" and t.labeled
    assert t.lyrics == "[Verse]\n하늘을 보며" and not t.is_instrumental and t.raw_lyrics == t.lyrics
    t = ds.track("s16_stereo_44k.wav")
    assert (t.bpm, t.keyscale, t.caption, t.labeled) == (120, "C major", "bright pop", True)
    t = ds.track("song")
    assert t.lyrics == "[Instrumental]" and t.is_instrumental and not t.labeled


def test_sidecar_encodings_and_csv_given_explicitly(tmp_path):
    _melody_file(tmp_path / "곡.wav", 1)
    (tmp_path / "곡.txt").write_bytes("[Chorus]\n사랑해".encode("cp949"))  # Korean Windows text file
    csv_dir = tmp_path / "elsewhere"
    csv_dir.mkdir()
    (csv_dir / "meta.csv").write_text("File;BPM;Key;Caption\n곡.wav;98.6;F# minor;dreamy synth\n", encoding="utf-8-sig")
    D.create_dataset("enc")
    res = dataset_import.run_import(dataset_import.ImportRequest("enc", [str(tmp_path / "곡.wav"), str(csv_dir / "meta.csv")]))
    assert len(res.imported) == 1 and not res.skipped
    t = D.open_dataset("enc").tracks[0]
    assert t.lyrics == "[Chorus]\n사랑해" and (t.bpm, t.keyscale, t.caption) == (99, "F# minor", "dreamy synth")


def test_one_corrupt_file_among_fifty(tmp_path):
    src = tmp_path / "album"
    src.mkdir()
    x = tone(0.3, 16000, 1)
    for i in range(49):
        sf.write(str(src / f"{i:02d}.wav"), x * (0.3 + i / 100), 16000)  # distinct bytes
    (src / "25b.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    D.create_dataset("album")
    res = dataset_import.run_import(dataset_import.ImportRequest("album", [str(src)]))
    assert len(res.imported) == 49
    assert [(Path(s.source).name, s.code) for s in res.skipped] == [("25b.wav", "audio.undecodable")]


def test_duplicates_are_skipped_and_near_duplicates_flagged(tmp_path):
    song = _melody_file(tmp_path / "song.wav", 7)
    data, sr = sf.read(str(song), dtype="float32")
    sf.write(str(tmp_path / "song.mp3"), data, sr)
    _melody_file(tmp_path / "other.wav", 8)
    D.create_dataset("dups")
    first = dataset_import.run_import(dataset_import.ImportRequest("dups", [str(song), str(tmp_path / "other.wav")]))
    assert len(first.imported) == 2
    again = dataset_import.run_import(dataset_import.ImportRequest("dups", [str(song), str(tmp_path / "song.mp3")]))
    assert [(Path(s.source).name, s.code) for s in again.skipped] == [("song.wav", "dataset.duplicate_file")]
    mp3 = again.imported[0]
    near = [w for w in mp3.warnings if w["code"] == "analysis.near_duplicate"]
    assert near and near[0]["params"]["other"] == "song.wav"
    other = D.open_dataset("dups").track("other.wav")
    assert not [w for w in other.warnings if w["code"] == "analysis.near_duplicate"]


def test_cancel_keeps_what_was_imported_and_a_valid_json(tmp_path):
    src = tmp_path / "many"
    src.mkdir()
    for i in range(6):
        sf.write(str(src / f"{i}.wav"), tone(0.3, 16000, 2, seed=i) * (0.2 + i / 20), 16000)
    D.create_dataset("cancel")
    cancel = CancelToken()

    def sink(event):
        if isinstance(event, Progress) and event.done >= 3:
            cancel.cancel()

    with pytest.raises(dataset_import.ImportCancelled) as e:  # a jobs.Cancelled, carrying the partial result
        dataset_import.run_import(dataset_import.ImportRequest("cancel", [str(src)]), sink, cancel)
    res = e.value.result
    assert res.cancelled and len(res.imported) == 3
    ds = D.open_dataset("cancel")
    assert len(ds.tracks) == 3 and ds.meta.num_samples == 3
    assert sorted(os.listdir(ds.root / "audio")) == ["0.wav", "1.wav", "2.wav"]  # no stray temp copies
    res = dataset_import.run_import(dataset_import.ImportRequest("cancel", [str(src)]))  # adding again resumes: 3 duplicates, 3 new
    assert len(res.imported) == 3 and {s.code for s in res.skipped} == {"dataset.duplicate_file"}


def test_save_is_atomic(tmp_path, monkeypatch):
    ds = D.create_dataset("atomic")
    before = ds.json_path.read_bytes()

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    ds.meta.custom_tag = "changed"
    with pytest.raises(OSError):
        ds.save()
    monkeypatch.undo()
    assert ds.json_path.read_bytes() == before
    assert sorted(p.name for p in ds.root.iterdir()) == ["audio", "dataset.json"]  # no temp file left


def test_create_rename_delete_and_names(tmp_path):
    ds = D.create_dataset("  내 데이터  ", custom_tag="mytag")
    assert ds.name == "내 데이터" and (paths.datasets_dir() / "내 데이터" / "dataset.json").is_file()
    nfd = unicodedata.normalize("NFD", "내 데이터")
    assert D.open_dataset(nfd).name == "내 데이터"
    for bad in ("", "..", ".hidden", "a/b", "a\\b", "x:y", "x" * 200):
        with pytest.raises(DatasetError) as e:
            D.create_dataset(bad)
        assert e.value.code == "dataset.invalid_name"
    with pytest.raises(DatasetError) as e:
        D.create_dataset("내 데이터")
    assert e.value.code == "dataset.exists"
    _melody_file(tmp_path / "a.wav", 1, seconds=1.0)
    dataset_import.run_import(dataset_import.ImportRequest("내 데이터", [str(tmp_path / "a.wav")]))
    (paths.tensors_dir() / "내 데이터").mkdir()
    ds = D.rename_dataset("내 데이터", "Renamed")
    assert D.list_datasets() == ["Renamed"] and ds.meta.custom_tag == "mytag"
    assert ds.audio_file(ds.tracks[0]).is_file()  # relative paths survive the move
    assert (paths.tensors_dir() / "Renamed").is_dir()
    D.rename_dataset("Renamed", "renamed")  # case-only rename
    assert D.list_datasets() == ["renamed"]
    D.create_dataset("other")
    with pytest.raises(DatasetError):
        D.rename_dataset("renamed", "other")
    D.delete_dataset("renamed")
    assert D.list_datasets() == ["other"] and not (paths.tensors_dir() / "renamed").exists()
    assert (tmp_path / "a.wav").is_file()  # the original stays
    with pytest.raises(DatasetError) as e:
        D.open_dataset("renamed")
    assert e.value.code == "dataset.not_found"


def test_edit_fields_tags_and_training_text(tmp_path):
    _melody_file(tmp_path / "a.wav", 1, seconds=1.0)
    D.create_dataset("edit", custom_tag="zz", tag_position="prepend")
    dataset_import.run_import(dataset_import.ImportRequest("edit", [str(tmp_path / "a.wav")]))
    ds = D.open_dataset("edit")
    t = dataset_labels.edit_track(ds, "a", caption="warm lofi", genre="lofi", bpm="92.4", keyscale="D minor", timesignature="4",
                     language="KO", lyrics="[Verse]\nhello")
    assert (t.caption, t.bpm, t.language, t.labeled, t.is_instrumental) == ("warm lofi", 92, "ko", True, False)
    text, caption = dataset_labels.training_text(t, ds.meta)
    assert (text, caption) == ("zz, warm lofi", "zz, warm lofi")  # dataset tag, prepended
    dataset_labels.edit_track(ds, 1, custom_tag="mine")
    dataset_labels.edit_track(ds, 1, custom_tag="first", tag_mode="prepend")
    t = dataset_labels.edit_track(ds, 1, custom_tag="last", tag_mode="append")
    assert t.custom_tag == "first, mine, last"
    t = dataset_labels.edit_track(ds, t.id, tag_position="append")
    assert dataset_labels.training_text(t, ds.meta)[0] == "warm lofi, first, mine, last"
    t = dataset_labels.edit_track(ds, 1, tag_position="replace", prompt_override="genre")
    assert dataset_labels.training_text(t, ds.meta) == ("lofi", "first, mine, last")
    t = dataset_labels.edit_track(ds, 1, prompt_override="none", tag_position="")
    ds.meta.genre_ratio = 100
    assert dataset_labels.training_text(t, ds.meta)[0] == "lofi"  # randint(0,100) < 100 nearly always
    ds.meta.genre_ratio = 0
    assert dataset_labels.training_text(t, ds.meta)[0] == "first, mine, last, warm lofi"
    t = dataset_labels.edit_track(ds, 1, is_instrumental="true", lyrics="")
    assert t.lyrics == "[Instrumental]" and t.is_instrumental
    for field, value in (("bpm", "fast"), ("bpm", 999), ("language", "klingon"), ("prompt_override", "lyrics"),
                         ("tag_position", "middle"), ("is_instrumental", "maybe"), ("filename", "x.wav")):
        with pytest.raises(DatasetError) as e:
            dataset_labels.edit_track(ds, 1, **{field: value})
        assert e.value.code == "dataset.bad_field"
    with pytest.raises(DatasetError) as e:
        ds.track("nope")
    assert e.value.code == "dataset.track_not_found"
    reloaded = D.open_dataset("edit").tracks[0]
    assert reloaded.to_dict() == ds.tracks[0].to_dict()


def test_upstream_json_export_and_import(tmp_path):
    _melody_file(tmp_path / "a.wav", 1, seconds=1.0)
    D.create_dataset("src", custom_tag="tag", tag_position="append", genre_ratio=20)
    dataset_import.run_import(dataset_import.ImportRequest("src", [str(tmp_path / "a.wav")]))
    ds = D.open_dataset("src")
    dataset_labels.edit_track(ds, 1, caption="cap", bpm=100, lyrics="la la")
    out = dataset_import.export_upstream_json("src", tmp_path / "up.json")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data["metadata"]) == set(dataset_import.UPSTREAM_META_FIELDS)
    assert (data["metadata"]["tag_position"], data["metadata"]["genre_ratio"], data["metadata"]["num_samples"]) == ("append", 20, 1)
    sample = data["samples"][0]
    assert set(sample) == set(dataset_import.UPSTREAM_SAMPLE_FIELDS)
    assert Path(sample["audio_path"]).is_absolute() and Path(sample["audio_path"]).is_file()
    # an upstream file with an extra field and a relative path, imported under a new name
    sample["unknown_future_field"] = 1
    (tmp_path / "up_audio").mkdir()
    shutil.copyfile(sample["audio_path"], tmp_path / "up_audio" / "a.wav")
    sample["audio_path"] = "up_audio/a.wav"
    data["samples"].append(dict(sample, id="missing1", audio_path="up_audio/gone.wav"))
    (tmp_path / "up2.json").write_text(json.dumps(data), encoding="utf-8")
    res = dataset_import.run_import_upstream(dataset_import.UpstreamImportRequest(str(tmp_path / "up2.json"), "copy"))
    assert [s.code for s in res.skipped] == ["audio.not_found"]
    copy = D.open_dataset("copy")
    t = copy.tracks[0]
    assert (t.id, t.caption, t.bpm, t.lyrics, copy.meta.tag_position, copy.meta.genre_ratio) == (
        sample["id"], "cap", 100, "la la", "append", 20)
    with pytest.raises(DatasetError) as e:
        dataset_import.run_import_upstream(dataset_import.UpstreamImportRequest(str(tmp_path / "a.wav")))
    assert e.value.code == "dataset.corrupt"


def test_corrupt_dataset_json_is_an_error_with_a_code():
    ds = D.create_dataset("broken")
    ds.json_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(DatasetError) as e:
        D.open_dataset("broken")
    assert e.value.code == "dataset.corrupt"


def test_remove_track_deletes_only_the_managed_copy(tmp_path):
    src = _melody_file(tmp_path / "a.wav", 1, seconds=1.0)
    D.create_dataset("rm")
    dataset_import.run_import(dataset_import.ImportRequest("rm", [str(src)]))
    ds = D.open_dataset("rm")
    copy = ds.audio_file(ds.tracks[0])
    D.remove_track(ds, "a.wav")
    assert not copy.exists() and src.is_file() and D.open_dataset("rm").tracks == []


def _cli(*args):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "mixgrv_app", "dataset", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_cli_create_add_json_show_edit(corpus):
    root, _, bad = corpus
    assert _cli("create", "cli set").returncode == 0
    res = _cli("add", "cli set", str(root / "good" / "names"), str(root / "bad" / "notes.mp3"), "--json")
    assert res.returncode == 1  # something was skipped
    report = json.loads(res.stdout)
    assert len(report["imported"]) == 5
    assert [(Path(s["source"]).name, s["code"]) for s in report["skipped"]] == [("notes.mp3", "audio.undecodable")]
    res = _cli("edit", "cli set", "노래 1", "--bpm", "77", "--caption", "new caption", "--language", "ko")
    assert res.returncode == 0, res.stderr
    shown = json.loads(_cli("show", "cli set", "--json").stdout)
    t = next(s for s in shown["samples"] if s["filename"] == "노래 1.wav")
    assert (t["bpm"], t["caption"], t["language"]) == (77, "new caption", "ko")
    text = _cli("show", "cli set").stdout
    assert "노래 1.wav" in text and "LUFS" in text
    res = _cli("edit", "cli set", "노래 1", "--bpm", "abc")
    assert res.returncode == 2 and "bpm" in res.stderr
    assert "cli set" in _cli("list").stdout


def test_edits_during_an_import_are_not_lost(tmp_path):
    src = tmp_path / "many"
    src.mkdir()
    for i in range(4):
        sf.write(str(src / f"{i}.wav"), tone(0.3, 16000, 2, seed=i) * (0.2 + i / 20), 16000)
    D.create_dataset("race")
    ui_view = D.open_dataset("race")  # what a panel holds while the import job runs

    def sink(event):
        if isinstance(event, Progress) and event.done == 2:
            ui_view.tracks[:] = D.open_dataset("race").tracks
            dataset_labels.edit_track(ui_view, "0.wav", caption="edited mid-import")
            D.set_metadata("race", custom_tag="tag")

    dataset_import.run_import(dataset_import.ImportRequest("race", [str(src)]), sink)
    final = D.open_dataset("race")
    assert [t.filename for t in final.tracks] == ["0.wav", "1.wav", "2.wav", "3.wav"]
    assert final.track("0.wav").caption == "edited mid-import" and final.meta.custom_tag == "tag"
    # a stale view saving an edit does not drop tracks imported after it was read
    stale = D.open_dataset("race")
    stale.tracks = stale.tracks[:1]
    dataset_labels.edit_track(stale, "0.wav", bpm=100)
    assert len(D.open_dataset("race").tracks) == 4 and len(stale.tracks) == 4


_WRITER = """
import sys, time
from mixgrv_app.core.dataset import open_dataset, updating
name, letter = sys.argv[1], sys.argv[2]
for _ in range(15):
    with updating(open_dataset(name)) as fresh:
        fresh.meta.custom_tag += letter
        time.sleep(0.005)  # widen the read-modify-write window
"""


def test_two_processes_changing_one_dataset_lose_nothing():
    """The app and a `mixgrv dataset` command at once: the OS file lock serialises their saves."""
    import subprocess
    import sys

    from mixgrv_app.core.dataset import LOCK_FILE, create_dataset, dataset_dir, open_dataset

    create_dataset("shared")
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, "shared", letter]) for letter in "ab"]
    assert [w.wait(60) for w in writers] == [0, 0]
    tag = open_dataset("shared").meta.custom_tag
    assert sorted(tag) == ["a"] * 15 + ["b"] * 15
    assert (dataset_dir("shared") / LOCK_FILE).is_file()
