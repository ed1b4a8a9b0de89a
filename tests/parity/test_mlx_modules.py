"""Module-level parity with upstream ACE-Step on the MLX backend (MLX CPU here).

The same a_/c_/d_/e_/k_ cases as tests/parity/test_torch_modules.py, run through the MLX
modules loaded by core/mlx_model/loading.py straight from the set's safetensors files.
Tolerance: each case's own suggested_atol (none loosened); integer outputs must match exactly.
The max error of every output is printed (``-s``) so a report can quote it.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from safetensors.numpy import load_file

mx = pytest.importorskip("mlx.core")

from mixgrv_app.core import checkpoints  # noqa: E402
from mixgrv_app.core.mlx_model import loading  # noqa: E402
from tests.conftest import case_names  # noqa: E402


def _cases(parity, prefix):
    cases = json.loads((parity / "cases.json").read_text())["cases"]
    return [name for name in cases if name.startswith(prefix)]


def _load_case(parity, name):
    cases = json.loads((parity / "cases.json").read_text())["cases"]
    tensors = dict(load_file(str(parity / "cases" / "shared_conditioning.safetensors")))
    tensors.update(load_file(str(parity / cases[name]["file"])))
    return cases[name], tensors


def _atol(case, key):
    name = key.split(".", 1)[1]
    tolerances = case.get("tolerance", {})
    tol = tolerances.get(name, tolerances.get(name.removesuffix("_from_indices")))
    return float(tol["suggested_atol"]) if isinstance(tol, dict) else 0.0


def _mx(array):
    return mx.array(np.ascontiguousarray(array))


def _check(name, case, tensors, key, got):
    want = tensors[key]
    got = np.array(got.astype(mx.float32) if got.dtype not in (mx.bool_, mx.int32, mx.int64) else got)
    assert got.shape == want.shape, f"{name} {key}: shape {got.shape} != {want.shape}"
    if not np.issubdtype(want.dtype, np.floating):
        assert np.array_equal(got.astype(want.dtype), want), f"{name} {key}: integer values differ"
        print(f"{name} {key}: exact")
        return
    err = float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max())
    print(f"{name} {key}: max abs error {err:.3g} (atol {_atol(case, key):.3g})")
    assert err <= _atol(case, key), f"{name} {key}: max abs error {err:.3g} > atol {_atol(case, key):.3g}"


@pytest.fixture(scope="module")
def dit(parity_checkpoints):
    return loading.load_dit_model(parity_checkpoints / "acestep-v15-turbo")


@pytest.fixture(scope="module")
def text_encoder(parity_checkpoints):
    return loading.load_text_encoder(parity_checkpoints / checkpoints.TEXT_ENCODER_FOLDER)


@pytest.mark.parametrize("name", case_names("a_"))
def test_text_encoder_cases(parity, text_encoder, name):
    case, t = _load_case(parity, name)
    _check(name, case, t, "out.last_hidden_state", text_encoder(_mx(t["in.text_input_ids"])))
    _check(name, case, t, "out.lyric_embeddings", text_encoder.embed_tokens(_mx(t["in.lyric_input_ids"])))


@pytest.mark.parametrize("name", case_names("c_"))
def test_condition_encoder_cases(parity, dit, name):
    case, t = _load_case(parity, name)
    states, mask = dit.encoder(*(_mx(t[k]) for k in (
        "in.text_hidden_states", "in.text_attention_mask", "in.lyric_hidden_states", "in.lyric_attention_mask",
        "in.refer_audio_acoustic_hidden_states_packed", "in.refer_audio_order_mask")))
    _check(name, case, t, "out.encoder_hidden_states", states)
    _check(name, case, t, "out.encoder_attention_mask", mask)


@pytest.mark.parametrize("name", case_names("d_"))
def test_dit_forward_cases(parity, dit, name):
    case, t = _load_case(parity, name)
    velocity = dit.decoder(_mx(t["in.hidden_states"]), _mx(t["in.timestep"]), _mx(t["in.timestep_r"]),
                           _mx(t["in.encoder_hidden_states"]), _mx(t["in.context_latents"]))
    _check(name, case, t, "out.velocity", velocity)


def test_dit_cached_context_equals_plain_call(parity, dit):
    """The backend embeds the cross-attention context once per condition; same numbers."""
    _case, t = _load_case(parity, _cases(parity, "d_")[0])
    args = (_mx(t["in.hidden_states"]), _mx(t["in.timestep"]), _mx(t["in.timestep_r"]))
    plain = dit.decoder(*args, _mx(t["in.encoder_hidden_states"]), _mx(t["in.context_latents"]))
    context = dit.decoder.embed_condition(_mx(t["in.encoder_hidden_states"]))
    cached = dit.decoder(*args, None, _mx(t["in.context_latents"]), context=context)
    assert np.array_equal(np.array(plain), np.array(cached))


def test_audio_tokenizer_cases(parity, dit):
    name = "e_audio_tokenizer_fsq"
    case, t = _load_case(parity, name)
    quantized, indices, mask5 = dit.tokenize(_mx(t["in.x"]), _mx(t["in.silence_latent"]), _mx(t["in.attention_mask"]))
    _check(name, case, t, "out.quantized", quantized)
    _check(name, case, t, "out.indices", indices)
    _check(name, case, t, "out.mask_5hz", mask5)
    _check(name, case, t, "out.detokenized", dit.detokenize(quantized))
    from_indices = dit.tokenizer.quantizer.get_output_from_indices(_mx(t["out.indices"]))
    _check(name, case, t, "out.quantized_from_indices", from_indices)
    _check(name, case, t, "out.detokenized_from_indices", dit.detokenize(from_indices))


@pytest.mark.parametrize("name", case_names("e_codes"))
def test_codes_to_hints_cases(parity, dit, name):
    case, t = _load_case(parity, name)
    ids = [int(m) for m in re.findall(r"<\|audio_code_(\d+)\|>", case["params"]["code_string"])]
    codes = np.clip(np.array(ids, dtype=np.int64), 0, dit.tokenizer.quantizer.codebook_size - 1)
    _check(name, case, t, "out.code_ids_parsed", mx.array(codes))
    _check(name, case, t, "out.hints_25hz", dit.codes_to_hints(mx.array(codes)[None, :, None]))


@pytest.mark.parametrize("name", case_names("k_"))
def test_lm_cases(parity, parity_checkpoints, name):
    lm_dirs = sorted(p for p in parity_checkpoints.iterdir() if p.name.startswith(checkpoints.LM_PREFIX))
    assert lm_dirs, "the parity set has k_ cases but no LM folder"
    lm = loading.load_lm(lm_dirs[0])
    case, t = _load_case(parity, name)
    ids = _mx(t["in.input_ids"])
    _check(name, case, t, "out.next_token_logits", lm.logits(ids)[:, -1])
    want = t["out.greedy_new_tokens"]
    got = np.array(lm.greedy(ids, want.shape[-1]))
    assert np.array_equal(got.reshape(-1), want.reshape(-1)), f"{name}: greedy tokens differ"


def test_silence_latent_reader_without_torch(parity_checkpoints):
    """pt_reader gives the same tensor as the case file's silence latent, time-major."""
    silence = loading.load_silence_latent(parity_checkpoints / "acestep-v15-turbo")
    assert silence.shape[0] == 1 and silence.shape[2] == 64
    assert bool(mx.all(mx.isfinite(silence)))


def test_pt_reader_equals_torch_load(parity_checkpoints):
    torch = pytest.importorskip("torch")
    from mixgrv_app.core.pt_reader import load_tensor_file

    path = parity_checkpoints / "acestep-v15-turbo" / checkpoints.SILENCE_FILE
    np.testing.assert_array_equal(load_tensor_file(path), torch.load(str(path), weights_only=True).numpy())


def test_pt_reader_refuses_other_globals(tmp_path):
    """A zip-pickle asking for any global outside the tensor whitelist is refused, not run."""
    import pickle
    import zipfile

    from mixgrv_app.core.pt_reader import load_tensor_file

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(Evil(), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        load_tensor_file(path)
