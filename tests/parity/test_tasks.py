"""Parity: every generation-task case (``p_*`` in task_cases.json) through the real Generator.

Each case is one call of upstream's ``generate_music`` (cover from pasted codes, cover with a
reference, extend left/right, lego, extract, complete). The request is built from the case's
``generate_music_kwargs`` only (parametrized by case name, every constant from the case), the
source audio is the case's ``in.src_audio`` written as a 32-bit float WAV (as upstream got it),
and the randomness is injected the way the case documents it: the initial noise, the k-th VAE
posterior eps, Python's random for the reference segments. Both backends (torch, MLX) are
checked at the case's own atol: prompts exactly, pred_latents, the returned audio's head, tail,
splice windows and whole-audio checksums, and its length. Task rules that need no model (code
strings, regions, base-only refusal) are checked at the end.
"""

from __future__ import annotations

import json
import random
import re

import numpy as np
import pytest
import soundfile as sf
from safetensors.numpy import load_file

from mixgrv_app.core.requests import GenerationRequest


def _task_cases(root):
    return json.loads((root / "task_cases.json").read_text(encoding="utf-8"))["cases"]


# A case with a reference audio encodes 30 s of it (upstream's timbre assembly) with the tiny
# VAE's 128-channel convolutions at 48 kHz: minutes on a loaded CPU, most on MLX's CPU kernels.
SLOW_CASE_TIMEOUT_S = 3600


def _case_names():
    from tests.conftest import parity_dir

    return sorted(n for n in _task_cases(parity_dir()) if n.startswith("p_"))


def _case_params():
    """The p_* case names, with a longer timeout for cases that encode a reference audio."""
    from tests.conftest import parity_dir

    cases = _task_cases(parity_dir())
    return [pytest.param(n, marks=pytest.mark.timeout(SLOW_CASE_TIMEOUT_S))
            if cases[n]["params"]["generate_music_kwargs"].get("reference_audio") else n for n in _case_names()]


@pytest.fixture(scope="module")
def cases(parity):
    return _task_cases(parity)


def load_case(parity, name):
    return load_file(str(parity / "cases" / f"{name}.safetensors"))


def _pick(cases, predicate) -> str:
    """The first p_* case (by name) whose params satisfy ``predicate``."""
    return next(n for n in sorted(cases) if n.startswith("p_") and predicate(cases[n]["params"]))


def case_task(params) -> str:
    """Our task name: upstream's task_type, except a repaint reaching past the source is extend."""
    kwargs = params["generate_music_kwargs"]
    lengths = params.get("lengths", {})
    task = kwargs["task_type"]
    if task == "repaint" and (lengths.get("left_padding_samples", 0) or lengths.get("right_padding_samples", 0)):
        return "extend"
    return task


def write_inputs(tensors, folder):
    """in.src_audio / in.reference_audio as 32-bit float WAVs (what upstream read)."""
    paths = {}
    for key, name in (("in.src_audio", "source.wav"), ("in.reference_audio", "reference.wav")):
        if key in tensors:
            path = folder / name
            sf.write(str(path), tensors[key].T, 48000, subtype="FLOAT")
            paths[key] = str(path)
    return paths


def request_for(params, paths) -> GenerationRequest:
    """The GenerationRequest equivalent to the case's generate_music call."""
    kw = params["generate_music_kwargs"]
    audio_kw = params["generate_audio_kwargs_non_tensor"]
    source = params.get("instruction_source", {})
    return GenerationRequest(
        caption=kw["captions"], lyrics=kw["lyrics"], language=kw["vocal_language"], bpm=kw["bpm"],
        keyscale=kw["key_scale"], timesignature=kw["time_signature"], duration=kw["audio_duration"],
        variant=params["model_variant"], steps=kw["inference_steps"], guidance=kw["guidance_scale"], shift=kw["shift"],
        seed=int(kw["seed"]), batch_size=kw["batch_size"], task=case_task(params),
        source_audio=paths.get("in.src_audio"), reference_audio=paths.get("in.reference_audio"),
        audio_codes=kw.get("audio_code_string"), repaint_start=kw.get("repainting_start"), repaint_end=kw.get("repainting_end"),
        track=source.get("track_name"), tracks=source.get("complete_track_classes"),
        cover_strength=audio_kw["audio_cover_strength"], cover_noise_strength=audio_kw["cover_noise_strength"],
        repaint_crossfade_frames=audio_kw["repaint_crossfade_frames"], repaint_injection_ratio=audio_kw["repaint_injection_ratio"],
    )


