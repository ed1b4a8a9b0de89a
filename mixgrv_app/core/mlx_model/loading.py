"""Load the official safetensors files straight into the MLX modules (no converted copies).

Layout changes happen once, here: Conv1d weights [out, in, k] → MLX [out, k, in];
ConvTranspose1d [in, out, k] → [out, k, in]; the VAE's weight norm folded; Snake α/β
[1, C, 1] → [C]; text-encoder/LM ``model.`` prefixes dropped. Keys and shapes are validated
with the same framework-free checks as the torch loader (core/checkpoints.py), so a wrong file
gets the same message on both backends. Never imports torch.
"""

from __future__ import annotations

import os
from pathlib import Path

import mlx.core as mx
import numpy as np
from mlx.utils import tree_flatten

from mixgrv_app.core import checkpoints
from mixgrv_app.core.configs import DiTConfig, Qwen3Config
from mixgrv_app.core.errors import CheckpointError

DTYPES = {"float32": mx.float32, "bfloat16": mx.bfloat16}


def _read_arrays(folder: Path) -> dict[str, mx.array]:
    arrays: dict[str, mx.array] = {}
    for path in checkpoints.weight_files(folder):
        checkpoints.read_header(path)  # truncated/corrupt files get the loader's messages
        try:
            arrays.update(mx.load(str(path)))
        except Exception as exc:  # mlx raises RuntimeError/ValueError for damaged files
            raise CheckpointError("checkpoint.corrupt_file", f"{path.name} cannot be read ({exc}). Download it again.",
                                  path=str(path)) from exc
    return arrays


def _fill(module, arrays: dict[str, mx.array], where: str, dtype) -> None:
    expected = {k: tuple(v.shape) for k, v in tree_flatten(module.parameters())}
    found = {k: tuple(v.shape) for k, v in arrays.items()}
    checkpoints.validate(expected, found, where)
    module.load_weights([(k, v.astype(dtype)) for k, v in arrays.items()], strict=True)
    mx.eval(module.parameters())


def _conv(w: mx.array) -> mx.array:
    return w.transpose(0, 2, 1)


def _conv_transpose(w: mx.array) -> mx.array:
    return w.transpose(1, 2, 0)


def load_dit_model(folder: str | os.PathLike[str], dtype: str = "float32"):
    from mixgrv_app.core.mlx_model.model import AceStepModel

    folder = Path(folder)
    config = DiTConfig.from_dict(checkpoints.read_config(folder))
    model = AceStepModel(config)
    arrays = _read_arrays(folder)
    for key in list(arrays):
        if key.endswith("proj_in.1.weight"):
            arrays[key] = _conv(arrays[key])
        elif key.endswith("proj_out.1.weight"):
            arrays[key] = _conv_transpose(arrays[key])
    _fill(model, arrays, f"{folder.name}/model.safetensors", DTYPES[dtype])
    return model


def _load_qwen3(cls, folder: Path, dtype: str):
    config = Qwen3Config.from_dict(checkpoints.read_config(folder))
    model = cls(config)
    arrays = _read_arrays(folder)
    rename = checkpoints.strip_prefix(arrays, "model.")
    arrays = {rename[k]: v for k, v in arrays.items() if rename[k] != "lm_head.weight"}
    _fill(model, arrays, f"{folder.name}/model.safetensors", DTYPES[dtype])
    return model


def load_text_encoder(folder: str | os.PathLike[str], dtype: str = "float32"):
    from mixgrv_app.core.mlx_model.qwen3 import Qwen3TextEncoder

    return _load_qwen3(Qwen3TextEncoder, Path(folder), dtype)


def load_lm(folder: str | os.PathLike[str], dtype: str = "float32"):
    from mixgrv_app.core.mlx_model.qwen3 import Qwen3CausalLM

    return _load_qwen3(Qwen3CausalLM, Path(folder), dtype)


def load_vae(folder: str | os.PathLike[str], dtype: str = "float32"):
    """The official ``vae/`` folder; weight-norm folding and conv layouts live in the VAE module."""
    from mixgrv_app.core.mlx_model.vae import OobleckVAE

    folder = Path(folder)
    for path in checkpoints.weight_files(folder):
        checkpoints.read_header(path)  # truncated/corrupt files get the loader's messages
    return OobleckVAE.from_folder(folder, DTYPES[dtype])


def load_silence_latent(folder: str | os.PathLike[str]) -> mx.array:
    """[1, 15000, 64] float32 (time-major), read without torch."""
    from mixgrv_app.core.pt_reader import load_tensor_file

    path = Path(folder) / checkpoints.SILENCE_FILE
    if not path.is_file():
        raise CheckpointError("checkpoint.missing_file", f"{path} is missing (the silence latent of the model).",
                              path=str(path))
    try:
        array = np.asarray(load_tensor_file(path), dtype=np.float32)
    except Exception as exc:
        raise CheckpointError("checkpoint.corrupt_file", f"{path.name} cannot be read ({exc}).", path=str(path)) from exc
    if array.ndim != 3 or 64 not in array.shape[1:]:
        raise CheckpointError("checkpoint.corrupt_file", f"{path.name} does not hold a [1, 64, frames] latent.",
                              path=str(path))
    return mx.array(array.transpose(0, 2, 1) if array.shape[1] == 64 else array)
