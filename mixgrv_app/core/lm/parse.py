"""Reading what the 5 Hz LM wrote: CoT metadata, audio codes, lyrics (upstream's rules).

* codes: every ``<|audio_code_N|>`` anywhere in the text, in order (values clamped to the FSQ
  codebook by :func:`mixgrv_app.core.audio_codes.parse_audio_codes`);
* metadata: the first ``<think>…</think>`` block, else ``<reasoning>…</reasoning>``, else the text
  before the first audio code. A line at column 0 with a ``:`` starts a field (key lower-cased);
  lines starting with a space or tab continue it; lines whose stripped text starts with ``<``
  are skipped. bpm and duration become ints when they parse; the caption's folded lines are
  joined with single spaces; unknown keys and keys without a value are dropped;
* lyrics: what follows the first ``</think>``, without a leading ``# Lyric(s)`` header or a
  trailing ``<|im_end|>``.
"""

from __future__ import annotations

import re
from typing import Any

_CODE_TOKEN = re.compile(r"<\|audio_code_\d+\|>")
_BLOCKS = (re.compile(r"<think>(.*?)</think>", re.DOTALL), re.compile(r"<reasoning>(.*?)</reasoning>", re.DOTALL))
_LYRIC_HEADER = re.compile(r"^#\s*Lyri[c|cs]?\s*\n", re.IGNORECASE)
_TRAILING_END = re.compile(r"<\|im_end\|>\s*$")
TEXT_FIELDS = ("genres", "keyscale", "language", "timesignature")


def postprocess_caption(caption: str) -> str:
    """A YAML-folded caption as one line: lines stripped, empty ones dropped, joined by a space."""
    if not caption:
        return caption
    return " ".join(line.strip() for line in caption.split("\n") if line.strip())


def code_string(text: str) -> str:
    """The audio-code tokens of ``text``, concatenated."""
    return "".join(_CODE_TOKEN.findall(text or ""))


def _reasoning(text: str) -> str:
    for pattern in _BLOCKS:
        m = pattern.search(text)
        if m:
            if m.group(1).strip():
                return m.group(1).strip()
            break
    return text.split("<|audio_code_")[0].strip()


def parse_metadata(text: str) -> dict[str, Any]:
    """The CoT fields of an LM output."""
    metadata: dict[str, Any] = {}
    reasoning = _reasoning(text or "")
    if not reasoning:
        return metadata
    key: str | None = None
    lines: list[str] = []

    def flush() -> None:
        if not key or not lines:
            return
        value = "\n".join(lines)
        if key in ("bpm", "duration"):
            try:
                metadata[key] = int(value.strip())
            except ValueError:
                metadata[key] = value.strip()
        elif key == "caption":
            metadata[key] = postprocess_caption(value)
        elif key in TEXT_FIELDS:
            metadata[key] = value.strip()

    for line in reasoning.split("\n"):
        if line.strip().startswith("<"):
            continue
        if line and not line[0].isspace() and ":" in line:
            flush()
            name, first = line.split(":", 1)
            key, lines = name.strip().lower(), ([first] if first.strip() else [])
        elif line.startswith((" ", "\t")) and key:
            lines.append(line)
    flush()
    return metadata


def parse_lm_output(text: str) -> tuple[dict[str, Any], str]:
    """(metadata, audio-code string) as upstream's ``parse_lm_output``."""
    return parse_metadata(text), code_string(text)


def lyrics_after_think(text: str) -> str:
    """The free text after ``</think>`` (understand/format/inspiration modes write lyrics there)."""
    m = re.search(r"</think>", text or "")
    if not m:
        return ""
    after = text[m.end():].strip()
    if not after:
        return ""
    after = _LYRIC_HEADER.sub("", after)
    after = _TRAILING_END.sub("", after)
    return after.strip()
