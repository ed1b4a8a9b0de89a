"""The loader on broken inputs: each gives a CheckpointError with the right code and a message
that names the problem (file, key, expected and found shape) — never a deep torch traceback."""

from __future__ import annotations

import shutil

import pytest
from safetensors.torch import load_file, save_file

from mixgrv_app.core import checkpoints
from mixgrv_app.core.torch_model import loading
from mixgrv_app.core.errors import CheckpointError


@pytest.fixture()
def tree(tmp_path, parity_checkpoints):
    root = tmp_path / "checkpoints"
    shutil.copytree(parity_checkpoints, root, ignore=shutil.ignore_patterns("acestep-5Hz-lm-*"))
    return root


def _error(fn, *args):
    with pytest.raises(CheckpointError) as info:
        fn(*args)
    return info.value


def test_truncated_safetensors(tree):
    path = tree / "acestep-v15-turbo" / "model.safetensors"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    err = _error(loading.load_dit_model, tree / "acestep-v15-turbo")
    assert err.code == "checkpoint.truncated_file" and "model.safetensors" in err.message


def test_garbage_file(tree):
    (tree / "vae" / checkpoints.VAE_WEIGHTS).write_bytes(b"not a safetensors file at all")
    err = _error(loading.load_vae, tree / "vae")
    assert err.code == "checkpoint.corrupt_file"


def test_wrong_shape_names_key_and_shapes(tree):
    path = tree / "acestep-v15-turbo" / "model.safetensors"
    tensors = load_file(str(path))
    tensors["decoder.norm_out.weight"] = tensors["decoder.norm_out.weight"][:-1].clone()
    save_file(tensors, str(path))
    err = _error(loading.load_dit_model, tree / "acestep-v15-turbo")
    assert err.code == "checkpoint.shape_mismatch"
    assert "decoder.norm_out.weight" in err.message and "[47]" in err.message and "[48]" in err.message


def test_missing_and_unexpected_keys(tree):
    path = tree / "acestep-v15-turbo" / "model.safetensors"
    tensors = load_file(str(path))
    del tensors["null_condition_emb"]
    save_file(tensors, str(path))
    err = _error(loading.load_dit_model, tree / "acestep-v15-turbo")
    assert err.code == "checkpoint.missing_key" and "null_condition_emb" in err.message
    tensors = load_file(str(tree / "vae" / checkpoints.VAE_WEIGHTS))
    tensors["decoder.extra.weight"] = tensors["decoder.conv2.weight_v"].clone()
    save_file(tensors, str(tree / "vae" / checkpoints.VAE_WEIGHTS))
    err = _error(loading.load_vae, tree / "vae")
    assert err.code == "checkpoint.unexpected_key" and "decoder.extra.weight" in err.message


def test_missing_vae_folder(tree):
    shutil.rmtree(tree / "vae")
    err = _error(checkpoints.require_generation_set, tree, "acestep-v15-turbo")
    assert err.code == "checkpoint.missing_component" and "vae" in err.message


def test_empty_folder_and_a_file_instead_of_a_folder(tmp_path):
    err = _error(checkpoints.find_components, tmp_path)
    assert err.code == "checkpoint.not_a_checkpoint_root"
    a_file = tmp_path / "model.safetensors"
    a_file.write_bytes(b"x")
    err = _error(loading.load_dit_model, a_file)
    assert err.code == "checkpoint.not_a_folder" and str(a_file) in err.message
    err = _error(loading.load_vae, tmp_path / "nowhere")
    assert err.code == "checkpoint.missing_folder"


def test_text_encoder_keys_with_model_prefix(tree):
    path = tree / checkpoints.TEXT_ENCODER_FOLDER / "model.safetensors"
    tensors = load_file(str(path))
    save_file({f"model.{k}": v for k, v in tensors.items()}, str(path))
    encoder = loading.load_text_encoder(tree / checkpoints.TEXT_ENCODER_FOLDER)
    assert encoder.embed_tokens.weight.shape[0] == tensors["embed_tokens.weight"].shape[0]


def test_describe_root(parity_checkpoints, tmp_path):
    described = checkpoints.describe_root(parity_checkpoints)
    assert "acestep-v15-turbo" in described and "vae" in described
    assert checkpoints.describe_root(tmp_path) == {}
