"""The Qwen3-Embedding tokenizer with upstream's call semantics, on the `tokenizers` library.

Upstream calls ``AutoTokenizer(text, truncation=True, max_length=N)`` one prompt at a time and
right-pads the batch with ``pad_token_id``. Loading transformers for that costs seconds, so we
read the checkpoint's ``tokenizer.json`` directly. What must match:

* literal ``<|endoftext|>`` in a prompt is the special token (added tokens are matched first);
* the post-processor appends one ``<|endoftext|>`` to every encoding;
* truncation keeps ``max_length - 1`` content ids + that appended token (the library reserves
  room for the post-processor's token when truncating);
* the pad id is the ``pad_token`` of ``tokenizer_config.json`` (``<|endoftext|>``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from mixgrv_app.core.errors import CheckpointError


class PromptTokenizer:
    """Encodes caption/lyric prompts into ids the text encoder expects."""

    def __init__(self, folder: str | Path) -> None:
        from tokenizers import Tokenizer

        folder = Path(folder)
        path = folder / "tokenizer.json"
        if not path.is_file():
            raise CheckpointError("generate.tokenizer_missing", f"The text encoder folder {folder} has no tokenizer.json. Download the Qwen3-Embedding-0.6B folder again.",
                                  path=str(path))
        try:
            self._tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # a corrupt download
            raise CheckpointError("generate.tokenizer_corrupt", f"{path} cannot be read ({exc}). Download the model folder again.",
                                  path=str(path), reason=str(exc)) from exc
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        pad_token = "<|endoftext|>"
        config = folder / "tokenizer_config.json"
        if config.is_file():
            try:
                pad = json.loads(config.read_text(encoding="utf-8")).get("pad_token")
                if isinstance(pad, dict):
                    pad = pad.get("content")
                if isinstance(pad, str):
                    pad_token = pad
            except (OSError, ValueError):
                pass
        pad_id = self._tokenizer.token_to_id(pad_token)
        if pad_id is None:
            raise CheckpointError("generate.tokenizer_corrupt", f"{path} has no {pad_token} token. Download the model folder again.",
                                  path=str(path), reason="no pad token")
        self.pad_id = int(pad_id)
        self.vocab_size = int(self._tokenizer.get_vocab_size(with_added_tokens=True))

    def encode(self, text: str, max_length: int) -> list[int]:
        """One prompt -> ids (special tokens added, truncated to ``max_length``)."""
        self._tokenizer.enable_truncation(max_length=max_length)
        try:
            return list(self._tokenizer.encode(text, add_special_tokens=True).ids)
        finally:
            self._tokenizer.no_truncation()

    def encode_batch(self, texts: Sequence[str], max_length: int) -> tuple[np.ndarray, np.ndarray]:
        """Prompts -> (ids [B, L] int64 right-padded with pad_id, mask [B, L] bool)."""
        rows = [self.encode(t, max_length) for t in texts]
        return pad_rows(rows, self.pad_id)


def pad_rows(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad id lists to the longest one: (ids int64, mask bool)."""
    length = max((len(r) for r in rows), default=0)
    ids = np.full((len(rows), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), length), dtype=bool)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = True
    return ids, mask
