"""The constrained decoder: which tokens the 5 Hz LM may write next, step by step.

A faithful re-implementation of upstream's metadata state machine (facts §5, checked against
upstream 783bb36 by the ``n_fsm_*`` parity cases): ``<think>``, then the fields bpm, caption,
duration, genres, keyscale, language, timesignature in that order (some skipped per mode), then
``</think>``, then audio codes (generation), free text with audio codes blocked (understand), or
EOS (phase 1 stops before ``</think>``). Field names are forced token by token; numeric values,
key, language and time signature follow prefix trees of token ids built by tokenizing
``"field: value"`` strings; genres follow a character trie of a genre vocabulary (or, without
one, end when a newline is the model's top token); the caption is free text (audio codes and
backticks blocked, 512 tokens at most) that ends when a line does not start with a space;
user-given values are injected as the tokens of ``" {value}\\n"``.

Framework-neutral: :meth:`DecoderSession.allowed` returns an :class:`Allowed` (a small id list,
or one of a few big precomputed masks, or ``None`` = anything) and the backend applies it.
Everything that depends only on the vocabulary (trees, masks, per-token texts) is built once
in :class:`DecoderTables`; a step is a few dict lookups. Two decisions read the model's scores
(the caption's line-start test and the language's first token); the caller passes an object
with ``top1()`` and ``top1_among(ids)`` so only those steps look at the logits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Any, Mapping, Protocol, Sequence

import numpy as np

from mixgrv_app.core.lm.vocab import LMVocab

LANGUAGES = (
    "ar", "az", "bg", "bn", "ca", "cs", "da", "de", "el", "en", "es", "fa", "fi", "fr", "he", "hi", "hr", "ht", "hu",
    "id", "is", "it", "ja", "ko", "la", "lt", "ms", "ne", "nl", "no", "pa", "pl", "pt", "ro", "ru", "sa", "sk", "sr",
    "sv", "sw", "ta", "te", "th", "tl", "tr", "uk", "ur", "vi", "yue", "zh", "unknown",
)
KEYSCALES = tuple(f"{note}{acc} {mode}" for note in "ABCDEFG" for acc in ("", "#", "b", "♯", "♭") for mode in ("major", "minor"))
BPM_RANGE = (30, 300)
DURATION_MIN = 10
TIME_SIGNATURES = (2, 3, 4, 6)
CAPTION_MAX_TOKENS = 512
FIELD_ORDER = ("bpm", "caption", "duration", "genres", "keyscale", "language", "timesignature")
PHASES = ("cot", "codes", "understand")


class State(Enum):
    THINK_TAG = "THINK_TAG"
    NEWLINE_AFTER_THINK = "NEWLINE_AFTER_THINK"
    BPM_NAME = "BPM_NAME"
    BPM_VALUE = "BPM_VALUE"
    CAPTION_NAME = "CAPTION_NAME"
    CAPTION_VALUE = "CAPTION_VALUE"
    DURATION_NAME = "DURATION_NAME"
    DURATION_VALUE = "DURATION_VALUE"
    GENRES_NAME = "GENRES_NAME"
    GENRES_VALUE = "GENRES_VALUE"
    KEYSCALE_NAME = "KEYSCALE_NAME"
    KEYSCALE_VALUE = "KEYSCALE_VALUE"
    LANGUAGE_NAME = "LANGUAGE_NAME"
    LANGUAGE_VALUE = "LANGUAGE_VALUE"
    TIMESIG_NAME = "TIMESIG_NAME"
    TIMESIG_VALUE = "TIMESIG_VALUE"
    THINK_END_TAG = "THINK_END_TAG"
    CODES_GENERATION = "CODES_GENERATION"
    COMPLETED = "COMPLETED"


S = State
FIXED = {S.THINK_TAG: "<think>", S.NEWLINE_AFTER_THINK: "\n", S.BPM_NAME: "bpm:", S.CAPTION_NAME: "caption:",
         S.DURATION_NAME: "duration:", S.GENRES_NAME: "genres:", S.KEYSCALE_NAME: "keyscale:",
         S.LANGUAGE_NAME: "language:", S.TIMESIG_NAME: "timesignature:", S.THINK_END_TAG: "</think>"}
NAME_STATE = {"bpm": S.BPM_NAME, "caption": S.CAPTION_NAME, "duration": S.DURATION_NAME, "genres": S.GENRES_NAME,
              "keyscale": S.KEYSCALE_NAME, "language": S.LANGUAGE_NAME, "timesignature": S.TIMESIG_NAME}
VALUE_STATE = {"bpm": S.BPM_VALUE, "caption": S.CAPTION_VALUE, "duration": S.DURATION_VALUE, "genres": S.GENRES_VALUE,
               "keyscale": S.KEYSCALE_VALUE, "language": S.LANGUAGE_VALUE, "timesignature": S.TIMESIG_VALUE}
FIELD_OF_VALUE = {v: k for k, v in VALUE_STATE.items()}
# after a caption, the model may name any later field itself; its value state follows
CAPTION_EXIT = {"duration": S.DURATION_VALUE, "genres": S.GENRES_VALUE, "keyscale": S.KEYSCALE_VALUE,
                "language": S.LANGUAGE_VALUE, "timesignature": S.TIMESIG_VALUE}


class Scores(Protocol):
    """The model's next-token scores as the decoder sees them (after CFG, before any mask)."""

    def top1(self) -> int: ...

    def top1_among(self, ids: np.ndarray) -> int: ...