def injected_eps(tensors):
    def eps(k, shape):
        return tensors[f"in.vae_posterior_eps_{k}"]
    return eps


def python_random_seed(params) -> int:
    return int(re.search(r"random\.seed\((\d+)\)", params["noise"]["python_random"]).group(1))


def check_audio(params, expected, audio, errors, label=""):
    """Head, tail, splice windows and whole-audio checksums of [B, 2, N] audio at the case's atol."""
    atol = params["atol"]
    n = params["lengths"]["output_samples_per_channel"]
    assert audio.shape[-1] == n, f"{label}: {audio.shape[-1]} samples, expected {n} (T·1920, never trimmed)"
    head = expected["out.audio_head"].shape[-1]
    windows = {"out.audio_head": (0, head), "out.audio_tail": (n - expected["out.audio_tail"].shape[-1], n)}
    for splice in params.get("splice_windows", []):
        windows["out." + splice["tensor"]] = tuple(splice["range"])
    for key, (a, b) in windows.items():
        error = float(np.max(np.abs(audio[:, :, a:b] - expected[key])))
        errors[f"{label} {key}"] = error
        assert error <= atol[key], f"{label} {key}: max error {error:.3g} > atol {atol[key]}"
    wide = audio.astype(np.float64)
    for key, value in (("out.audio_sum", wide.sum(-1)), ("out.audio_sumsq", (wide ** 2).sum(-1))):
        error = float(np.max(np.abs(value - expected[key])))
        errors[f"{label} {key}"] = error
        assert error <= atol[key], f"{label} {key}: error {error:.3g} > atol {atol[key]}"


@pytest.fixture(scope="module", params=["torch", "mlx"])
def generators(request, parity):
    """One Generator per variant on the backend under test (mlx[cpu] is a dependency: never skipped)."""
    from mixgrv_app.core.pipeline import Generator

    made = {}

    def get(variant):
        if variant not in made:
            made[variant] = Generator(parity / "checkpoints", variant, backend=request.param)
            assert made[variant].backend.info.name == request.param
        return made[variant]

    yield get
    for gen in made.values():
        gen.close()


ERRORS: dict[str, float] = {}


@pytest.mark.parametrize("name", _case_params())
def test_task_case_through_generator(parity, cases, generators, tmp_path, name):
    case = cases[name]
    params = case["params"]
    expected = load_case(parity, name)
    paths = write_inputs(expected, tmp_path)
    request = request_for(params, paths)
    generator = generators(params["model_variant"])
    label = f"{name}[{generator.backend.info.name}]"
    result = generator.generate(request, initial_noise=expected["in.initial_noise"], posterior_eps=injected_eps(expected),
                                reference_random=random.Random(python_random_seed(params)))
    # prompts and ids: exact
    assert result.prompts["caption"] == params["prompts"]["caption_prompt"]
    assert result.prompts["lyrics"] == params["prompts"]["lyric_prompt"]
    ids, mask = generator.tokenizer.encode_batch([result.prompts["caption"]], 256)
    np.testing.assert_array_equal(ids, expected["out.text_token_ids"])
    np.testing.assert_array_equal(mask, expected["out.text_attention_mask"])
    # the DiT output and the audio the handler returned
    error = float(np.max(np.abs(result.latents - expected["out.pred_latents"])))
    ERRORS[f"{label} pred_latents"] = error
    print(f"{label} pred_latents: max error {error:.3g}")
    assert error <= params["atol"]["out.pred_latents"], f"{label}: pred_latents error {error:.3g}"
    check_audio(params, expected, np.stack(result.audio), ERRORS, label)
    # what the take records
    assert result.task == ("cover" if params["generate_music_kwargs"].get("audio_code_string") else case_task(params))
    if "in.src_audio" in expected and not params["generate_music_kwargs"].get("audio_code_string"):
        assert result.source["path"] == paths["in.src_audio"] and len(result.source["sha256"]) == 64
        assert result.source["offset_samples"] == params["lengths"].get("source_offset_in_output_samples", 0)
        assert result.sidecar()["source"]["sha256"] == result.source["sha256"]


