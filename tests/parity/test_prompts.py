"""Parity: prompt strings and token ids equal upstream's (b_prompt_tokenization, b_prompt_batch_padding)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import load_file

from mixgrv_app.core import prompts
from mixgrv_app.core.tokenizer import PromptTokenizer


@pytest.fixture(scope="module")
def tokenizer(parity_checkpoints):
    return PromptTokenizer(parity_checkpoints / "Qwen3-Embedding-0.6B")


@pytest.fixture(scope="module")
def items(parity):
    return json.loads((parity / "cases" / "b_prompt_tokenization.json").read_text(encoding="utf-8"))


def _prompts_for(inputs: dict) -> tuple[str, str]:
    if inputs["instruction_override"]:
        instruction = inputs["instruction_override"]
    else:
        instruction = prompts.task_instruction(inputs["task_type"], inputs["track_name"], inputs["complete_track_classes"])
    metas = prompts.metas_text(inputs["bpm"], inputs["timesignature"], inputs["keyscale"], inputs["duration"])
    caption = prompts.caption_prompt(inputs["caption"], metas, instruction)
    lyric = prompts.lyric_prompt(prompts.lyrics_for(inputs["lyrics"], inputs["instrumental"]), inputs["vocal_language"])
    return caption, lyric


def test_every_prompt_string_and_ids_match(items, tokenizer):
    assert len(items["items"]) >= 10
    for item in items["items"]:
        caption, lyric = _prompts_for(item["inputs"])
        assert caption == item["caption_prompt"], item["id"]
        assert lyric == item["lyric_prompt"], item["id"]
        assert tokenizer.encode(caption, prompts.CAPTION_MAX_TOKENS) == item["caption_input_ids"], item["id"]
        assert tokenizer.encode(lyric, prompts.LYRIC_MAX_TOKENS) == item["lyric_input_ids"], item["id"]
        assert len(item["caption_input_ids"]) == item["caption_num_tokens"]


@pytest.mark.parametrize("part", ["caption", "lyric"])
def test_truncation_keeps_max_minus_one_plus_eot(items, tokenizer, part):
    truncated = [i for i in items["items"] if i[f"{part}_truncated"]]
    assert truncated, f"the parity set has no prompt whose {part} is truncated"
    for item in truncated:
        limit = item[f"{part}_tokenizer_kwargs"]["max_length"]
        ids = tokenizer.encode(item[f"{part}_prompt"], limit)
        assert len(ids) == limit and ids[-1] == tokenizer.pad_id, item["id"]


def test_raw_tokenizer_calls(items, tokenizer):
    for entry in items["raw_tokenizer"]:
        assert tokenizer.encode(entry["text"], 10**6) == entry["input_ids"], entry["text"]


def test_metas_defaults():
    assert prompts.metas_text() == "- bpm: N/A\n- timesignature: N/A\n- keyscale: N/A\n- duration: 30 seconds\n"
    assert prompts.metas_text(120.0, 4, "C major", 47.9).endswith("- duration: 47 seconds\n")
    assert "- bpm: 120\n" in prompts.metas_text(120.0)
    assert prompts.normalize_instruction("Do it") == "Do it:"
    assert len(prompts.LANGUAGES) == 51 and "ko" in prompts.LANGUAGES and "unknown" in prompts.LANGUAGES


def test_batch_padding(parity, items, tokenizer):
    case = json.loads((parity / "cases.json").read_text(encoding="utf-8"))["cases"]["b_prompt_batch_padding"]
    tensors = load_file(str(parity / case["file"]))
    by_id = {i["id"]: i for i in items["items"]}
    chosen = [by_id[prompt_id] for prompt_id in case["params"]["prompt_ids"]]
    ids, mask = tokenizer.encode_batch([c["caption_prompt"] for c in chosen], chosen[0]["caption_tokenizer_kwargs"]["max_length"])
    np.testing.assert_array_equal(ids, tensors["out.text_input_ids"])
    np.testing.assert_array_equal(mask, tensors["out.text_attention_mask"])
    ids, mask = tokenizer.encode_batch([c["lyric_prompt"] for c in chosen], chosen[0]["lyric_tokenizer_kwargs"]["max_length"])
    np.testing.assert_array_equal(ids, tensors["out.lyric_input_ids"])
    np.testing.assert_array_equal(mask, tensors["out.lyric_attention_mask"])