class NumpyScores:
    """:class:`Scores` over a numpy row (tests, CPU); ties go to the lowest id."""

    def __init__(self, row: np.ndarray) -> None:
        self.row = row

    def top1(self) -> int:
        return int(np.argmax(self.row))

    def top1_among(self, ids: np.ndarray) -> int:
        return int(ids[int(np.argmax(self.row[ids]))])


@dataclass(frozen=True)
class Allowed:
    """The allowed next tokens: ``ids`` (sorted, a whitelist), a named big ``mask``, or both (the
    code sets: a runtime may then compute the head and the sampler over those ids only)."""

    key: Any
    ids: np.ndarray | None = None
    mask: np.ndarray | None = None

    def as_mask(self, size: int) -> np.ndarray:
        if self.mask is not None:
            return self.mask
        out = np.zeros(size, dtype=bool)
        out[self.ids] = True
        return out


def _tree_from(sequences: Sequence[Sequence[int]], end_token: int) -> dict[tuple, np.ndarray]:
    """Prefix tree over token-id sequences: prefix → sorted allowed next ids (``end_token`` once complete)."""
    tree: dict[tuple, set[int]] = {}
    for seq in sequences:
        for i in range(len(seq) + 1):
            nxt = tree.setdefault(tuple(seq[:i]), set())
            nxt.add(seq[i] if i < len(seq) else end_token)
    return {k: np.asarray(sorted(v), dtype=np.int64) for k, v in tree.items()}


