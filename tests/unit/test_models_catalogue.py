"""core/models.py: the catalogue's facts and the scan of a models root, without any network."""

from __future__ import annotations

import shutil

import pytest

from mixgrv_app.core import checkpoints, models
from mixgrv_app.core.errors import CheckpointError

GIB = 2**30


def test_essentials_are_turbo_vae_and_text_encoder_of_the_main_repo():
    assert models.ESSENTIALS == (models.TURBO, models.VAE_FOLDER, models.TEXT_ENCODER_FOLDER)
    for name in models.ESSENTIALS:
        comp = models.component(name)
        assert comp.repo == models.MAIN_REPO and comp.subfolder == name and comp.essential
    assert models.lm_component("1.7B").repo == models.MAIN_REPO
    for size in ("0.6B", "4B"):
        assert models.lm_component(size).repo == f"ACE-Step/acestep-5Hz-lm-{size}"
    xl = [c for c in models.CATALOGUE if "-xl-" in c.name]
    assert xl and all(c.min_memory_gb >= 32 for c in xl)
    assert [models.lm_component(s).memory_gb for s in models.LM_SIZES] == [3.0, 8.0, 12.0]
    with pytest.raises(models.ModelError) as info:
        models.component("acestep-v15-nonesuch")
    assert info.value.code == "models.unknown_component"


def test_display_names():
    assert models.display_name(models.TURBO) == "turbo"
    assert models.display_name(models.lm_component("1.7B").name) == "lm-1.7B"
    assert models.display_name(models.VAE_FOLDER) == models.VAE_FOLDER


def test_only_the_files_the_app_uses_are_fetched():
    turbo, lm = models.component(models.TURBO), models.lm_component("0.6B")
    assert turbo.folder_path("acestep-v15-turbo/model.safetensors") == "model.safetensors"
    assert turbo.folder_path("acestep-v15-turbo/silence_latent.pt") == "silence_latent.pt"
    for other in ("acestep-v15-turbo/modeling_acestep_v15_turbo.py", "README.md", "config.json",
                  "vae/config.json", "acestep-v15-turbo/sub/model.safetensors"):
        assert turbo.folder_path(other) is None, other
    assert lm.folder_path("tokenizer.json") == "tokenizer.json" and lm.folder_path(".gitattributes") is None
    assert turbo.allow_patterns()[0].startswith("acestep-v15-turbo/")


@pytest.mark.parametrize(("memory_gib", "expected"), [(8, None), (16, "0.6B"), (24, "1.7B"), (36, "4B"), (128, "4B")])
def test_lm_suggestion_fits_next_to_the_essentials(memory_gib, expected):
    assert models.suggest_lm(memory_gib * GIB) == expected
    if expected:
        budget = models.lm_component(expected).memory_gb + models.ESSENTIALS_MEMORY_GB
        assert budget <= memory_gib * models.USABLE_MEMORY_FRACTION


def test_scan_of_an_existing_checkpoints_folder(parity_checkpoints):
    states = models.scan(parity_checkpoints)
    for name in models.ESSENTIALS:
        assert states[name].status == models.INSTALLED and not states[name].verified  # no manifest: not ours
    assert states["acestep-5Hz-lm-1.7B"].status == models.MISSING
    assert models.essentials_ready(parity_checkpoints)
    assert models.installed_dits(parity_checkpoints) == sorted(checkpoints.find_components(parity_checkpoints).dits)
    summary = models.summary(parity_checkpoints)
    assert summary.essentials_ready and summary.missing_essentials == [] and summary.missing_essentials_bytes == 0


def test_a_missing_file_or_an_unfinished_download_is_partial_and_never_offered(parity_checkpoints, tmp_path):
    root = tmp_path / "models"
    for name in models.ESSENTIALS:
        shutil.copytree(parity_checkpoints / name, root / name)
    (root / models.TURBO / "silence_latent.pt").unlink()
    assert models.component_state(root, models.TURBO).status == models.PARTIAL
    assert models.installed_dits(root) == [] and models.preferred_dit(root) is None
    summary = models.summary(root)
    assert summary.missing_essentials == [models.TURBO]
    assert summary.missing_essentials_bytes == models.component(models.TURBO).size_bytes - \
        models.component_state(root, models.TURBO).present_bytes

    files = {f.name: {"size": f.stat().st_size, "verified": False} for f in (root / "vae").iterdir()}
    models.write_manifest(root, "vae", {"component": "vae", "commit": "0" * 40, "complete": False, "files": files})
    assert models.component_state(root, "vae").status == models.PARTIAL
    assert checkpoints.find_components(root).vae is None  # still downloading: not a model
    with pytest.raises(CheckpointError) as info:
        checkpoints.require_generation_set(root, models.TURBO)
    assert info.value.code == "checkpoint.missing_component"

    models.write_manifest(root, "vae", {"component": "vae", "commit": "0" * 40, "complete": True, "files": files})
    assert models.component_state(root, "vae").status == models.INSTALLED
    assert checkpoints.find_components(root).vae == root / "vae"
    (root / "vae" / "config.json").write_text("{}")  # a size that no longer matches the manifest
    assert models.component_state(root, "vae").status == models.PARTIAL


def test_hf_cache_layout_is_found(parity_checkpoints, tmp_path, monkeypatch):
    snap = tmp_path / "hub" / "models--ACE-Step--Ace-Step1.5" / "snapshots" / ("a" * 40)
    shutil.copytree(parity_checkpoints / "vae", snap / "vae")
    (snap / models.TURBO).mkdir(parents=True)
    (snap / models.TURBO / "config.json").write_text("{}")  # incomplete: not offered
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    assert models.hf_cache_components() == {"vae": snap / "vae"}
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    assert models.hf_cache_dir() == tmp_path / "hub"
