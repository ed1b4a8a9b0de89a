"""Prompt strings for ACE-Step 1.5 conditioning, exactly as upstream builds them.

The DiT is conditioned on two texts, both encoded by the Qwen3-Embedding tokenizer:

* the caption prompt — task instruction, caption and a "metas" block (bpm, time signature,
  key, duration; ``N/A`` when unknown) followed by a literal ``<|endoftext|>`` and a newline;
* the lyric prompt — language code and the lyrics, followed by a literal ``<|endoftext|>``.

Upstream's conventions that are easy to get wrong live here once: the instruction always ends
with ":", a missing duration is written as "30 seconds", durations are truncated with int(),
``--instrumental`` means the lyrics "[Instrumental]", track names are upper-cased. The parity
file ``b_prompt_tokenization.json`` pins every string.
"""

from __future__ import annotations

from typing import Iterable

EOT = "<|endoftext|>"

# Upstream's VALID_LANGUAGES (51 codes, "unknown" included).
LANGUAGES: tuple[str, ...] = (
    "ar", "az", "bg", "bn", "ca", "cs", "da", "de", "el", "en", "es", "fa", "fi", "fr", "he",
    "hi", "hr", "ht", "hu", "id", "is", "it", "ja", "ko", "la", "lt", "ms", "ne", "nl", "no",
    "pa", "pl", "pt", "ro", "ru", "sa", "sk", "sr", "sv", "sw", "ta", "te", "th", "tl", "tr",
    "uk", "ur", "vi", "yue", "zh", "unknown",
)

TASKS: tuple[str, ...] = ("text2music", "cover", "repaint", "extend", "extract", "lego", "complete")

TRACK_NAMES: tuple[str, ...] = (
    "woodwinds", "brass", "fx", "synth", "strings", "percussion", "keyboard", "guitar", "bass",
    "drums", "backing_vocals", "vocals",
)

TEXT2MUSIC_INSTRUCTION = "Fill the audio semantic mask based on the given conditions:"
COVER_INSTRUCTION = "Generate audio semantic tokens based on the given conditions:"
REPAINT_INSTRUCTION = "Repaint the mask area based on the given conditions:"

INSTRUMENTAL_LYRICS = "[Instrumental]"
DEFAULT_DURATION_TEXT = "30 seconds"

CAPTION_MAX_TOKENS = 256
LYRIC_MAX_TOKENS = 2048


def task_instruction(task: str | None, track: str | None = None, classes: Iterable[str] | None = None) -> str:
    """The instruction line for a task (upstream's TASK_INSTRUCTIONS)."""
    task = task or "text2music"
    if task == "text2music":
        return TEXT2MUSIC_INSTRUCTION
    if task == "cover":
        return COVER_INSTRUCTION
    if task in ("repaint", "extend"):   # extend is upstream's repaint with a region past the source
        return REPAINT_INSTRUCTION
    if task == "extract":
        return f"Extract the {track.upper()} track from the audio:" if track else "Extract the track from the audio:"
    if task == "lego":
        return f"Generate the {track.upper()} track based on the audio context:" if track else "Generate the track based on the audio context:"
    if task == "complete":
        names = [c.upper() for c in (classes or [])]
        return f"Complete the input track with {' | '.join(names)}:" if names else "Complete the input track:"
    raise ValueError(f"unknown task {task!r}")


def normalize_instruction(instruction: str) -> str:
    """Upstream appends ':' to an instruction that does not end with one."""
    return instruction if instruction.endswith(":") else instruction + ":"


def _meta_value(value: object) -> str:
    if value is None:
        return "N/A"
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 120.0 from a form means 120
    text = str(value).strip()
    return text if text else "N/A"


def metas_text(bpm: object = None, timesignature: object = None, keyscale: object = None,
               duration: float | None = None) -> str:
    """The "# Metas" block: bpm, timesignature, keyscale, duration (int seconds), one per line."""
    duration_text = DEFAULT_DURATION_TEXT if duration is None else f"{int(duration)} seconds"
    return (
        f"- bpm: {_meta_value(bpm)}\n"
        f"- timesignature: {_meta_value(timesignature)}\n"
        f"- keyscale: {_meta_value(keyscale)}\n"
        f"- duration: {duration_text}\n"
    )


def caption_prompt(caption: str, metas: str, instruction: str = TEXT2MUSIC_INSTRUCTION) -> str:
    """The caption-branch string passed to the tokenizer (literal <|endoftext|> included)."""
    return f"# Instruction\n{normalize_instruction(instruction)}\n\n# Caption\n{caption}\n\n# Metas\n{metas}{EOT}\n"


def lyrics_for(lyrics: str | None, instrumental: bool) -> str:
    """The lyrics upstream passes on: "[Instrumental]" for instrumental songs."""
    return INSTRUMENTAL_LYRICS if instrumental else (lyrics or "")


def lyric_prompt(lyrics: str, language: str) -> str:
    """The lyric-branch string passed to the tokenizer (literal <|endoftext|> included)."""
    return f"# Languages\n{language}\n\n# Lyric\n{lyrics}{EOT}"