class DecoderTables:
    """Everything the decoder needs that depends only on the vocabulary: built once per LM."""

    def __init__(self, vocab: LMVocab, *, max_duration: int = 600, genres: Sequence[str] | None = None) -> None:
        self.vocab = vocab
        self.size = vocab.size
        self.eos = vocab.eos_id
        self.newline = vocab.encode("\n")[-1]
        self.backtick = vocab.encode("`")[-1]
        self.digit = {d: vocab.encode(str(d))[-1] for d in range(10)}
        self.max_duration = int(max_duration)
        self.genres = [g.lower() for g in (genres or [])]
        self._fixed: dict[tuple[str, int], np.ndarray] = {}
        self._ids: dict[tuple, Allowed] = {}
        self._genre_cache: dict[str, np.ndarray] = {}
        self._encode_cache: dict[str, list[int]] = {}

    # --- token sets -------------------------------------------------------------------------
    def ids(self, ids) -> Allowed:
        key = tuple(int(i) for i in ids)
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = Allowed(("ids", key), ids=np.asarray(sorted(set(key)), dtype=np.int64))
        return found

    @cached_property
    def codes(self) -> np.ndarray:
        return self.vocab.code_token_ids

    def _mask(self, allowed_ids=(), blocked_ids=(), base: bool = False) -> np.ndarray:
        m = np.full(self.size, base, dtype=bool)
        m[np.asarray(allowed_ids, dtype=np.int64)] = True
        m[np.asarray(blocked_ids, dtype=np.int64)] = False
        m.setflags(write=False)
        return m

    @cached_property
    def codes_or_eos(self) -> Allowed:
        ids = np.unique(np.append(self.codes, self.eos))
        return Allowed("codes_or_eos", ids=ids, mask=self._mask(ids))

    @cached_property
    def codes_only(self) -> Allowed:
        return Allowed("codes_only", ids=self.codes, mask=self._mask(self.codes))

    @cached_property
    def eos_only(self) -> Allowed:
        return self.ids([self.eos])

    @cached_property
    def no_codes(self) -> Allowed:
        return Allowed("no_codes", mask=self._mask(blocked_ids=self.codes, base=True))

    @cached_property
    def caption(self) -> Allowed:
        return Allowed("caption", mask=self._mask(blocked_ids=np.append(self.codes, self.backtick), base=True))

    @cached_property
    def no_newline(self) -> Allowed:
        return Allowed("no_newline", mask=self._mask(blocked_ids=[self.newline], base=True))

    def encode(self, text: str) -> list[int]:
        found = self._encode_cache.get(text)
        if found is None:
            found = self._encode_cache[text] = self.vocab.encode(text)
        return found

    # --- fixed strings ----------------------------------------------------------------------
    def fixed_tokens(self, text: str, pos: int) -> np.ndarray:
        """Token(s) continuing ``text`` at character ``pos``: the longest prefix of the rest that is
        one token; else first tokens of short prefixes whose text agrees with it."""
        key = (text, pos)
        found = self._fixed.get(key)
        if found is not None:
            return found
        rest = text[pos:]
        result: list[int] = []
        for end in range(len(rest), 0, -1):
            toks = self.encode(rest[:end])
            if len(toks) == 1:
                result = [toks[0]]
                break
        if rest and not result:
            best: dict[int, int] = {}
            for end in range(1, min(len(rest) + 1, 20)):
                toks = self.encode(rest[:end])
                if not toks:
                    continue
                want = rest[:end].lstrip().lower()
                got = self.vocab.texts[toks[0]].lstrip().lower()
                if got.startswith(want) or want.startswith(got):
                    best[toks[0]] = max(best.get(toks[0], 0), end)
            result = [t for t, _ in sorted(best.items(), key=lambda kv: kv[1], reverse=True)]
        found = self._fixed[key] = np.asarray(result, dtype=np.int64)
        return found

    # --- prefix trees -----------------------------------------------------------------------
    def _value_sequences(self, field: str, values: Sequence[str], first_is_note: bool = False) -> list[list[int]]:
        context = self.encode(f"{field}:")
        out = []
        for value in values:
            full = self.encode(f"{field}: {value}")
            if full[:len(context)] != context:
                continue
            seq = full[len(context):]
            if not seq:
                continue
            if first_is_note:
                head = self.vocab.texts[seq[0]].lstrip()
                if head and head[0].upper() not in "ABCDEFG":  # a bare-space first token passes, as upstream
                    continue
            out.append(seq)
        return out

    @cached_property
    def bpm_tree(self):
        lo, hi = BPM_RANGE
        return _tree_from(self._value_sequences("bpm", [str(v) for v in range(lo, hi + 1)]), self.newline)

    @cached_property
    def duration_tree(self):
        return _tree_from(self._value_sequences("duration", [str(v) for v in range(DURATION_MIN, self.max_duration + 1)]),
                          self.newline)

    @cached_property
    def timesig_tree(self):
        return _tree_from(self._value_sequences("timesignature", [str(v) for v in TIME_SIGNATURES]), self.newline)

    @cached_property
    def keyscale_tree(self):
        return _tree_from(self._value_sequences("keyscale", KEYSCALES, first_is_note=True), self.newline)

    @cached_property
    def language_tree(self):
        return _tree_from(self._value_sequences("language", LANGUAGES), self.newline)

    # --- genres -----------------------------------------------------------------------------
    @cached_property
    def genre_trie(self) -> dict:
        trie: dict = {}
        for genre in self.genres:
            node = trie
            for ch in genre:
                node = node.setdefault(ch, {})
            node["_end"] = True
        return trie

    @cached_property
    def _token_lookup(self) -> tuple[dict[str, list[int]], list[str]]:
        """first character (and first non-space character) → token ids; per-token lower-cased text."""
        by_char: dict[str, list[int]] = {}
        norm: list[str] = [""] * self.size
        for tid, text in enumerate(self.vocab.texts):
            if not text:
                continue
            low = text.lower()
            norm[tid] = low.rstrip() if low.strip() else " "
            by_char.setdefault(text[0].lower(), []).append(tid)
            stripped = text.lstrip()
            if stripped and stripped != text:
                by_char.setdefault(stripped[0].lower(), []).append(tid)
        return by_char, norm

    def _trie_node(self, text: str):
        node = self.genre_trie
        for ch in text.lower():
            node = node.get(ch)
            if node is None:
                return None
        return node

    def genre_tokens(self, accumulated: str) -> np.ndarray:
        prefix = accumulated.lower().strip()
        found = self._genre_cache.get(prefix)
        if found is not None:
            return found
        node = self._trie_node(prefix)
        if node is None:
            result = [self.newline]
        else:
            chars = [c for c in node if c != "_end"]
            complete = bool(node.get("_end"))
            result = []
            if chars:
                by_char, norm = self._token_lookup
                spaceish = " " in chars or "," in chars
                candidates = set()
                for c in chars:
                    candidates.update(by_char.get(c, ()))
                for tid in candidates:
                    text = norm[tid]
                    if not text or not text.strip():
                        if spaceish:
                            result.append(tid)
                    elif self._trie_node(prefix + text) is not None:
                        result.append(tid)
            if complete:
                result.append(self.newline)
        found = self._genre_cache[prefix] = np.asarray(sorted(set(result)), dtype=np.int64)
        return found

    def session(self, phase: str, **kwargs) -> "DecoderSession":
        return DecoderSession(self, phase, **kwargs)