def test_codes_to_hints_matches_the_case(parity, cases, generators):
    """Backend.codes_to_hints on the pasted codes = upstream's precomputed 25 Hz hints."""
    from mixgrv_app.core.audio_codes import parse_audio_codes

    name = _pick(cases, lambda p: p["generate_music_kwargs"].get("audio_code_string"))
    params = cases[name]["params"]
    expected = load_case(parity, name)
    codes = parse_audio_codes(params["generate_music_kwargs"]["audio_code_string"])
    assert codes == params["audio_codes"]["code_ids"]
    backend = generators(params["model_variant"]).backend
    hints = backend.codes_to_hints(np.asarray([codes]))
    frames = hints.shape[1]
    assert frames == 5 * len(codes)
    np.testing.assert_allclose(hints, expected["out.precomputed_lm_hints_25Hz"][:, :frames],
                               atol=params["atol"]["out.precomputed_lm_hints_25Hz"], rtol=0)
    # audio_to_codes is its inverse on hint-free latents: tokenize(detokenize) round trip of the source frames
    source = expected["out.src_latents"][:, :frames]
    ids = backend.audio_to_codes(source)
    assert ids.shape == (1, frames // 5) and ids.dtype == np.int64 and 0 <= ids.min() and ids.max() < 64000
    np.testing.assert_allclose(backend.codes_to_hints(ids), backend.cover_hints(source), atol=1e-5, rtol=0)


def test_audio_codes_of_a_file(parity, cases, generators, tmp_path):
    """Generator.audio_codes_of (what "understand" reads): the case's source, encoded with its eps,
    gives the codes whose hints are the 5 Hz bottleneck of upstream's encoded source latents."""
    name = _pick(cases, lambda p: "vae_frames_of_source" in p["lengths"] and "turbo" in p["model_variant"])
    params = cases[name]["params"]
    expected = load_case(parity, name)
    paths = write_inputs({"in.src_audio": expected["in.src_audio"]}, tmp_path)
    generator = generators(params["model_variant"])
    codes = generator.audio_codes_of(paths["in.src_audio"], posterior_eps=injected_eps(expected))
    frames = params["lengths"]["vae_frames_of_source"]
    assert len(codes) == -(-frames // 5)
    source = expected["out.target_latents"][:, :frames]
    hints = generator.backend.codes_to_hints(np.asarray([codes]))[:, :frames]
    np.testing.assert_allclose(hints, generator.backend.cover_hints(source), atol=params["atol"]["out.target_latents"] * 10, rtol=0)


# ---- rules without a model ------------------------------------------------------------------------

def test_code_strings_parse_clamp_and_format(cases):
    from mixgrv_app.core.audio_codes import format_audio_codes, parse_audio_codes

    params = cases[_pick(cases, lambda p: p["generate_music_kwargs"].get("audio_code_string"))]["params"]
    text = params["generate_music_kwargs"]["audio_code_string"]
    ids = params["audio_codes"]["code_ids"]
    assert format_audio_codes(ids) == text  # upstream's layout: a newline after every 10
    assert parse_audio_codes("x<|audio_code_70000|> <|audio_code_3|>junk") == [63999, 3]
    assert parse_audio_codes("no codes") == [] and parse_audio_codes(None) == []


@pytest.mark.parametrize("name", _case_names())
def test_instruction_and_metas_from_the_request(cases, tmp_path, name):
    params = cases[name]["params"]
    request = request_for(params, {"in.src_audio": str(tmp_path / "s.wav"), "in.reference_audio": None})
    from mixgrv_app.core import prompts

    caption_prompt = params["prompts"]["caption_prompt"]
    instruction = caption_prompt.split("\n")[1]
    assert request.instruction_text() == instruction
    if params["generate_music_kwargs"].get("audio_code_string"):
        assert request.effective_task() == "cover" and not request.uses_source()
    assert prompts.normalize_instruction(params["prompts"]["instruction_passed"]) == params["prompts"]["instruction_passed"]
