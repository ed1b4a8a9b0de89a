"""Think end to end on the set's tiny checkpoints: the LM plans, the DiT renders the plan.

* ``mixgrv generate --think`` (a real child process) writes a take whose sidecar holds the plan;
  the same seed twice gives the same plan and the same audio;
* through the Generator: CoT metas fill only what the user left empty, the CoT language reaches
  the lyric prompt, every item of a batch gets its own codes, and the take has 5 × codes frames.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[2]


def _generate(parity_checkpoints, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    argv = ["generate", "--models", str(parity_checkpoints), "--caption", "warm lo-fi piano", "--lyrics", "[Verse]\nla la",
            "--bpm", "90", "--key", "A minor", "--time-signature", "4", "--duration", "10", "--seed", "4",
            "--think", "--lm-cfg", "2.0", "--lm-temperature", "0.85", "--backend", "torch", "--device", "cpu",
            "--quiet", "--out", str(out)]
    return subprocess.run([sys.executable, "-m", "mixgrv_app", *argv], capture_output=True, text=True, timeout=900,
                          env=env, cwd=REPO)


def test_generate_think_cli_is_repeatable(parity_checkpoints, tmp_path):
    first, second = tmp_path / "a.wav", tmp_path / "b.wav"
    for out in (first, second):
        res = _generate(parity_checkpoints, out)
        assert res.returncode == 0, res.stderr[-3000:]
    side = [json.loads(Path(str(p) + ".json").read_text(encoding="utf-8")) for p in (first, second)]
    plan = side[0]["lm_plan"]
    assert plan["lm"] == "acestep-5Hz-lm-0.6B" and not plan["phase1_ran"]  # bpm, key, time signature, duration given
    assert plan["items"] == [{"seed": 4, "code_count": 50}]
    assert plan["metadata"] == {"bpm": 90, "keyscale": "A minor", "timesignature": "4", "duration": 10}
    assert side[0]["task"] == "cover" and side[0]["request"]["think"] is True
    assert side[0]["request"]["audio_codes"] == side[1]["request"]["audio_codes"]
    a, sr = sf.read(first)
    b, _ = sf.read(second)
    assert sr == 48000 and a.shape == b.shape == (50 * 5 * 1920, 2)  # 5 latent frames per code
    assert np.array_equal(a, b)


@pytest.fixture(scope="module")
def generator(parity_checkpoints):
    import torch

    from mixgrv_app.core.pipeline import Generator

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield Generator(parity_checkpoints, "acestep-v15-turbo", backend="torch", device="cpu")
    torch.set_num_threads(threads)


def test_cot_fills_only_what_the_user_left_empty(generator):
    from mixgrv_app.core.requests import GenerationRequest

    request = GenerationRequest(caption="bright synth pop", lyrics="[Verse]\nhello", bpm=100, duration=10.0, seed=9,
                                batch_size=2, think=True, use_cot_caption=False, lm_temperature=0.85)
    result = generator.generate(request)
    plan = result.info["lm"]
    md = plan["metadata"]
    assert plan["phase1_ran"] and md["bpm"] == 100 and md["duration"] == 10
    # the user's bpm stays; key, time signature and language come from the CoT
    assert result.request["bpm"] == 100
    assert result.request["keyscale"] == md["keyscale"] and result.request["timesignature"] == md["timesignature"]
    assert result.request["language"] == md["language"] != "unknown"
    assert f"# Languages\n{md['language']}\n" in result.prompts["lyrics"]
    assert plan["filled"] == {"keyscale": md["keyscale"], "timesignature": md["timesignature"], "language": md["language"]}
    assert [item["seed"] for item in plan["items"]] == result.seeds == [9, 10]
    assert all(item["code_count"] == 50 for item in plan["items"])
    assert result.latents.shape[:2] == (2, 250)
    assert not np.array_equal(result.latents[0], result.latents[1])


def test_think_request_rules():
    from mixgrv_app.core.errors import RequestError
    from mixgrv_app.core.requests import GenerationRequest

    GenerationRequest(caption="x", think=True).validate()
    cases = [({"task": "cover", "source_audio": "song.wav"}, "request.think_task"),
             ({"audio_codes": "<|audio_code_5|>"}, "request.think_task"),
             ({"lm": "7B"}, "request.bad_lm_setting"), ({"lm_temperature": -0.1}, "request.bad_lm_setting"),
             ({"lm_cfg": 0.5}, "request.bad_lm_setting"), ({"lm_top_p": 0.0}, "request.bad_lm_setting"),
             ({"lm_top_k": -1}, "request.bad_lm_setting")]
    for change, code in cases:
        with pytest.raises(RequestError) as err:
            GenerationRequest(caption="x", think=True, **change).validate()
        assert err.value.code == code, change


def test_without_a_length_the_plan_sets_it():
    """Thinking may leave the length empty (text to music only): the CoT's duration becomes the
    take's, else what the codes hold; no length and no codes is a clear error."""
    from mixgrv_app.core.errors import RequestError
    from mixgrv_app.core.lm.planner import Plan
    from mixgrv_app.core.lm.think import fill_request
    from mixgrv_app.core.requests import DURATION_RANGE, GenerationRequest

    request = GenerationRequest(caption="x", think=True, duration=None).validate()
    with pytest.raises(RequestError) as err:
        GenerationRequest(caption="x", duration=None).validate()
    assert err.value.code == "request.duration_missing"

    def plan(metadata, codes):
        return Plan(metadata=metadata, codes=codes, code_string="", cot_text="", phase1_ran=True, seed=1, lm="lm")

    filled, changes = fill_request(request, plan({"duration": 37}, [1] * 185), "<|audio_code_1|>")
    assert filled.duration == 37.0 and changes["duration"] == 37.0
    filled, _ = fill_request(request, plan({"duration": 9999}, [1] * 5), "<|audio_code_1|>")
    assert filled.duration == DURATION_RANGE[1]  # a plan says at most what a song may be
    filled, _ = fill_request(request, plan({}, [1] * 60), "<|audio_code_1|>")
    assert filled.duration == 12.0  # 60 codes at 5 Hz
    with pytest.raises(RequestError) as err:
        fill_request(request, plan({}, []), "")
    assert err.value.code == "request.lm_no_length"
    given = GenerationRequest(caption="x", think=True, duration=20.0)
    filled, changes = fill_request(given, plan({"duration": 37}, [1] * 100), "<|audio_code_1|>")
    assert filled.duration == 20.0 and "duration" not in changes  # the user's length stays


def test_every_lm_error_code_has_a_message():
    import re

    from mixgrv_app.ui.messages import MESSAGES

    found = set()
    for path in (REPO / "mixgrv_app" / "core" / "lm").glob("*.py"):
        found |= set(re.findall(r'Error\(\s*"([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert {"lm.missing", "lm.prompt_too_long", "lm.not_enough_memory", "request.think_task"} <= found
    assert not sorted(code for code in found if code not in MESSAGES)
