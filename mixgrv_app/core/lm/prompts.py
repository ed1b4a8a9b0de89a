"""Chat prompts of the 5 Hz LM, rendered from the LM folder's own chat template.

Upstream builds every prompt with ``tokenizer.apply_chat_template``; transformers renders the
folder's template (``chat_template.jinja``, or ``chat_template`` in ``tokenizer_config.json``)
with a sandboxed Jinja2 environment (``trim_blocks``, ``lstrip_blocks``, the loop-controls
extension), a ``raise_exception`` global, a ``tojson`` filter that does not HTML-escape, and the
special tokens as variables. We render it the same way, so whitespace is identical and a new
LM release with another template needs no code change. The message contents (instructions,
``# Caption`` / ``# Lyric`` sections, the CoT YAML) are upstream's, per mode.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

from mixgrv_app.core.errors import CheckpointError

GENERATE_INSTRUCTION = "Generate audio semantic tokens based on the given conditions:"
UNDERSTAND_INSTRUCTION = "Understand the given musical conditions and describe the audio semantics accordingly:"
INSPIRE_INSTRUCTION = "Expand the user's input into a more detailed and specific musical description:"
FORMAT_INSTRUCTION = "Format the user's input into a more detailed and specific musical description:"
NO_USER_INPUT = "NO USER INPUT"
INSTRUMENTAL_LYRICS = "[Instrumental]"
EMPTY_COT = "<think>\n</think>"
COT_KEYS = ("bpm", "caption", "duration", "keyscale", "language", "timesignature")


def has_meaningful_negative(negative_prompt: str | None) -> bool:
    """Upstream treats an empty negative prompt and the default 'NO USER INPUT' as none."""
    return bool(negative_prompt and negative_prompt.strip() and negative_prompt.strip() != NO_USER_INPUT)


def _system(instruction: str) -> dict:
    return {"role": "system", "content": f"# Instruction\n{instruction}\n\n"}


def _caption_lyric(caption: str, lyrics: str) -> str:
    return f"# Caption\n{caption}\n\n# Lyric\n{lyrics}\n"


def format_metadata_as_cot(metadata: Mapping[str, Any]) -> str:
    """CoT metas as the ``<think>`` YAML block the codes phase conditions on.

    Keeps bpm, caption, duration, keyscale, language, timesignature (None dropped), strips a
    '/4' suffix of the time signature, turns all-digit strings into ints, dumps YAML with sorted
    keys and unicode (so long captions fold at ~80 columns and YAML-special strings are quoted).
    """
    import yaml

    items: dict[str, Any] = {}
    for key in COT_KEYS:
        value = metadata.get(key)
        if value is None:
            continue
        if key == "timesignature" and isinstance(value, str) and value.endswith("/4"):
            value = value.split("/")[0]
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        items[key] = value
    body = yaml.dump(items, allow_unicode=True, sort_keys=True).strip() if items else ""
    return f"<think>\n{body}\n</think>"


class ChatTemplate:
    """The LM folder's chat template, compiled once."""

    def __init__(self, folder: str | Path, special_tokens: Mapping[str, str | None] | None = None) -> None:
        folder = Path(folder)
        source = None
        jinja_file = folder / "chat_template.jinja"
        if jinja_file.is_file():
            source = jinja_file.read_text(encoding="utf-8")
        else:
            config = folder / "tokenizer_config.json"
            if config.is_file():
                try:
                    source = json.loads(config.read_text(encoding="utf-8")).get("chat_template")
                except (OSError, ValueError):
                    source = None
                if isinstance(source, list):  # named templates: use "default"
                    named = {t.get("name"): t.get("template") for t in source if isinstance(t, dict)}
                    source = named.get("default")
        if not isinstance(source, str) or not source:
            raise CheckpointError("lm.no_chat_template",
                                  f"The 5 Hz LM folder {folder} has no chat template (chat_template.jinja). Download the LM folder again.",
                                  path=str(folder))
        self.source = source
        self.special_tokens = {k: v for k, v in (special_tokens or {}).items() if v is not None}

    @cached_property
    def _template(self):
        import jinja2
        from jinja2.ext import Extension, loopcontrols
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        class GenerationBlock(Extension):
            """``{% generation %}…{% endgeneration %}`` renders its body (transformers tracks assistant
            spans with it; rendering is unaffected)."""
            tags = {"generation"}

            def parse(self, parser):
                lineno = next(parser.stream).lineno
                body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
                return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

            def _render(self, caller):
                return caller()

        def raise_exception(message):
            raise jinja2.exceptions.TemplateError(message)

        def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
            return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

        def strftime_now(fmt):
            return datetime.now().strftime(fmt)

        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationBlock, loopcontrols])
        env.filters["tojson"] = tojson
        env.globals["raise_exception"] = raise_exception
        env.globals["strftime_now"] = strftime_now
        return env.from_string(self.source)

    def render(self, messages: list[dict], add_generation_prompt: bool) -> str:
        return self._template.render(messages=messages, add_generation_prompt=add_generation_prompt,
                                     tools=None, documents=None, **self.special_tokens)


class PromptBuilder:
    """Upstream's prompt of each LM mode, rendered through the folder's template."""

    def __init__(self, template: ChatTemplate) -> None:
        self.template = template

    # text2music, phase 1 (CoT)
    def cot(self, caption: str, lyrics: str, *, negative: bool = False, negative_prompt: str = NO_USER_INPUT) -> str:
        if not negative:
            user = _caption_lyric(caption, lyrics)
        elif has_meaningful_negative(negative_prompt):
            user = _caption_lyric(negative_prompt, lyrics)
        else:
            user = f"# Lyric\n{lyrics}\n"
        return self.template.render([_system(GENERATE_INSTRUCTION), {"role": "user", "content": user}], True)

    # text2music, phase 2 (codes): the CoT sits in an open assistant turn
    def codes(self, caption: str, lyrics: str, cot_text: str, *, negative: bool = False,
              negative_prompt: str = NO_USER_INPUT) -> str:
        if negative:
            cot_text = EMPTY_COT
            if has_meaningful_negative(negative_prompt):
                caption = negative_prompt
        text = self.template.render([_system(GENERATE_INSTRUCTION), {"role": "user", "content": _caption_lyric(caption, lyrics)},
                                     {"role": "assistant", "content": cot_text}], False)
        return text if text.endswith("\n") else text + "\n"

    def _single_turn(self, instruction: str, user: str, negative: bool, negative_prompt: str) -> str:
        if negative:
            user = negative_prompt if negative_prompt and negative_prompt.strip() else ""
        return self.template.render([_system(instruction), {"role": "user", "content": user}], True)

    def understand(self, codes_text: str, *, negative: bool = False, negative_prompt: str = NO_USER_INPUT) -> str:
        return self._single_turn(UNDERSTAND_INSTRUCTION, codes_text, negative, negative_prompt)

    def inspiration(self, query: str, instrumental: bool, *, negative: bool = False,
                    negative_prompt: str = NO_USER_INPUT) -> str:
        user = f"{query}\n\ninstrumental: {'true' if instrumental else 'false'}"
        return self._single_turn(INSPIRE_INSTRUCTION, user, negative, negative_prompt)

    def format(self, caption: str, lyrics: str, *, negative: bool = False, negative_prompt: str = NO_USER_INPUT) -> str:
        return self._single_turn(FORMAT_INSTRUCTION, f"# Caption\n{caption}\n\n# Lyric\n{lyrics}", negative, negative_prompt)
