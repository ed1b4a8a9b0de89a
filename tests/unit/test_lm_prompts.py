"""The chat template is rendered exactly as transformers renders it (whitespace included).

Upstream renders LM prompts with ``apply_chat_template``; we render the folder's template with
our own Jinja2 set-up. A Qwen3-style template (think blocks split out of assistant turns,
namespaces, loop controls, ``tojson``, ``raise_exception``, indented block tags that
``trim_blocks``/``lstrip_blocks`` must clean) is rendered both ways and must agree byte for
byte, and the codes-phase prompt must keep upstream's structure through it.
"""

from __future__ import annotations

import shutil

import pytest

from mixgrv_app.core.lm.prompts import ChatTemplate, PromptBuilder, format_metadata_as_cot

QWEN_STYLE = """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- for tool in tools %}
        {{- tool | tojson }}
    {%- endfor %}
    {{- '<|im_end|>\\n' }}
{%- endif %}
{%- set ns = namespace(last_user=-1) %}
{%- for message in messages %}
    {%- if message.role == 'user' %}{% set ns.last_user = loop.index0 %}{% endif %}
{%- endfor %}
{%- for message in messages %}
    {%- if message.role not in ['system', 'user', 'assistant'] %}
        {{- raise_exception('unknown role ' ~ message.role) }}
    {%- endif %}
    {%- set content = message.content %}
    {%- if message.role == 'assistant' and '</think>' in content %}
        {%- set reasoning = content.split('</think>')[0].split('<think>')[-1].strip('\\n') %}
        {%- set content = content.split('</think>')[-1].lstrip('\\n') %}
        {%- if loop.index0 > ns.last_user %}
            {{- '<|im_start|>assistant\\n<think>\\n' + reasoning + '\\n</think>\\n\\n' + content }}
        {%- else %}
            {{- '<|im_start|>assistant\\n' + content }}
        {%- endif %}
        {{- '<|im_end|>\\n' }}
        {%- continue %}
    {%- endif %}
    {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
    {%- if enable_thinking is defined and enable_thinking is false %}
        {{- '<think>\\n\\n</think>\\n\\n' }}
    {%- endif %}
{%- endif %}
"""


@pytest.fixture()
def lm_folder(tmp_path, parity_checkpoints):
    source = parity_checkpoints / "acestep-5Hz-lm-0.6B"
    folder = tmp_path / "acestep-5Hz-lm-0.6B"
    folder.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt",
                 "added_tokens.json", "config.json"):
        shutil.copy(source / name, folder / name)
    (folder / "chat_template.jinja").write_text(QWEN_STYLE, encoding="utf-8")
    return folder


def _messages():
    cot = format_metadata_as_cot({"bpm": 120, "caption": "A bright synth-pop song with a long caption that folds "
                                  "onto a second line in YAML", "duration": 30, "keyscale": "C major",
                                  "language": "ko", "timesignature": "4"})
    return [
        [{"role": "system", "content": "# Instruction\nGenerate audio semantic tokens based on the given conditions:\n\n"},
         {"role": "user", "content": "# Caption\n잔잔한 피아노\n\n# Lyric\n[Verse]\n창밖에 비가\n"}],
        [{"role": "system", "content": "# Instruction\nx\n\n"}, {"role": "user", "content": "u"},
         {"role": "assistant", "content": cot}],
        [{"role": "user", "content": "first"}, {"role": "assistant", "content": "<think>\nold\n</think>\n\nanswer"},
         {"role": "user", "content": "second"}],
    ]


def test_renders_like_transformers(lm_folder):
    # the function transformers' apply_chat_template renders with (loading the tokenizer itself takes minutes)
    from transformers.utils.chat_template_utils import render_jinja_template

    special = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}
    ours = ChatTemplate(lm_folder, special)
    for messages in _messages():
        for add in (True, False):
            want, _ = render_jinja_template([messages], chat_template=QWEN_STYLE, add_generation_prompt=add, **special)
            assert ours.render(messages, add) == want[0]


def test_raise_exception_reaches_the_caller(lm_folder):
    import jinja2

    with pytest.raises(jinja2.exceptions.TemplateError, match="unknown role tool"):
        ChatTemplate(lm_folder).render([{"role": "tool", "content": "x"}], False)


def test_codes_prompt_keeps_the_cot_in_the_open_assistant_turn(lm_folder):
    builder = PromptBuilder(ChatTemplate(lm_folder))
    cot = format_metadata_as_cot({"bpm": 90, "duration": 12, "keyscale": "A minor", "timesignature": "3/4"})
    text = builder.codes("calm piano", "[Instrumental]", cot)
    assert cot == "<think>\nbpm: 90\nduration: 12\nkeyscale: A minor\ntimesignature: 3\n</think>"
    assert text.endswith("<|im_start|>assistant\n<think>\nbpm: 90\nduration: 12\nkeyscale: A minor\ntimesignature: 3\n"
                         "</think>\n\n<|im_end|>\n")
    assert "# Caption\ncalm piano\n\n# Lyric\n[Instrumental]\n" in text


def test_missing_template_is_a_coded_error(lm_folder):
    from mixgrv_app.core.errors import CheckpointError

    (lm_folder / "chat_template.jinja").unlink()
    with pytest.raises(CheckpointError) as err:
        ChatTemplate(lm_folder)
    assert err.value.code == "lm.no_chat_template"
