"""The 5 Hz LM's tokenizer, read from its folder with the ``tokenizers`` library.

Upstream tokenizes prompts with ``AutoTokenizer(prompt, padding=False, truncation=True)`` and
decodes single tokens with ``tokenizer.decode([id])`` (special tokens kept, no space clean-up);
the constrained decoder works on those per-token texts. Loading transformers for that costs
seconds, so the folder's ``tokenizer.json`` is read directly; ``tokenizer_config.json`` names
the EOS and pad tokens. Every token's text is decoded once here (one Rust batch call) because
the decoder needs them all (audio-code ids, genre tries, caption line starts).
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from pathlib import Path

import numpy as np

from mixgrv_app.core.errors import CheckpointError

AUDIO_CODE_RE = re.compile(r"^<\|audio_code_(\d+)\|>$")
MAX_AUDIO_CODE = 63999  # FSQ codebook 64,000: larger code tokens exist in the vocabulary but are never valid


def _token_name(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


class LMVocab:
    """Encode/decode with the LM folder's tokenizer, plus the token tables the decoder needs."""

    def __init__(self, folder: str | Path) -> None:
        from tokenizers import Tokenizer

        folder = Path(folder)
        path = folder / "tokenizer.json"
        if not path.is_file():
            raise CheckpointError("lm.tokenizer_missing", f"{path} is missing. Download the 5 Hz LM folder {folder.name} again.",
                                  path=str(path))
        try:
            self._tok = Tokenizer.from_file(str(path))
        except Exception as exc:  # a truncated or corrupt download
            raise CheckpointError("generate.tokenizer_corrupt", f"{path} cannot be read ({exc}). Download the model folder again.",
                                  path=str(path), reason=str(exc)) from exc
        self._tok.no_padding()
        self._tok.no_truncation()
        self.config: dict = {}
        config_path = folder / "tokenizer_config.json"
        if config_path.is_file():
            try:
                self.config = json.loads(config_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CheckpointError("generate.tokenizer_corrupt", f"{config_path} cannot be read ({exc}). Download the model folder again.",
                                      path=str(config_path), reason=str(exc)) from exc
        self.eos_token = _token_name(self.config.get("eos_token")) or "<|im_end|>"
        self.pad_token = _token_name(self.config.get("pad_token")) or "<|endoftext|>"
        self.bos_token = _token_name(self.config.get("bos_token"))
        self.unk_token = _token_name(self.config.get("unk_token"))
        self.eos_id = self._tok.token_to_id(self.eos_token)
        self.pad_id = self._tok.token_to_id(self.pad_token)
        if self.eos_id is None:
            raise CheckpointError("generate.tokenizer_corrupt", f"{path} has no {self.eos_token} token. Download the model folder again.",
                                  path=str(path), reason="no eos token")
        if self.pad_id is None:
            self.pad_id = self.eos_id
        self.size = int(self._tok.get_vocab_size(with_added_tokens=True))

    def encode(self, text: str) -> list[int]:
        """``tokenizer(text).input_ids`` / ``tokenizer.encode(text, add_special_tokens=False)``: the LM
        tokenizer adds no special tokens, so both are the plain encoding."""
        return list(self._tok.encode(text, add_special_tokens=False).ids)

    def decode(self, ids) -> str:
        return self._tok.decode([int(i) for i in ids], skip_special_tokens=False)

    @cached_property
    def texts(self) -> list[str]:
        """``decode([id])`` for every id (what upstream's decoder compares against)."""
        return self._tok.decode_batch([[i] for i in range(self.size)], skip_special_tokens=False)

    @cached_property
    def code_token_ids(self) -> np.ndarray:
        """Token ids of the valid audio codes (values 0..63999), ascending; and their code values."""
        ids = []
        for i, text in enumerate(self.texts):
            if text.startswith("<|audio_code_"):
                m = AUDIO_CODE_RE.match(text)
                if m and int(m.group(1)) <= MAX_AUDIO_CODE:
                    ids.append(i)
        return np.asarray(ids, dtype=np.int64)

    @cached_property
    def code_values(self) -> np.ndarray:
        """Code value of each id in ``code_token_ids``."""
        return np.asarray([int(AUDIO_CODE_RE.match(self.texts[i]).group(1)) for i in self.code_token_ids], dtype=np.int64)

    def code_token(self, value: int) -> int:
        """Token id of ``<|audio_code_value|>``."""
        tid = self._tok.token_to_id(f"<|audio_code_{int(value)}|>")
        if tid is None:
            raise CheckpointError("lm.no_code_token", f"The LM tokenizer has no token for audio code {value}.", value=int(value))
        return int(tid)
