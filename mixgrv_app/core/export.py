"""Exporting a take: which formats there are, what file a save dialog's answer means, the writing.

The Generation tab's save dialog offers the formats below as filters; :func:`export_target`
turns what the user typed plus the filter shown into (file, format). A known suffix the user
typed decides the format (typing ``내 노래.flac`` while the WAV filter shows writes FLAC); the
filter only adds its suffix when the name has none of ours. :func:`export_take` does the
reading and encoding (a job: it runs off the GUI thread); the writing is atomic through
``core.audio.write_audio``.

Cheap to import (no numpy, no soundfile until a take is written).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ExportFormat:
    id: str          # "wav16", "flac", ...
    suffix: str      # ".wav", ".flac", ".mp3"
    bit_depth: str   # for core.audio.write_audio ("16", "24", "32f"; ignored for MP3)


#: in the order the save dialog lists them; the first one of a suffix is that suffix's default
EXPORT_FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat("wav16", ".wav", "16"),
    ExportFormat("wav24", ".wav", "24"),
    ExportFormat("wav32f", ".wav", "32f"),
    ExportFormat("flac", ".flac", "24"),
    ExportFormat("mp3", ".mp3", "16"),
)


def export_format(format_id: str) -> ExportFormat:
    return next(f for f in EXPORT_FORMATS if f.id == format_id)


def export_target(typed: str, filter_format: str) -> tuple[str, ExportFormat]:
    """The file to write and its format, from the typed path and the filter the dialog showed.

    A typed suffix we can write (case-insensitive) wins: the filter's own format when it has that
    suffix (WAV 24-bit stays 24-bit), else that suffix's first format. Without one, the filter's
    suffix is added (``take.v2`` becomes ``take.v2.wav``).
    """
    chosen = export_format(filter_format)
    suffix = Path(typed).suffix.lower()
    if suffix == chosen.suffix:
        return typed, chosen
    typed_format = next((f for f in EXPORT_FORMATS if f.suffix == suffix), None)
    if typed_format is not None:
        return typed, typed_format
    return typed + chosen.suffix, chosen


def export_take(source: str, target: str, format_id: str, title: str = "", comment: str = "") -> str:
    """Read the take's audio file ``source`` and write ``target`` in ``format_id``; returns target."""
    import soundfile

    from mixgrv_app.core.audio import write_audio

    fmt = export_format(format_id)
    data, rate = soundfile.read(source, dtype="float32", always_2d=True)
    write_audio(target, data.T.copy(), rate, bit_depth=fmt.bit_depth, title=title, comment=comment)
    return target
