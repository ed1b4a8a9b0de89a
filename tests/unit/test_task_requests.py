"""Task rules of GenerationRequest without a model: fields per task, base-only refusal, regions,
pasted codes, tracks, source inspection (length limit, undecodable file), instructions."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from mixgrv_app.core import prompts
from mixgrv_app.core.errors import RequestError
from mixgrv_app.core.requests import (BASE_ONLY_TASKS, MAX_SOURCE_SECONDS, TASK_FIELDS, TASKS, GenerationRequest,
                                      check_region, inspect_source, region_limits, task_available, task_fields)

CODES = "<|audio_code_5|><|audio_code_70000|>"


@pytest.fixture()
def source(tmp_path):
    path = tmp_path / "source.wav"
    t = np.arange(int(2.5 * 48000)) / 48000
    sf.write(str(path), np.stack([np.sin(2 * np.pi * 330 * t)] * 2, axis=1).astype(np.float32) * 0.4, 48000, subtype="FLOAT")
    return str(path)


def _code(fn):
    with pytest.raises(RequestError) as info:
        fn()
    return info.value


def test_every_task_has_its_fields():
    assert set(TASK_FIELDS) == set(TASKS) == set(prompts.TASKS)
    assert task_fields("text2music") == ("duration",)
    assert "audio_codes" in task_fields("cover") and "source_audio" in task_fields("cover")
    assert "track" in task_fields("lego") and "track" in task_fields("extract") and "tracks" in task_fields("complete")
    assert "repaint_start" in task_fields("extend") and "duration" not in task_fields("repaint")


@pytest.mark.parametrize("task", BASE_ONLY_TASKS)
def test_base_only_tasks_are_refused_on_turbo_and_sft_naming_base(task, source):
    assert task_available(task, "acestep-v15-base")
    for variant in ("acestep-v15-turbo", "acestep-v15-sft", "acestep-v15-turbo-shift3"):
        assert not task_available(task, variant)
        error = _code(lambda: GenerationRequest(task=task, variant=variant, source_audio=source, track="drums",  # noqa: B023 - called at once
                                                tracks=["drums"], caption="x").validate())
        assert error.code == "request.task_needs_base" and error.params["model"] == "acestep-v15-base"
        assert "acestep-v15-base" in error.message and variant in error.message
    GenerationRequest(task=task, variant="acestep-v15-base", source_audio=source, track="drums", tracks=["drums"]).validate()
    for task in ("text2music", "cover", "repaint", "extend"):
        assert task_available(task, "acestep-v15-turbo") and task_available(task, "acestep-v15-sft")


def test_regions_per_task():
    assert check_region("repaint", 0.5, 2.0, 2.5) == (0.5, 2.0)
    assert check_region("lego", None, None, 2.5) == (0.0, 2.5)          # lego: the whole source by default
    assert check_region("extend", -4.0, 1.0, 2.5) == (-4.0, 1.0)
    assert check_region("extend", 1.2, 6.4, 2.5) == (1.2, 6.4)
    for task, start, end in (("repaint", 0.5, 3.0), ("repaint", 2.0, 1.0), ("extend", 0.2, 1.0), ("extend", 3.0, 9.0),
                             ("extend", -600.0, 1.0), ("lego", 0.0, 2.6)):
        assert _code(lambda: check_region(task, start, end, 2.5)).code == "request.region_outside", (task, start, end)  # noqa: B023 - called at once
    limits = region_limits("extend", 100.0)
    assert limits.min_start == -(MAX_SOURCE_SECONDS - 100.0) and limits.max_end == MAX_SOURCE_SECONDS and limits.must_extend
    assert region_limits("repaint", 100.0).max_end == 100.0 and region_limits("repaint", 100.0).min_start == 0.0


def test_static_region_checks(source):
    assert _code(lambda: GenerationRequest(task="repaint", source_audio=source, repaint_start=-1, repaint_end=1,
                                           caption="x").validate()).code == "request.region_outside"
    assert _code(lambda: GenerationRequest(task="extend", source_audio=source, repaint_start=1, repaint_end=0.5,
                                           caption="x").validate()).code == "request.bad_region"
    # an open end means "to the end of the source": extend then has to start before it
    request = GenerationRequest(task="extend", source_audio=source, repaint_start=1, caption="x").validate()
    assert _code(lambda: inspect_source(request)).code == "request.region_outside"
    assert inspect_source(GenerationRequest(task="extend", source_audio=source, repaint_start=-2)).seconds == 2.5
    GenerationRequest(task="extend", source_audio=source, repaint_start=-3, repaint_end=1, duration=None).validate()


def test_pasted_codes_make_a_cover():
    request = GenerationRequest(caption="lo-fi", audio_codes=CODES, duration=None).validate()
    assert request.effective_task() == "cover" and request.codes() == [5, 63999] and not request.uses_source()
    assert request.instruction_text() == prompts.COVER_INSTRUCTION
    assert GenerationRequest(caption="lo-fi", audio_codes=CODES, instruction="Custom:").instruction_text() == prompts.COVER_INSTRUCTION
    assert _code(lambda: GenerationRequest(caption="x", audio_codes="junk").validate()).code == "request.bad_audio_codes"
    assert _code(lambda: GenerationRequest(caption="x", task="repaint", audio_codes=CODES).validate()).code == "request.codes_need_cover"
    GenerationRequest(caption="x", task="cover", audio_codes=CODES, duration=None).validate()  # no source needed


def test_tracks_and_instructions(source):
    base = {"variant": "acestep-v15-base", "source_audio": source, "caption": ""}
    assert _code(lambda: GenerationRequest(task="lego", **base).validate()).code == "request.bad_track"
    assert _code(lambda: GenerationRequest(task="extract", track="kazoo", **base).validate()).code == "request.bad_track"
    assert _code(lambda: GenerationRequest(task="complete", tracks=[], **base).validate()).code == "request.bad_track"
    assert GenerationRequest(task="extract", track="Vocals", **base).validate().instruction_text() == "Extract the VOCALS track from the audio:"
    assert (GenerationRequest(task="complete", tracks=["drums", "backing_vocals"], **base).instruction_text()
            == "Complete the input track with DRUMS | BACKING_VOCALS:")
    assert GenerationRequest(task="extend", source_audio=source).instruction_text() == prompts.REPAINT_INSTRUCTION


def test_caption_and_duration_rules(source):
    assert _code(lambda: GenerationRequest(caption=" ").validate()).code == "request.caption_missing"
    assert _code(lambda: GenerationRequest(caption="x", duration=None).validate()).code == "request.duration_missing"
    assert _code(lambda: GenerationRequest(caption="x", duration=5).validate()).code == "request.bad_duration"
    # with a source the duration is ignored (the source sets the length) and the caption may be empty
    GenerationRequest(task="cover", source_audio=source, caption="", duration=None).validate()
    GenerationRequest(task="cover", source_audio=source, caption="x", duration=5).validate()
    assert _code(lambda: GenerationRequest(task="cover", caption="x").validate()).code == "request.source_required"


def test_inspect_source_checks_length_decoding_and_region(source, tmp_path):
    import hashlib

    info = inspect_source(GenerationRequest(task="repaint", source_audio=source, repaint_start=0.5, repaint_end=2.0))
    assert abs(info.seconds - 2.5) < 1e-9 and info.sha256 == hashlib.sha256(open(source, "rb").read()).hexdigest()
    assert inspect_source(GenerationRequest(caption="x")) is None
    error = _code(lambda: inspect_source(GenerationRequest(task="repaint", source_audio=source, repaint_start=0.5, repaint_end=4)))
    assert error.code == "request.region_outside" and error.params["source_seconds"] == 2.5
    long_path = tmp_path / "long.wav"
    sf.write(str(long_path), np.zeros((601 * 8000, 1), dtype=np.int16), 8000, subtype="PCM_16")
    error = _code(lambda: inspect_source(GenerationRequest(task="cover", source_audio=str(long_path))))
    assert error.code == "request.source_too_long" and error.params["max"] == MAX_SOURCE_SECONDS
    garbage = tmp_path / "garbage.flac"
    garbage.write_bytes(b"\x00not audio" * 20)
    error = _code(lambda: inspect_source(GenerationRequest(task="cover", source_audio=str(garbage))))
    assert error.code == "request.source_undecodable" and error.params["name"] == "garbage.flac"


def test_new_codes_have_messages():
    from mixgrv_app.ui.messages import MESSAGES

    for code in ("request.task_needs_base", "request.region_outside", "request.source_too_long", "request.source_undecodable",
                 "request.bad_track", "request.codes_need_cover", "request.bad_audio_codes", "request.duration_missing"):
        assert code in MESSAGES, code


def test_posterior_rule_is_seeded_and_splice_ramps_outside_the_region():
    from mixgrv_app.core.pipeline import posterior_eps_rule, splice_source

    a, b = posterior_eps_rule(7), posterior_eps_rule(8)
    np.testing.assert_array_equal(a(0, (1, 64, 9)), posterior_eps_rule(7)(0, (1, 64, 9)))
    assert not np.array_equal(a(0, (1, 64, 9)), a(1, (1, 64, 9))) and not np.array_equal(a(0, (1, 64, 9)), b(0, (1, 64, 9)))
    decoded, source = np.ones((2, 20), np.float32), np.zeros((2, 16), np.float32)
    out = splice_source(decoded, source, 8, 12, 3)
    np.testing.assert_allclose(out[0], [0, 0, 0, 0, 0, .25, .5, .75, 1, 1, 1, 1, .75, .5, .25, 0, 1, 1, 1, 1], atol=1e-7)
