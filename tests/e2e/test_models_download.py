"""End to end: model downloads with the real huggingface_hub client against a local Hub.

The server (tests/support/local_hub.py) serves the parity set's tiny checkpoints in the official
repo layout. The download runs in a child process (core/jobs.py) that gets ``HF_ENDPOINT`` from
its environment, as the app's would. Covered: the essentials, then a real generation from them
checked against a parity CLI case; cancel half-way and resume fetching only what was missing; a
connection dropped mid-file; a corrupted byte found by verify and fetched again; 404 and 401
messages; too little disk refused before any byte; a pre-filled HF cache used in place with no
byte downloaded; offline mode and a server that is down.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from safetensors.numpy import load_file

from mixgrv_app import cli
from mixgrv_app.core import model_download as md
from mixgrv_app.core import models
from mixgrv_app.core.errors import CheckpointError, MixgrvError
from mixgrv_app.core.jobs import Artifact, Cancelled, CancelToken, Log, Progress
from tests.support.local_hub import (
    LocalHub,
    bytes_on_disk,
    component_files,
    official_repos,
    use_hub,
)


@pytest.fixture(scope="module")
def hub(parity):
    with LocalHub(official_repos(parity / "checkpoints")) as server:
        yield server


@pytest.fixture
def client(hub, monkeypatch, tmp_path):
    return use_hub(monkeypatch, hub, tmp_path)


def _essential_files(hub):
    return component_files(hub, models.ESSENTIALS)


def _download(root, events=None, cancel=None, on_start=None, **kw):
    return md.download_in_child(md.essentials_request(root, **kw), events or (lambda e: None), cancel, on_start=on_start)


def _cancel_at(fraction, cancel, seen):
    def sink(event):
        seen.append(event)
        if isinstance(event, Progress) and event.stage == md.STAGE_DOWNLOAD and event.total and \
                event.done >= fraction * event.total:
            cancel.cancel()
    return sink


# ------------------------------------------------------------------------------ the happy path
def _turbo_cases(parity):
    root = Path(os.environ.get("MIXGRV_PARITY_DIR") or parity)
    cases = json.loads((root / "cli_cases.json").read_text(encoding="utf-8"))
    return [c for c in cases if c["argv"][c["argv"].index("--variant") + 1] in models.ESSENTIALS
            and "--lora" not in c["argv"]]


def test_essentials_download_then_generation_matches_the_parity_case(client, parity, tmp_path, monkeypatch):
    root = tmp_path / "models"
    events = []
    result = _download(root, events.append)
    files = _essential_files(client)
    assert result["fetched_bytes"] == sum(f.size for f in files.values()) == client.served
    assert set(client.served_by_path) == set(files)  # only the files the app uses, each once
    assert all(client.served_by_path[p] == f.size for p, f in files.items())
    assert models.essentials_ready(root)
    for name in models.ESSENTIALS:
        manifest = models.read_manifest(root, name)
        assert manifest["complete"] and manifest["commit"] == client.repos[models.MAIN_REPO].commit
        for rel, entry in manifest["files"].items():
            f = client.file(models.MAIN_REPO, f"{name}/{rel}")
            assert entry["size"] == f.size and entry.get("sha256") == f.sha256 and entry["verified"]
    assert sorted(e.info["component"] for e in events if isinstance(e, Artifact)) == sorted(models.ESSENTIALS)
    overall = [e for e in events if isinstance(e, Progress) and e.stage == md.STAGE_DOWNLOAD and e.total]
    assert overall[-1].done == overall[-1].total == result["fetched_bytes"]

    case = _turbo_cases(parity)[0]
    argv = [str(root) if a == "CHECKPOINTS" else a for a in case["argv"]]
    out = argv.index("--out") + 1
    argv[out] = str(tmp_path / argv[out])
    monkeypatch.chdir(parity)
    assert cli.main(["generate", "--quiet", *argv]) == 0
    expected = load_file(str(parity / case["expected_file"]))
    n = case["samples_per_channel"]
    audio = np.stack([sf.read(str(tmp_path / o["file"]), dtype="float32", always_2d=True)[0].T
                      for o in sorted(case["outputs"], key=lambda o: o["batch_index"])])
    assert audio.shape[-1] == n
    derived = {"out.audio_head": audio[:, :, :48000], "out.audio_tail": audio[:, :, n - 48000:n],
               "out.audio_sum": audio.astype(np.float64).sum(axis=-1),
               "out.audio_sumsq": (audio.astype(np.float64) ** 2).sum(axis=-1)}
    for key in case["compare"]:
        assert np.max(np.abs(derived[key] - expected[key])) <= case["atol"][key], key

    client.reset_counts()
    again = _download(root)
    assert again["skipped"] == list(models.ESSENTIALS) and client.served == 0


# ------------------------------------------------------------------------------ interruptions
def test_cancel_half_way_then_resume_fetches_only_what_was_missing(client, tmp_path):
    root = tmp_path / "models"
    total = sum(f.size for f in _essential_files(client).values())
    client.rate_bps = 1_500_000
    cancel, seen = CancelToken(), []
    with pytest.raises(Cancelled):
        _download(root, _cancel_at(0.5, cancel, seen), cancel)
    on_disk = bytes_on_disk(root, _essential_files(client))
    assert 0 < on_disk < total
    assert not models.essentials_ready(root)
    partial = {n for n in models.ESSENTIALS if models.component_state(root, n).status == models.PARTIAL}
    assert partial
    try:  # a folder still downloading is never offered as a model
        found = models.find_components(root)
        usable = {*found.dits, *(["vae"] if found.vae else []), *([models.TEXT_ENCODER_FOLDER] if found.text_encoder else [])}
    except CheckpointError:
        usable = set()
    assert not usable & partial

    client.rate_bps = None
    client.reset_counts()
    result = _download(root)
    missing = total - on_disk
    assert abs(client.served - missing) <= 0.01 * total, (client.served, missing)
    assert result["fetched_bytes"] == client.served
    assert models.essentials_ready(root)
    assert md.verify(root)["bad"] == {}


def test_dropped_connection_resumes_within_the_file(client, tmp_path):
    root = tmp_path / "models"
    path = "vae/diffusion_pytorch_model.safetensors"
    size = client.file(models.MAIN_REPO, path).size
    client.drop_after[path] = size // 2
    events = []
    _download(root, events.append)
    assert any(isinstance(e, Log) and e.code == "models.resuming" for e in events)
    # resumed from the last whole read chunk (1 MiB), not from zero
    assert size < client.served_by_path[path] <= size + 1024 * 1024
    assert models.essentials_ready(root)
    assert md.verify(root, ["vae"])["ok"] == ["vae"]


def test_dropped_connection_on_a_server_without_ranges_starts_the_file_over(client, tmp_path):
    root = tmp_path / "models"
    path = "vae/diffusion_pytorch_model.safetensors"
    size = client.file(models.MAIN_REPO, path).size
    client.ranges = False
    client.drop_after[path] = size // 2
    _download(root)
    assert size + size // 2 - 1024 * 1024 <= client.served_by_path[path] <= size + size // 2
    assert models.essentials_ready(root) and md.verify(root, ["vae"])["ok"] == ["vae"]


def test_corrupted_byte_is_found_by_verify_and_fetched_again(client, tmp_path):
    root = tmp_path / "models"
    _download(root)
    target = root / "vae" / "diffusion_pytorch_model.safetensors"
    data = bytearray(target.read_bytes())
    data[len(data) // 3] ^= 0xFF
    target.write_bytes(bytes(data))
    assert models.essentials_ready(root)  # same size: only hashing can tell

    checked = md.verify_in_child(root, list(models.ESSENTIALS))
    assert checked["bad"] == {"vae": ["diffusion_pytorch_model.safetensors"]}
    assert not target.exists() and models.component_state(root, "vae").status == models.PARTIAL
    assert models.find_components(root).vae is None

    client.reset_counts()
    result = _download(root)
    assert client.served == client.served_by_path["vae/diffusion_pytorch_model.safetensors"] == len(data)
    assert result["fetched_bytes"] == len(data)
    assert md.verify(root)["bad"] == {} and models.essentials_ready(root)


def test_verify_with_repair_fetches_the_bad_file_again(client, tmp_path):
    root = tmp_path / "models"
    _download(root)
    target = root / models.TURBO / "silence_latent.pt"
    data = bytearray(target.read_bytes())
    data[-1] ^= 1
    target.write_bytes(bytes(data))
    client.reset_counts()
    result = md.verify_in_child(root, repair=True)
    assert result["bad"] == {models.TURBO: ["silence_latent.pt"]} and result["repaired"] == [models.TURBO]
    assert client.served == len(data) and models.essentials_ready(root)


# ------------------------------------------------------------------------------ refusals
def _error(call) -> MixgrvError:
    with pytest.raises(MixgrvError) as info:
        call()
    return info.value


def test_missing_repo_says_404_and_names_it(client, tmp_path):
    client.missing.add(models.MAIN_REPO)
    err = _error(lambda: _download(tmp_path / "models"))
    assert err.code == "models.not_found" and models.MAIN_REPO in err.message and "HF_ENDPOINT" in err.message
    assert client.served == 0 and not (tmp_path / "models" / models.MANIFEST_DIR).exists()


def test_token_required_says_401_then_works_with_hf_token(client, tmp_path, monkeypatch):
    client.require_token = "hf_local_secret"
    err = _error(lambda: _download(tmp_path / "models"))
    assert err.code == "models.unauthorized" and "HF_TOKEN" in err.message and err.params["status"] == "401"
    monkeypatch.setenv("HF_TOKEN", "hf_wrong")
    assert _error(lambda: _download(tmp_path / "models")).code == "models.unauthorized"
    monkeypatch.setenv("HF_TOKEN", "hf_local_secret")
    _download(tmp_path / "models")
    assert models.essentials_ready(tmp_path / "models")


def test_not_enough_disk_is_refused_before_any_byte(client, tmp_path):
    root = tmp_path / "models"
    need = sum(f.size for f in _essential_files(client).values())
    free = need // 2
    err = _error(lambda: md.download(md.essentials_request(root, endpoint=client.url), free_space=lambda _p: free))
    assert err.code == "models.disk_full" and str(root) in err.message
    assert float(err.params["needed"]) * 1e9 >= need and float(err.params["free"]) * 1e9 <= free + 1e6
    assert client.served == 0 and not [p for p in root.rglob("*") if p.is_file()]
    assert all(models.component_state(root, n).status == models.MISSING for n in models.ESSENTIALS)


def test_server_down_is_a_network_message(client, tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    err = _error(lambda: _download(tmp_path / "models"))
    assert err.code == "models.network" and str(port) in err.message


def test_offline_mode_is_a_clear_message(client, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    err = _error(lambda: _download(tmp_path / "models"))
    assert err.code == "models.offline" and "HF_HUB_OFFLINE" in err.message
    assert client.served == 0


# ------------------------------------------------------------------------------ reuse
def test_prefilled_hf_cache_is_used_in_place_with_zero_bytes(client, tmp_path):
    from huggingface_hub import snapshot_download

    cache = Path(os.environ["HF_HUB_CACHE"])
    patterns = [p for name in models.ESSENTIALS for p in models.component(name).allow_patterns()]
    snapshot_download(models.MAIN_REPO, cache_dir=cache, allow_patterns=patterns, endpoint=client.url)
    assert models.hf_cache_components().keys() >= set(models.ESSENTIALS)
    client.reset_counts()

    root = tmp_path / "models"
    events = []
    result = _download(root, events.append)
    assert client.served == 0 and result["fetched_bytes"] == 0
    assert sorted(result["reused"]) == sorted(models.ESSENTIALS)
    for name in models.ESSENTIALS:
        folder = root / name
        assert folder.is_symlink() and Path(os.path.realpath(folder)).is_relative_to(cache.resolve())
        assert models.component_state(root, name).status == models.INSTALLED
    assert any(isinstance(e, Progress) and e.stage == md.STAGE_VERIFY for e in events)
    assert models.essentials_ready(root) and models.find_components(root).vae == root / "vae"

    md.remove(root, "vae")  # removes the link only
    assert not (root / "vae").exists() and models.hf_cache_components()["vae"].is_dir()

    import shutil  # the cache is cleaned: the links dangle, the next download fetches the files
    shutil.rmtree(cache)
    assert models.component_state(root, models.TURBO).status == models.MISSING
    _download(root)
    assert models.essentials_ready(root) and not (root / models.TURBO).is_symlink()


def test_offline_mode_links_what_the_hf_cache_holds(client, tmp_path, monkeypatch):
    from huggingface_hub import snapshot_download

    cache = Path(os.environ["HF_HUB_CACHE"])
    patterns = [p for name in models.ESSENTIALS for p in models.component(name).allow_patterns()]
    snapshot_download(models.MAIN_REPO, cache_dir=cache, allow_patterns=patterns, endpoint=client.url)
    client.reset_counts()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    root = tmp_path / "models"
    result = _download(root)
    assert sorted(result["reused"]) == sorted(models.ESSENTIALS) and client.served == 0 and not client.requests
    assert models.essentials_ready(root) and md.verify(root)["bad"] == {}
    commit = client.repos[models.MAIN_REPO].commit
    assert all(models.read_manifest(root, n)["commit"] == commit for n in models.ESSENTIALS)


def test_a_renamed_repo_is_followed_through_its_redirects(parity, tmp_path, monkeypatch):
    renamed = "ACE-Step/Ace-Step1.5-renamed"
    repos = official_repos(parity / "checkpoints")
    repos[renamed] = repos.pop(models.MAIN_REPO)
    with LocalHub(repos, aliases={models.MAIN_REPO: renamed}) as server:
        use_hub(monkeypatch, server, tmp_path)
        root = tmp_path / "models"
        result = _download(root)
        assert result["commits"] == {models.MAIN_REPO: server.repos[renamed].commit}
        assert models.essentials_ready(root)
        redirected = [path for method, path in server.requests if path.startswith(f"/{models.MAIN_REPO}/resolve/")]
        assert redirected and all(method == "HEAD" for method, path in server.requests
                                  if path.startswith(f"/{models.MAIN_REPO}/resolve/"))


def test_an_existing_checkpoints_folder_is_found_and_used_as_is(parity, tmp_path):
    project = tmp_path / "ACE-Step-1.5"
    project.mkdir()
    (project / "checkpoints").symlink_to(parity / "checkpoints", target_is_directory=True)
    root = models.find_checkpoints_folder(project)
    assert root == project / "checkpoints"
    assert models.essentials_ready(root) and models.preferred_dit(root) == models.TURBO
    assert models.find_checkpoints_folder(tmp_path / "empty") is None


def test_verify_checks_a_users_own_folder_against_the_hub_and_never_deletes_it(client, parity, tmp_path):
    import shutil

    root = tmp_path / "checkpoints"
    for name in models.ESSENTIALS:
        shutil.copytree(parity / "checkpoints" / name, root / name)
    assert not models.component_state(root, "vae").verified
    result = md.verify_in_child(root, list(models.ESSENTIALS))
    assert result["ok"] == list(models.ESSENTIALS) and result["differs"] == {} and client.served == 0
    assert all(models.component_state(root, n).verified for n in models.ESSENTIALS)

    for name in models.ESSENTIALS:  # forget the record, change a byte: reported, kept
        models.manifest_path(root, name).unlink()
    target = root / models.TURBO / "silence_latent.pt"
    data = bytearray(target.read_bytes())
    data[100] ^= 1
    target.write_bytes(bytes(data))
    result = md.verify_in_child(root, list(models.ESSENTIALS), repair=True)
    assert result["differs"] == {models.TURBO: ["silence_latent.pt"]} and result["repaired"] == []
    assert target.read_bytes() == bytes(data) and client.served == 0


def test_cancel_is_immediate_in_the_middle_of_a_file(client, tmp_path):
    """The Hub client cannot be interrupted mid-file; the child process ends instead, at once."""
    import time

    client.rate_bps = 200_000
    cancel, when = CancelToken(), []

    def sink(event):
        if isinstance(event, Progress) and event.stage == md.STAGE_FILE and event.done > 0 and not when:
            when.append(time.monotonic())
            cancel.cancel()

    with pytest.raises(Cancelled):
        _download(tmp_path / "models", sink, cancel)
    # the largest file alone takes about 30 s at this rate; the child ends in well under a second
    # (3 s leaves room for a loaded 2-core test machine)
    largest = max(f.size for f in _essential_files(client).values())
    assert largest / client.rate_bps > 10
    assert time.monotonic() - when[0] < 3.0
    assert not models.essentials_ready(tmp_path / "models")


# ------------------------------------------------------------------------------ the CLI
def test_cli_list_download_verify_remove_and_exit_codes(client, tmp_path, capsys):
    root = tmp_path / "models"
    assert cli.main(["models", "list", "--json", "--dir", str(root)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert not listed["essentials_ready"] and len(listed["components"]) == len(models.CATALOGUE)
    assert {c["name"]: c["status"] for c in listed["components"]}[models.TURBO] == models.MISSING

    assert cli.main(["models", "download", "--essentials", "--lm", "0.6B", "--quiet", "--dir", str(root)]) == 0
    assert "ready in" in capsys.readouterr().out
    lm = models.lm_component("0.6B")
    assert models.essentials_ready(root) and models.component_state(root, lm.name).status == models.INSTALLED
    assert client.served == sum(f.size for f in component_files(client, [*models.ESSENTIALS, lm.name]).values())

    assert cli.main(["models", "verify", "--quiet", "--dir", str(root)]) == 0
    target = root / lm.name / "model.safetensors"
    data = bytearray(target.read_bytes())
    data[-1] ^= 1
    target.write_bytes(bytes(data))
    assert cli.main(["models", "verify", "--quiet", "--dir", str(root)]) == 1  # found, deleted, not repaired
    assert "mixgrv models download" in capsys.readouterr().out and not target.exists()
    assert cli.main(["models", "verify", "--repair", "--quiet", "--dir", str(root)]) == 0 and target.exists()

    assert cli.main(["models", "remove", lm.name, "--dir", str(root)]) == 0
    assert models.component_state(root, lm.name).status == models.MISSING and not (root / lm.name).exists()
    assert cli.main(["models", "remove", lm.name, "--dir", str(root)]) == 1
    assert cli.main(["models", "download", "acestep-v15-nonesuch", "--dir", str(root)]) == 2
    client.missing.add(lm.repo)
    assert cli.main(["models", "download", "--lm", "0.6B", "--quiet", "--dir", str(root)]) == 2
    assert "was not found" in capsys.readouterr().err
