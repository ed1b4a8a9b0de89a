"""5 Hz audio codes as text: upstream's ``<|audio_code_N|>`` strings, read and written once.

The 5 Hz LM writes its plan of a song as a run of ``<|audio_code_N|>`` tokens (N in 0..63999,
one per 0.2 s); a musician can paste such a string to make a cover from it without any source
audio (upstream's "audio codes" field). Parsing is upstream's: every ``<|audio_code_N|>`` in the
text, in order, anything between them ignored, each id clamped to the FSQ codebook [0, 63999].
Each code is 5 latent frames (25 Hz), so N codes make a take of ``max(128, 5·N)`` frames.
Framework-free; the backends turn ids into hints (``Backend.codes_to_hints``) and latents into
ids (``Backend.audio_to_codes``).
"""

from __future__ import annotations

import re
from typing import Iterable

CODEBOOK_SIZE = 64000          # FSQ levels 8·8·8·5·5·5
FRAMES_PER_CODE = 5            # 5 Hz codes, 25 Hz latents
CODES_PER_LINE = 10            # how upstream lays out a code string (a newline after every 10)

_CODE = re.compile(r"<\|audio_code_(\d+)\|>")


def parse_audio_codes(text: str | None) -> list[int]:
    """All code ids in ``text`` in order, clamped to [0, 63999]; [] when there are none."""
    if not text:
        return []
    return [min(int(m), CODEBOOK_SIZE - 1) for m in _CODE.findall(text)]


def format_audio_codes(codes: Iterable[int]) -> str:
    """``<|audio_code_N|>`` per id, a newline after every 10 (the layout upstream writes)."""
    ids = [int(c) for c in codes]
    lines = ["".join(f"<|audio_code_{c}|>" for c in ids[i:i + CODES_PER_LINE]) for i in range(0, len(ids), CODES_PER_LINE)]
    return "\n".join(lines)


def codes_frames(n_codes: int) -> int:
    """Latent frames the codes cover (before the 128-frame minimum)."""
    return FRAMES_PER_CODE * int(n_codes)
