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
