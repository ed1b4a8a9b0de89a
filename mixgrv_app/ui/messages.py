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
    "analysis.clipping": QT_TRANSLATE_NOOP("Messages", "{percent}% of the samples are clipped. A cleaner master will train better."),
    "analysis.downmixed": QT_TRANSLATE_NOOP("Messages", "This file has {channels} channels; it was mixed down to stereo for training."),
    "analysis.leading_silence": QT_TRANSLATE_NOOP("Messages", "The track starts with {seconds} s of silence. Consider trimming it."),
    "analysis.low_sample_rate": QT_TRANSLATE_NOOP("Messages", "The sample rate is only {sample_rate} Hz; the high frequencies are missing. Use a better source if you have one."),
    "analysis.near_duplicate": QT_TRANSLATE_NOOP("Messages", "This sounds like the same recording as {other}. Remove one of them unless you mean to weight it twice."),
    "analysis.non_finite": QT_TRANSLATE_NOOP("Messages", "The file contains {count} NaN/Inf samples. Re-export it from your audio editor."),
    "analysis.silent": QT_TRANSLATE_NOOP("Messages", "The track is silent. Remove it from the dataset."),
    "analysis.too_short": QT_TRANSLATE_NOOP("Messages", "The track is only {seconds} s long; tracks of at least 5 s train better."),
    "analysis.trailing_silence": QT_TRANSLATE_NOOP("Messages", "The track ends with {seconds} s of silence. Consider trimming it."),
    "analysis.very_quiet": QT_TRANSLATE_NOOP("Messages", "The track is very quiet ({lufs} LUFS). Check that it is the right file."),
    "analysis.will_be_cut": QT_TRANSLATE_NOOP("Messages", "The track is {seconds} s long; only the first {max_seconds} s are used for training."),
    "audio.bad_shape": QT_TRANSLATE_NOOP("Messages", "The audio to write has the wrong shape ({shape}); this is a bug, please report it."),
    "audio.empty_file": QT_TRANSLATE_NOOP("Messages", "{name} is empty (0 bytes). Re-export or re-download the file and add it again."),
    "audio.no_audio": QT_TRANSLATE_NOOP("Messages", "{name} contains no audio samples. Choose a file that plays in a music player."),
    "audio.not_finite": QT_TRANSLATE_NOOP("Messages", "{name} contains NaN or Inf samples. Re-export the file from your audio editor."),
    "audio.not_found": QT_TRANSLATE_NOOP("Messages", "{name} was not found. Check that the file still exists and add it again."),
    "audio.too_large": QT_TRANSLATE_NOOP("Messages", "{name} is too large to decode in memory. Split it into shorter files."),
    "audio.truncated": QT_TRANSLATE_NOOP("Messages", "{name} looks truncated or damaged ({reason}). Re-export or re-download it."),
    "audio.undecodable": QT_TRANSLATE_NOOP("Messages", "{name} is not an audio file this app can read. Convert it to WAV, FLAC or MP3 and add it again."),
    "audio.unsupported_bit_depth": QT_TRANSLATE_NOOP("Messages", "{format} cannot be written with bit depth {bit_depth}; choose one of {choices}."),
    "audio.unsupported_output_format": QT_TRANSLATE_NOOP("Messages", "Cannot write {extension} files; choose a .wav, .flac or .mp3 file name."),
    "audio.write_failed": QT_TRANSLATE_NOOP("Messages", "Could not write {path}: {reason}. Check free disk space and folder permissions."),
    "dataset.bad_csv": QT_TRANSLATE_NOOP("Messages", "{name} is not a label CSV with the columns file,bpm,key,caption. Fix the header row and add it again."),
    "dataset.bad_csv_value": QT_TRANSLATE_NOOP("Messages", "The CSV value '{value}' for {field} was ignored. Fix it in the CSV or edit the track."),
    "dataset.bad_field": QT_TRANSLATE_NOOP("Messages", "'{value}' is not a valid value for {field}. Check the value and try again."),
    "dataset.copy_failed": QT_TRANSLATE_NOOP("Messages", "Could not copy {name} into the dataset ({reason}). Check free disk space."),
    "dataset.corrupt": QT_TRANSLATE_NOOP("Messages", "The dataset file {path} cannot be read ({reason}). Restore it from a backup or create the dataset again."),
    "dataset.duplicate_file": QT_TRANSLATE_NOOP("Messages", "{name} is already in the dataset as {existing}; it was not added twice."),
    "dataset.exists": QT_TRANSLATE_NOOP("Messages", "A dataset named '{name}' already exists. Pick another name."),
    "dataset.invalid_name": QT_TRANSLATE_NOOP("Messages", "'{name}' cannot be a dataset name. Use 1-120 characters without / \\ : and not starting with a dot."),
    "dataset.not_found": QT_TRANSLATE_NOOP("Messages", "There is no dataset named '{name}'. Check the name with 'mixgrv dataset list'."),
    "dataset.track_not_found": QT_TRANSLATE_NOOP("Messages", "There is no track '{track}' in dataset '{dataset}'. Use the track's id, file name or number."),
    "preprocess.empty_dataset": QT_TRANSLATE_NOOP("Messages", "Dataset '{dataset}' has no tracks to preprocess. Add songs first."),
    "preprocess.non_finite": QT_TRANSLATE_NOOP("Messages", "{track}: the {stage} stage produced {count} NaN/Inf values in {tensor}; nothing was written. Run preprocessing in float32 on CPU, or check the model files."),
    "preprocess.too_short": QT_TRANSLATE_NOOP("Messages", "{track} is shorter than one latent frame (40 ms). Remove it from the dataset."),
    "preprocess.unlabeled": QT_TRANSLATE_NOOP("Messages", "{count} track(s) have no caption; they are trained on the metas only. Add captions for better results."),
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
