"""Dataset bundles: pack → unpack on "another machine" (a second data folder) gives identical
labels and tensors; the audio travels only when asked; a tampered, traversing, linking or
overwriting bundle is refused with its code and leaves nothing behind; the CLI verbs work."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from safetensors.torch import load_file

from mixgrv_app import cli
from mixgrv_app.core import dataset as ds_core
from mixgrv_app.core.dataset_import import add_files
from mixgrv_app.core.dataset_labels import edit_track
from mixgrv_app.core.dataset_bundle import pack, read_manifest, unpack
from mixgrv_app.core.errors import DatasetError
from mixgrv_app.core.preprocess import MANIFEST, tensors_dir
from mixgrv_app.core.training import dataset_files
from tests.support.training_data import write_tensor_dataset


@pytest.fixture()
def packed(tmp_path) -> tuple[str, Path]:
    """A labelled dataset with two short songs and prepared tensors."""
    src = tmp_path / "songs"
    src.mkdir()
    for i in range(2):
        t = np.arange(24000) / 48000
        sf.write(src / f"song{i}.wav", np.stack([np.sin(2 * np.pi * (330 + 110 * i) * t)] * 2, 1).astype(np.float32), 48000)
    ds_core.create_dataset("carry")
    add_files("carry", [str(src)])
    ds = ds_core.open_dataset("carry")
    assert len(ds.tracks) == 2
    for i, track in enumerate(ds.tracks):
        edit_track(ds, track.id, caption=f"피아노 tone {i}", bpm=100 + i)
    write_tensor_dataset("carry", [12, 9], 8, rows=4)
    return "carry", tmp_path


def _other_machine(monkeypatch, tmp_path) -> Path:
    home = tmp_path / "gpu-box"
    monkeypatch.setenv("MIXGRV_HOME", str(home))
    return home


def _tensors(name: str) -> dict[str, dict]:
    return {p.name: load_file(str(p)) for p in dataset_files(name)}


def test_round_trip_reproduces_labels_and_tensors(packed, monkeypatch):
    name, tmp = packed
    labels = json.loads(ds_core.open_dataset(name).json_path.read_text())
    tensors = _tensors(name)
    raw = {p.name: p.read_bytes() for p in tensors_dir(name).iterdir() if p.suffix == ".safetensors"}
    bundle = pack(name, tmp / "carry.tar")
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
    assert names[0] == "bundle.json" and not any(n.startswith("dataset/audio/") for n in names)
    manifest = read_manifest(bundle)
    assert all(len(v["sha256"]) == 64 for v in manifest["files"].values())

    home = _other_machine(monkeypatch, tmp)
    assert unpack(bundle) == name
    assert json.loads(ds_core.open_dataset(name).json_path.read_text()) == labels
    assert {p.name: p.read_bytes() for p in tensors_dir(name).iterdir() if p.suffix == ".safetensors"} == raw
    assert set(_tensors(name)) == set(tensors)
    samples = json.loads((tensors_dir(name) / MANIFEST).read_text())["samples"]
    assert all(Path(s).parent == home / "tensors" / name for s in samples)  # paths of this machine
    assert not [p for p in (home / "datasets").iterdir() if p.name.startswith(".")]

    # unpacking again never overwrites; another name works
    with pytest.raises(DatasetError) as info:
        unpack(bundle)
    assert info.value.code == "dataset.bundle_exists"
    assert unpack(bundle, "carry-2") == "carry-2"
    assert ds_core.open_dataset("carry-2").tracks[0].caption == labels["samples"][0]["caption"]


def test_audio_travels_only_when_asked(packed, monkeypatch):
    name, tmp = packed
    ds = ds_core.open_dataset(name)
    audio = {ds.audio_file(t).name: ds.audio_file(t).read_bytes() for t in ds.tracks}
    bundle = pack(name, tmp / "with-audio.tar", with_audio=True)
    home = _other_machine(monkeypatch, tmp)
    unpack(bundle)
    got = ds_core.open_dataset(name)
    assert {got.audio_file(t).name: got.audio_file(t).read_bytes() for t in got.tracks} == audio
    with pytest.raises(DatasetError) as info:
        pack(name, bundle)
    assert info.value.code == "dataset.bundle_file_exists"
    assert home.is_dir()


def _rewrite(bundle: Path, out: Path, change) -> Path:
    """Copy ``bundle`` member by member, letting ``change(info, data)`` alter or add members."""
    with tarfile.open(bundle) as src, tarfile.open(out, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            for info, payload in change(member, data):
                dst.addfile(info, io.BytesIO(payload) if payload is not None else None)
    return out


def _member(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _assert_refused(bundle: Path, code: str, home: Path) -> DatasetError:
    with pytest.raises(DatasetError) as info:
        unpack(bundle)
    assert info.value.code == code, info.value.message
    leftovers = [p for p in home.rglob("*") if p.is_file()] if home.exists() else []
    assert not leftovers, leftovers
    return info.value


def test_tampered_traversing_and_linking_bundles_are_refused(packed, monkeypatch, tmp_path):
    name, tmp = packed
    bundle = pack(name, tmp / "carry.tar")
    outside = tmp_path / "evil.txt"

    def flip_a_byte(member, data):
        if member.name.endswith(".safetensors") and not getattr(flip_a_byte, "done", False):
            flip_a_byte.done = True
            data = data[:-1] + bytes([data[-1] ^ 1])
        yield _member(member.name, data) if member.isreg() else (member, None)

    def traverse(member, data):
        if member.name == "bundle.json":
            manifest = json.loads(data)
            manifest["files"]["tensors/../../../evil.txt"] = {"sha256": "0" * 64, "size": 4}
            yield _member(member.name, json.dumps(manifest).encode())
            yield _member("tensors/../../../evil.txt", b"evil")
        else:
            yield _member(member.name, data)

    def absolute(member, data):
        yield _member(member.name, data)
        if member.name == "bundle.json":
            yield _member(str(outside), b"evil")

    def symlink(member, data):
        yield _member(member.name, data)
        if member.name == "bundle.json":
            link = tarfile.TarInfo("tensors/link.safetensors")
            link.type, link.linkname = tarfile.SYMTYPE, str(outside)
            yield link, None

    tampered = _rewrite(bundle, tmp / "tampered.tar", flip_a_byte)
    traversal = _rewrite(bundle, tmp / "traversal.tar", traverse)
    absolute_path = _rewrite(bundle, tmp / "absolute.tar", absolute)
    linked = _rewrite(bundle, tmp / "link.tar", symlink)
    not_a_bundle = tmp / "plain.tar"
    not_a_bundle.write_bytes(b"this is not a tar file at all" * 100)

    home = _other_machine(monkeypatch, tmp)
    err = _assert_refused(tampered, "dataset.bundle_corrupt", home)
    assert err.params["member"].endswith(".safetensors") and "SHA-256" in err.message
    assert _assert_refused(traversal, "dataset.bundle_unsafe", home).params["member"] == "tensors/../../../evil.txt"
    _assert_refused(absolute_path, "dataset.bundle_unsafe", home)
    assert _assert_refused(linked, "dataset.bundle_unsafe", home).params["reason"] == "is a link or a special file"
    _assert_refused(not_a_bundle, "dataset.bundle_unreadable", home)
    assert not outside.exists()
    assert unpack(bundle) == name  # the intact bundle still goes in


def test_cli_pack_and_unpack(packed, monkeypatch, capsys):
    name, tmp = packed
    out = tmp / "cli.tar"
    assert cli.main(["dataset", "pack", name, str(out)]) == 0
    _other_machine(monkeypatch, tmp)
    assert cli.main(["dataset", "unpack", str(out)]) == 0
    assert "unpacked dataset 'carry' (2 tracks, checked)" in capsys.readouterr().out
    assert cli.main(["dataset", "unpack", str(out)]) == 2  # exists: a one-line error, no traceback
    assert "already exists" in capsys.readouterr().err
