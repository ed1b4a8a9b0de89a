"""One error type that the UI can translate.

Core code cannot use Qt's ``tr()``, so every error a user may see carries a stable ``code``
(a message key), the parameters to fill in, and an English text. The UI looks the code up in
``mixgrv_app.ui.messages`` for the Korean (or English) sentence; the CLI prints the English
text. Codes are dotted: ``checkpoint.missing_key``, ``audio.undecodable``...
"""

from __future__ import annotations

from typing import Any


class MixgrvError(Exception):
    """A failure with a message meant for the user, not a traceback."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params

    def __str__(self) -> str:  # the CLI prints this line as is
        return self.message


class CheckpointError(MixgrvError):
    """A model folder or file that is missing, corrupt or does not fit the code."""


class RequestError(MixgrvError):
    """A generation/training request with a bad value, caught before any model work."""


class AudioError(MixgrvError):
    """An audio file that cannot be decoded or written."""


class DatasetError(MixgrvError):
    """A dataset that cannot be read, written or changed as asked."""


class TrainingError(MixgrvError):
    """A training run that cannot start or had to stop."""


class LMError(MixgrvError):
    """The 5 Hz LM planner cannot run as asked (model missing, not enough memory, prompt too long)."""
