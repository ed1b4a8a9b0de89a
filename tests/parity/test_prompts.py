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


def test_truncation_keeps_max_minus_one_plus_eot(items, tokenizer):
    by_id = {i["id"]: i for i in items["items"]}
    long_caption = by_id["p5_long_caption_truncated"]
    long_lyrics = by_id["p4_long_lyrics_truncated"]
    assert long_caption["caption_truncated"] and long_lyrics["lyric_truncated"]
    ids = tokenizer.encode(long_caption["caption_prompt"], 256)
    assert len(ids) == 256 and ids[-1] == tokenizer.pad_id
    ids = tokenizer.encode(long_lyrics["lyric_prompt"], 2048)
    assert len(ids) == 2048 and ids[-1] == tokenizer.pad_id


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
    tensors = load_file(str(parity / "cases" / "b_prompt_batch_padding.safetensors"))
    by_id = {i["id"]: i for i in items["items"]}
    chosen = [by_id["p0_en_full"], by_id["p1_ko_full"]]
    ids, mask = tokenizer.encode_batch([c["caption_prompt"] for c in chosen], 256)
    np.testing.assert_array_equal(ids, tensors["out.text_input_ids"])
    np.testing.assert_array_equal(mask, tensors["out.text_attention_mask"])
    ids, mask = tokenizer.encode_batch([c["lyric_prompt"] for c in chosen], 2048)
    np.testing.assert_array_equal(ids, tensors["out.lyric_input_ids"])
    np.testing.assert_array_equal(mask, tensors["out.lyric_attention_mask"])
