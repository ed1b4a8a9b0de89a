"""Korean/English sentences for the error and warning codes raised by core/.

core/ cannot call ``tr()``: its errors carry a ``code`` and ``params`` (see core/errors.py).
Each code is listed here once, wrapped in ``QT_TRANSLATE_NOOP`` so lupdate puts it in
translations/mixgrv_ko.ts under the context "Messages". A test checks that every code raised in
core/ has an entry, and that every entry is translated. Add new codes in alphabetical order.
Each sentence says what happened and what to do next.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QT_TRANSLATE_NOOP

CONTEXT = "Messages"

MESSAGES: dict[str, str] = {
    # code: English source text ({name} placeholders filled from the error's params)
    "audio.bad_shape": QT_TRANSLATE_NOOP("Messages", "The audio to write has the wrong shape ({shape}); this is a bug, please report it."),
    "audio.empty_file": QT_TRANSLATE_NOOP("Messages", "{name} is empty (0 bytes). Re-export or re-download the file and add it again."),
    "audio.no_audio": QT_TRANSLATE_NOOP("Messages", "{name} contains no audio samples. Choose a file that plays in a music player."),
    "audio.not_finite": QT_TRANSLATE_NOOP("Messages", "{name} contains NaN or Inf samples. Re-export the file from your audio editor."),
    "audio.not_found": QT_TRANSLATE_NOOP("Messages", "{name} was not found. Check that the file still exists and add it again."),
    "audio.truncated": QT_TRANSLATE_NOOP("Messages", "{name} looks truncated or damaged ({reason}). Re-export or re-download it."),
    "audio.undecodable": QT_TRANSLATE_NOOP("Messages", "{name} is not an audio file this app can read. Convert it to WAV, FLAC or MP3 and add it again."),
    "audio.unsupported_bit_depth": QT_TRANSLATE_NOOP("Messages", "{format} cannot be written with bit depth {bit_depth}; choose one of {choices}."),
    "audio.unsupported_output_format": QT_TRANSLATE_NOOP("Messages", "Cannot write {extension} files; choose a .wav, .flac or .mp3 file name."),
    "audio.write_failed": QT_TRANSLATE_NOOP("Messages", "Could not write {path}: {reason}. Check free disk space and folder permissions."),
}


def text_for(code: str, params: dict[str, Any] | None = None, fallback: str = "") -> str:
    """The translated sentence for ``code``; the core's English text when the code is unknown."""
    source = MESSAGES.get(code)
    if source is None:
        return fallback or code
    translated = QCoreApplication.translate(CONTEXT, source)
    try:
        return translated.format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return translated


def text_for_error(exc: BaseException) -> str:
    code = getattr(exc, "code", "")
    return text_for(code, getattr(exc, "params", {}), str(exc))