class _ZeroScores:
    """Scores after upstream's recursion reset (all equal): the lowest candidate wins."""

    def top1(self) -> int:
        return 0

    def top1_among(self, ids: np.ndarray) -> int:
        return int(np.min(ids))


class DecoderSession:
    """The decoder's state during one generation: call :meth:`allowed` once per step, then
    :meth:`update` with the token that was chosen."""

    def __init__(self, tables: DecoderTables, phase: str, *, target_duration: float | None = None,
                 user_metadata: Mapping[str, Any] | None = None, stop_at_reasoning: bool = False,
                 skip_genres: bool = True, skip_caption: bool = False, skip_language: bool = False,
                 prompt_ids: Sequence[int] = ()) -> None:
        if phase not in PHASES:
            raise ValueError(f"generation phase must be one of {PHASES}, not {phase!r}")
        self.t = tables
        self.phase = phase
        self.target_duration = target_duration
        self.target_codes = int(target_duration * 5) if target_duration is not None and target_duration > 0 else None
        self.user = {f: (user_metadata or {}).get(f) for f in FIELD_ORDER}
        self.stop_at_reasoning = stop_at_reasoning
        self.skip = {"genres": skip_genres, "caption": skip_caption, "language": skip_language}
        self.history = list(prompt_ids)  # only read while looking for </think> in the codes phase
        self.state = S.THINK_TAG
        self.codes_count = 0
        self.queue: list[int] = []
        self.queue_field: str | None = None
        self._reset_field()
        self._next = self._transitions()

    def _reset_field(self) -> None:
        self.pos = 0
        self.acc_text = ""
        self.acc_ids: list[int] = []
        self.caption_after_newline = False
        self.caption_tokens = 0
        self.caption_ending = False
        self.pending_name = ""

    def _next_field(self, field: str) -> State:
        for f in FIELD_ORDER[FIELD_ORDER.index(field) + 1:]:
            if not self.skip.get(f, False):
                return NAME_STATE[f]
        return S.THINK_END_TAG

    def _transitions(self) -> dict[State, State]:
        nxt = {S.THINK_TAG: S.NEWLINE_AFTER_THINK, S.NEWLINE_AFTER_THINK: S.BPM_NAME,
               S.THINK_END_TAG: S.CODES_GENERATION, S.CODES_GENERATION: S.COMPLETED}
        for field in FIELD_ORDER:
            if self.skip.get(field, False):
                continue
            nxt[NAME_STATE[field]] = VALUE_STATE[field]
            nxt[VALUE_STATE[field]] = self._next_field(field) if field != "timesignature" else S.THINK_END_TAG
        return nxt

    def _advance(self) -> None:
        if self.state not in self._next:
            return
        nxt = self._next[self.state]
        if self.state is S.THINK_END_TAG and self.phase == "understand":
            nxt = S.COMPLETED
        self.state = nxt
        self._reset_field()

    def _contains_think_end(self) -> bool:
        needle = self.t.encode("</think>")
        n = len(needle)
        hist = self.history
        return n > 0 and any(hist[i:i + n] == needle for i in range(len(hist) - n + 1))

    # --- the allowed set --------------------------------------------------------------------
    def allowed(self, scores: Scores) -> Allowed | None:
        t = self.t
        if self.state is S.COMPLETED:
            return t.no_codes if self.phase == "understand" else None
        if self.phase == "codes" and self.state is S.THINK_TAG and self._contains_think_end():
            self.state = S.CODES_GENERATION
            self.codes_count = 0
        if self.state is S.CODES_GENERATION:
            if self.target_codes is None:
                return t.codes_or_eos
            return t.codes_only if self.codes_count < self.target_codes else t.eos_only
        return self._field_allowed(scores)

    def _inject(self, field: str, started: bool) -> Allowed | None:
        value = self.user.get(field)
        if value is None or self.queue or started:
            return None
        tokens = self.t.encode(f" {value}\n")
        if not tokens:
            return None
        self.queue = list(tokens)
        self.queue_field = field
        return self.t.ids([tokens[0]])

    def _field_allowed(self, scores: Scores) -> Allowed | None:
        t, st = self.t, self.state
        if self.queue:
            return t.ids([self.queue[0]])
        if st in FIXED:
            text = FIXED[st]
            toks = t.fixed_tokens(text, self.pos)
            if len(toks):
                if st is S.THINK_END_TAG and self.stop_at_reasoning and len(text) - self.pos <= 10:
                    return t.eos_only
                return t.ids(toks)
            if st is S.THINK_END_TAG and self.stop_at_reasoning:
                return t.eos_only
            self._advance()
            if self.state in FIXED:
                return None
            return self._field_allowed(_ZeroScores())
        field = FIELD_OF_VALUE.get(st)
        if field is None:
            return None
        text_field = field in ("caption", "genres")
        injected = self._inject(field, bool(self.acc_text) if text_field else bool(self.acc_ids))
        if injected is not None:
            return injected
        prefix = tuple(self.acc_ids)
        nl = t.newline
        if st is S.BPM_VALUE:
            return t.ids(t.bpm_tree.get(prefix, ()))
        if st is S.DURATION_VALUE:
            if self.target_duration is not None:
                target = str(int(self.target_duration))
                if len(self.acc_text) < len(target):
                    return t.ids([t.digit[int(target[len(self.acc_text)])]])
                return t.ids([nl])
            return t.ids(t.duration_tree.get(prefix, ()))
        if st is S.TIMESIG_VALUE:
            nxt = t.timesig_tree.get(prefix)
            if nxt is not None and nl in nxt:
                return t.ids([nl])
            return t.ids(nxt if nxt is not None else ())
        if st is S.KEYSCALE_VALUE:
            nxt = t.keyscale_tree.get(prefix)
            if nxt is not None and nl in nxt:
                return t.ids([nl])
            return t.ids(nxt) if nxt is not None and len(nxt) else t.ids([nl])
        if st is S.LANGUAGE_VALUE:
            tree = t.language_tree
            if not self.acc_ids:
                first = tree.get(())
                if first is None or not len(first):
                    return t.ids([nl])
                return t.ids([scores.top1_among(first)])
            nxt = tree.get(prefix)
            if nxt is not None and nl in nxt:
                return t.ids([nl])
            return t.ids(nxt) if nxt is not None and len(nxt) else t.ids([nl])
        if st is S.GENRES_VALUE:
            if t.genres:
                ids = t.genre_tokens(self.acc_text)
                return t.ids(ids) if len(ids) else t.ids([nl])
            # no vocabulary: end when a newline is the model's clear favourite
            if self.acc_text.strip() and scores.top1() == nl:
                self._advance()
                return t.ids([nl])
            return t.no_newline if not self.acc_text.strip() else None
        # caption: free text
        if self.caption_after_newline:
            self.caption_after_newline = False
            head = t.vocab.texts[scores.top1()]
            if head and head[0] not in " \t":
                self.caption_ending = True
                self.pending_name = ""
                return None
        if self.caption_ending:
            return None
        if self.caption_tokens >= CAPTION_MAX_TOKENS:
            return t.ids([nl])
        return t.caption

    # --- after a token was chosen -----------------------------------------------------------
    def update(self, token: int) -> None:
        token = int(token)
        self.history.append(token)
        st = self.state
        if st is S.COMPLETED:
            return
        if st is S.CODES_GENERATION:
            self.codes_count += 1
            return
        if self.queue:
            self.queue.pop(0)
            if not self.queue:
                field, self.queue_field = self.queue_field, None
                self.state = self._next_field(field)
                self.pos, self.acc_text, self.acc_ids = 0, "", []
            return
        text = self.t.vocab.texts[token]
        nl = self.t.newline
        if st in FIXED:
            self.pos += len(text)
            if self.pos >= len(FIXED[st]):
                if st is S.THINK_END_TAG and self.stop_at_reasoning:
                    self.state = S.COMPLETED
                    self.pos, self.acc_text, self.acc_ids = 0, "", []
                else:
                    self._advance()
        elif st in (S.BPM_VALUE, S.DURATION_VALUE, S.TIMESIG_VALUE):
            if token == nl:
                self._advance()
            else:
                self.acc_ids.append(token)
                if text.strip().isdigit():
                    self.acc_text += text.strip()
        elif st is S.GENRES_VALUE:
            if token == nl:
                self._advance()
            else:
                self.acc_text += text
        elif st in (S.KEYSCALE_VALUE, S.LANGUAGE_VALUE):
            if token == nl:
                self._advance()
            else:
                self.acc_ids.append(token)
                self.acc_text += text
        elif st is S.CAPTION_VALUE:
            self.caption_tokens += 1
            self.acc_text += text
            self.caption_after_newline = "\n" in text
            if self.caption_ending:
                self.pending_name += text
                if ":" in text:
                    name = self.pending_name.strip().rstrip(":").strip().lower()
                    if name in CAPTION_EXIT:
                        self.state = CAPTION_EXIT[name]
                        self.pos, self.acc_text, self.acc_ids = 0, "", []
                        self.caption_ending, self.pending_name = False, ""
                    else:
                        self.caption_ending, self.pending_name = False, ""
                        self._advance()
