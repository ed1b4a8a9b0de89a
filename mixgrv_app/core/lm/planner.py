"""The 5 Hz LM's four jobs with upstream's phase rules: plan, create_sample, format, understand.

* :meth:`LMPlanner.plan` — "think" before text2music (upstream ``generate_with_stop_condition``):
  phase 1 writes the CoT metas (user metas injected, no CFG, stops with EOS before
  ``</think>``; skipped when the user gave bpm, key, time signature and duration, or CoT metas
  are off), phase 2 writes audio codes after the re-serialised CoT (CFG with the uncond row,
  EOS only once ``int(duration·5)`` codes exist).
* :meth:`create_sample` (simple mode), :meth:`format`, :meth:`understand` — one "understand"
  phase each: the CoT decoder with genres, then free text with audio codes blocked.

Settings default to upstream's (temperature 0.85, CFG 2.0, top-p 0.9, top-k off, negative
prompt "NO USER INPUT"); temperature 0 is greedy (upstream's parity mode). Plans are
reproducible: one :class:`UniformStream` per call, seeded (see ``sampler.py``).

Deliberate difference from upstream (noted in docs/lm.md): the plan's ``language`` is the
parsed ``language`` field; upstream reads ``vocal_language``, which its parser never writes, so
its CoT language never reaches the DiT.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from mixgrv_app.core.errors import CheckpointError, LMError
from mixgrv_app.core.lm import engine, parse
from mixgrv_app.core.lm.fsm import DecoderTables
from mixgrv_app.core.lm.prompts import NO_USER_INPUT, INSTRUMENTAL_LYRICS, ChatTemplate, PromptBuilder, format_metadata_as_cot
from mixgrv_app.core.lm.sampler import SamplingParams, UniformStream
from mixgrv_app.core.lm.vocab import LMVocab

LM_SIZES = ("0.6B", "1.7B", "4B")
LM_PREFIX = "acestep-5Hz-lm-"
MEMORY_BUDGET_GB = {"0.6B": 3.0, "1.7B": 8.0, "4B": 12.0}
DEFAULT_MAX_MODEL_LEN = 4096
ANSWER_ROOM = 64  # upstream keeps max_model_len − 64 tokens for the answer
OPEN_RESERVE = 256  # cache slots reserved for a run whose length is only capped (it grows past them)


@dataclass(frozen=True)
class LMSettings:
    """The LM options of a take (upstream ``GenerationParams`` defaults)."""

    temperature: float = 0.85
    cfg_scale: float = 2.0
    top_p: float | None = 0.9
    top_k: int | None = None
    repetition_penalty: float = 1.0
    negative_prompt: str = NO_USER_INPUT
    use_cot_metas: bool = True
    use_cot_caption: bool = True
    use_cot_language: bool = True

    def sampling(self) -> SamplingParams:
        top_k = int(self.top_k) if self.top_k else None
        top_p = self.top_p if self.top_p is not None and 0.0 < self.top_p < 1.0 else None
        return SamplingParams(self.temperature, top_k, top_p, self.repetition_penalty)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Plan:
    """What the LM decided for one take."""

    metadata: dict[str, Any]                  # parsed CoT (or the user's metas when phase 1 was skipped)
    codes: list[int]                          # 5 Hz code values (clamped to the codebook)
    code_string: str                          # "<|audio_code_N|>…" as the LM wrote it
    cot_text: str                             # the <think> block phase 2 conditioned on
    phase1_ran: bool
    seed: int | None
    lm: str
    cot_prompt_ids: list[int] = field(default_factory=list)
    cot_tokens: list[int] = field(default_factory=list)
    cot_output: str = ""
    codes_prompt_rows: list[list[int]] = field(default_factory=list)
    codes_tokens: list[int] = field(default_factory=list)
    codes_output: str = ""
    phase_prompts: list[str] = field(default_factory=list)
    codes_reused_slots: int = 0               # codes-prompt slots taken from the last run's cache
    seconds: float = 0.0

    @property
    def caption(self) -> str | None:
        return self.metadata.get("caption")

    @property
    def language(self) -> str | None:
        return self.metadata.get("language")

    def summary(self) -> dict[str, Any]:
        """What a take's sidecar records about its plan."""
        return {"metadata": dict(self.metadata), "caption": self.caption, "language": self.language,
                "code_count": len(self.codes), "lm": self.lm, "seed": self.seed, "phase1_ran": self.phase1_ran,
                "seconds": round(self.seconds, 3)}


def lm_folder(models_root: str | os.PathLike[str], size: str = "0.6B") -> Path:
    """``acestep-5Hz-lm-<size>/`` under the models root, or a message naming the folder to get."""
    name = size if size.startswith(LM_PREFIX) else f"{LM_PREFIX}{size}"
    folder = Path(models_root) / name
    if not (folder / "config.json").is_file():
        raise CheckpointError("lm.missing",
                              f"The 5 Hz LM folder {name}/ is not in {models_root}. Download {name} from the ACE-Step "
                              f"release into that folder, or turn thinking off.", folder=name, path=str(models_root))
    return folder


def lm_size(folder: Path) -> str:
    name = folder.name.removeprefix(LM_PREFIX)
    return name if name in LM_SIZES else name or "?"


def check_memory(folder: Path, available_bytes: int | None = None, bits: int | None = None) -> None:
    """Refuse to load an LM that does not fit: the size's budget (scaled for a 4/8-bit LM) against
    free memory."""
    size = lm_size(folder)
    budget = MEMORY_BUDGET_GB.get(size)
    if budget is None:
        weights = sum(p.stat().st_size for p in folder.glob("*.safetensors"))
        budget = 2.5 * weights / 1e9
    if bits:
        budget *= 1.5 * bits / 16
    if available_bytes is None:
        import psutil

        available_bytes = int(psutil.virtual_memory().available)
    if available_bytes / 1e9 < budget:
        raise LMError("lm.not_enough_memory",
                      f"The {size} LM needs about {budget:.1f} GB free, but only {available_bytes / 1e9:.1f} GB is free. "
                      "Close other apps or choose a smaller LM (0.6B).", size=size, need_gb=round(budget, 1),
                      free_gb=round(available_bytes / 1e9, 1))


def user_metadata_for(metas: Mapping[str, Any] | None, duration: float | None) -> dict[str, Any] | None:
    """The user metas the pipeline hands the LM (upstream ``generate_music``): int bpm, trimmed key
    and time signature (not "N/A"), ``int(duration)``."""
    metas = metas or {}
    out: dict[str, Any] = {}
    bpm = metas.get("bpm")
    if bpm is not None:
        try:
            if float(bpm) > 0:
                out["bpm"] = int(float(bpm))
        except (TypeError, ValueError):
            pass
    for key in ("keyscale", "timesignature"):
        value = metas.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip() and value.strip().lower() != "n/a":
            out[key] = value.strip()
    if duration is not None:
        try:
            if float(duration) > 0:
                out["duration"] = int(float(duration))
        except (TypeError, ValueError):
            pass
    return out or None


def plan_seconds(metadata: Mapping[str, Any], max_duration: float) -> float | None:
    """The CoT's ``duration`` as a length in seconds (10 s … ``max_duration``), None when it wrote none."""
    value = metadata.get("duration")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return float(max(10.0, min(float(max_duration), float(value))))


def has_all_metas(user_metadata: Mapping[str, Any] | None) -> bool:
    return bool(user_metadata) and all(k in user_metadata for k in ("bpm", "keyscale", "timesignature", "duration"))


def codes_text(codes) -> str:
    return codes if isinstance(codes, str) else "".join(f"<|audio_code_{int(c)}|>" for c in codes)


class LMPlanner:
    """A loaded 5 Hz LM (torch or MLX) with its tokenizer, template and decoder tables."""

    def __init__(self, folder: str | os.PathLike[str], *, backend: str = "torch", device: str = "cpu",
                 dtype: str = "float32", genres: list[str] | None = None, max_duration: int = 600,
                 max_model_len: int = DEFAULT_MAX_MODEL_LEN, check_free_memory: bool = True,
                 quantize_bits: int | None = None, reuse_prefix: bool = True) -> None:
        folder = Path(folder)
        if not (folder / "config.json").is_file():
            raise CheckpointError("lm.missing", f"The 5 Hz LM folder {folder} is missing or incomplete (no config.json). "
                                  f"Download {folder.name} again.", folder=folder.name, path=str(folder.parent))
        self.folder = folder
        self.name = folder.name
        self.backend = backend
        self.quantize_bits = quantize_bits
        if quantize_bits is not None and (backend != "mlx" or quantize_bits not in (4, 8)):
            raise LMError("lm.bad_quantization", f"A {quantize_bits}-bit LM is offered on MLX only, with 4 or 8 bits. "
                          "Choose MLX or the full-precision LM.",
                          bits=quantize_bits, backend=backend)
        self.max_model_len = int(max_model_len)
        self.max_duration = int(max_duration)
        self.reuse_prefix = bool(reuse_prefix)  # the codes phase resumes from the CoT's cache
        self.vocab = LMVocab(folder)
        special = {"eos_token": self.vocab.eos_token, "pad_token": self.vocab.pad_token,
                   "bos_token": self.vocab.bos_token, "unk_token": self.vocab.unk_token}
        self.prompts = PromptBuilder(ChatTemplate(folder, special))
        self.tables = DecoderTables(self.vocab, max_duration=self.max_duration, genres=genres)
        if check_free_memory:
            check_memory(folder, bits=quantize_bits)
        self.runtime = self._load(backend, device, dtype)

    def _load(self, backend: str, device: str, dtype: str):
        if backend == "mlx":
            from mixgrv_app.core.lm.mlx_runtime import MLXLMRuntime
            from mixgrv_app.core.mlx_model import loading

            model = loading.load_lm(self.folder, dtype=dtype)
            if self.quantize_bits:
                # an approximation for 8-16 GB Macs: group-wise 4/8-bit weights (plans differ from bf16)
                import mlx.nn as nn

                nn.quantize(model, group_size=64, bits=self.quantize_bits)
            return MLXLMRuntime(model)
        from mixgrv_app.core.lm.torch_runtime import TorchLMRuntime
        from mixgrv_app.core.torch_model.loading import load_lm

        return TorchLMRuntime(load_lm(self.folder, device=device, dtype=dtype))

    def configure_decoder(self, *, genres: list[str] | None = None, max_duration: int | None = None) -> None:
        """Rebuild the decoder tables for another genre vocabulary or duration cap (tier)."""
        if max_duration is not None:
            self.max_duration = int(max_duration)
        self.tables = DecoderTables(self.vocab, max_duration=self.max_duration, genres=genres)

    def close(self) -> None:
        """Drop the model (the process frees it; MLX/torch caches are emptied by the caller)."""
        self.runtime = None

    # --- one phase --------------------------------------------------------------------------
    def _run(self, prompt: str, *, phase: str, settings: SamplingParams, stream: UniformStream, max_new_tokens: int,
             uncond_prompt: str | None = None, cfg_scale: float = 1.0, cancel=None, on_token=None, keep: bool = False,
             reserve: int | None = OPEN_RESERVE, **decoder) -> engine.Generation:
        rows = [self.vocab.encode(prompt)]
        if uncond_prompt is not None:
            rows.append(self.vocab.encode(uncond_prompt))
        longest = max(len(r) for r in rows)
        if longest > self.max_model_len - ANSWER_ROOM:
            raise LMError("lm.prompt_too_long",
                          f"The prompt is {longest} tokens; the LM reads at most {self.max_model_len - ANSWER_ROOM}. "
                          "Shorten the caption or lyrics.", tokens=longest, limit=self.max_model_len - ANSWER_ROOM)
        session = self.tables.session(phase, prompt_ids=rows[0], **decoder)
        return engine.generate(self.runtime, rows, session=session, params=settings, stream=stream,
                               max_new_tokens=max_new_tokens, eos_id=self.vocab.eos_id, pad_id=self.vocab.pad_id,
                               cfg_scale=cfg_scale, cancel=cancel, on_token=on_token, keep=keep and self.reuse_prefix,
                               reserve=reserve)

    def _open_budget(self) -> int:
        return min(4096, self.max_model_len - ANSWER_ROOM)

    # --- text2music planning ----------------------------------------------------------------
    def plan(self, caption: str, lyrics: str, *, metas: Mapping[str, Any] | None = None, duration: float | None = None,
             settings: LMSettings = LMSettings(), seed: int | None = None, codes: bool = True,
             cancel: Callable[[], None] | None = None, on_token: Callable[[str, int, int], None] | None = None) -> Plan:
        """CoT metas and (``codes=True``) 5 Hz audio codes for one take."""
        return self.plan_batch(caption, lyrics, metas=metas, duration=duration, settings=settings, seeds=[seed],
                               codes=codes, cancel=cancel, on_token=on_token)[0]

    def plan_batch(self, caption: str, lyrics: str, *, metas: Mapping[str, Any] | None = None,
                   duration: float | None = None, settings: LMSettings = LMSettings(), seeds: list[int | None] = (None,),
                   codes: bool = True, cancel: Callable[[], None] | None = None,
                   on_token: Callable[[str, int, int], None] | None = None,
                   length_from_plan: bool = False) -> list[Plan]:
        """One plan per seed, as upstream plans a batch: the CoT once (the first seed's stream), then
        codes per item, each from its own seed's stream (item 1 continues the CoT's stream).

        With no ``duration`` upstream puts no end rule on the codes (the LM stops when it stops, up
        to 4096 tokens). ``length_from_plan`` (the app's think without a length) instead holds the
        codes to the duration the CoT wrote, so the song is as long as its plan says; when the CoT
        wrote none, the codes stop where the LM stops or at ``max_duration`` (a song the DiT can render).

        Each run after the first starts from the cache the last one left (``reuse_prefix``): the
        codes prompt's conditional row begins with the CoT prompt and what the CoT wrote, and
        every item has the same codes rows, so only the rest is prefilled (``core/lm/prefix.py``)."""
        try:
            return self._plan_batch(caption, lyrics, metas=metas, duration=duration, settings=settings, seeds=seeds,
                                    codes=codes, cancel=cancel, on_token=on_token, length_from_plan=length_from_plan)
        finally:
            if self.runtime is not None:
                self.runtime.forget()

    def _plan_batch(self, caption: str, lyrics: str, *, metas, duration, settings: LMSettings, seeds, codes: bool,
                    cancel, on_token, length_from_plan: bool) -> list[Plan]:
        import time

        caption, lyrics = caption or "", lyrics or ""
        seeds = list(seeds) or [None]
        sampling = settings.sampling()
        user = user_metadata_for(metas, duration)
        t0 = time.perf_counter()
        streams = [UniformStream(s) for s in seeds]
        first = Plan(metadata={}, codes=[], code_string="", cot_text="", phase1_ran=False, seed=seeds[0], lm=self.name)
        if not has_all_metas(user) and settings.use_cot_metas:
            prompt = self.prompts.cot(caption, lyrics)
            gen = self._run(prompt, phase="cot", settings=sampling, stream=streams[0], max_new_tokens=self._open_budget(),
                            cancel=cancel, on_token=(lambda s, t: on_token("cot", s, t)) if on_token else None,
                            keep=codes, target_duration=None, user_metadata=user, stop_at_reasoning=True, skip_genres=True,
                            skip_caption=not settings.use_cot_caption, skip_language=not settings.use_cot_language)
            first.phase1_ran = True
            first.phase_prompts.append(prompt)
            first.cot_prompt_ids, first.cot_tokens = gen.rows[0], gen.tokens
            first.cot_output = self.vocab.decode(gen.tokens)
            first.metadata = parse.parse_metadata(first.cot_output)
        else:
            first.metadata = {k: v for k, v in (user or {}).items() if v is not None}
        first.cot_text = format_metadata_as_cot(first.metadata)
        first.seconds = time.perf_counter() - t0
        plans = [first] + [dataclasses.replace(first, seed=s, phase_prompts=list(first.phase_prompts), seconds=0.0)
                           for s in seeds[1:]]
        if not codes:
            return plans
        if duration is None and length_from_plan:
            duration = plan_seconds(first.metadata, self.max_duration)
        prompt = self.prompts.codes(caption, lyrics, first.cot_text)
        use_cfg = settings.cfg_scale > 1.0
        uncond = self.prompts.codes(caption, lyrics, first.cot_text, negative=True,
                                    negative_prompt=settings.negative_prompt) if use_cfg else None
        if duration is not None and duration > 0:
            budget = int(max(10.0, min(float(self.max_duration), float(duration))) * 5) + 10
            budget = min(budget, self.max_model_len - ANSWER_ROOM)
        elif length_from_plan:  # the CoT named no length: no end rule, but no more than a song may hold
            budget = min(int(self.max_duration * 5), self._open_budget())
        else:
            budget = self._open_budget()
        from mixgrv_app.core.audio_codes import parse_audio_codes

        for index, (plan, stream) in enumerate(zip(plans, streams, strict=True)):
            t1 = time.perf_counter()
            gen = self._run(prompt, phase="codes", settings=sampling, stream=stream, max_new_tokens=budget,
                            uncond_prompt=uncond, cfg_scale=settings.cfg_scale if use_cfg else 1.0, cancel=cancel,
                            on_token=(lambda s, t, i=index: on_token(f"codes:{i}", s, t)) if on_token else None,
                            keep=index + 1 < len(plans), reserve=None if duration else OPEN_RESERVE,
                            target_duration=duration, user_metadata=None, stop_at_reasoning=False,
                            skip_genres=False, skip_caption=True, skip_language=True)
            plan.phase_prompts.append(prompt)
            plan.codes_prompt_rows, plan.codes_tokens = gen.rows, gen.tokens
            plan.codes_reused_slots = gen.reused_slots
            plan.codes_output = self.vocab.decode(gen.tokens)
            plan.code_string = parse.code_string(plan.codes_output)
            plan.codes = parse_audio_codes(plan.code_string)
            plan.seconds += time.perf_counter() - t1
        return plans

    # --- the one-phase modes ----------------------------------------------------------------
    def _understand_phase(self, prompt: str, *, temperature: float, top_k, top_p, repetition_penalty: float,
                          seed: int | None, user_metadata=None, skip_language: bool = False, cancel=None,
                          on_token=None, max_new_tokens: int | None = None) -> tuple[str, engine.Generation]:
        sampling = LMSettings(temperature=temperature, top_k=top_k, top_p=top_p,
                              repetition_penalty=repetition_penalty).sampling()
        gen = self._run(prompt, phase="understand", settings=sampling, stream=UniformStream(seed),
                        max_new_tokens=min(self._open_budget(), max_new_tokens or self._open_budget()),
                        cancel=cancel, on_token=on_token, target_duration=None,
                        user_metadata=user_metadata, stop_at_reasoning=False, skip_genres=False, skip_caption=False,
                        skip_language=skip_language)
        return self.vocab.decode(gen.tokens), gen

    def understand(self, codes, *, temperature: float = 0.3, top_k: int | None = None, top_p: float | None = None,
                   repetition_penalty: float = 1.0, seed: int | None = None, cancel=None, on_token=None,
                   max_new_tokens: int | None = None) -> dict[str, Any]:
        """Audio codes (ids or a code string) → caption, genres, bpm, key, time signature, language, lyrics."""
        text = codes_text(codes)
        if not text.strip():
            raise LMError("lm.no_codes", "There are no audio codes to describe. Choose an audio file with sound in it.")
        output, gen = self._understand_phase(self.prompts.understand(text), temperature=temperature, top_k=top_k,
                                             top_p=top_p, repetition_penalty=repetition_penalty, seed=seed,
                                             cancel=cancel, on_token=on_token, max_new_tokens=max_new_tokens)
        metadata = parse.parse_metadata(output)
        lyrics = parse.lyrics_after_think(output)
        if lyrics:
            metadata["lyrics"] = lyrics
        return {"metadata": metadata, "output": output, "tokens": gen.tokens, "prompt_ids": gen.rows[0],
                "caption": metadata.get("caption", ""), "genres": metadata.get("genres", ""), "bpm": metadata.get("bpm"),
                "keyscale": metadata.get("keyscale", ""), "timesignature": metadata.get("timesignature", ""),
                "duration": metadata.get("duration"), "language": metadata.get("language", "unknown"),
                "lyrics": metadata.get("lyrics", "")}

    def create_sample(self, query: str, *, instrumental: bool = False, language: str | None = None,
                      temperature: float = 0.85, top_k: int | None = None, top_p: float | None = None,
                      repetition_penalty: float = 1.0, seed: int | None = None, cancel=None, on_token=None,
                      max_new_tokens: int | None = None) -> dict[str, Any]:
        """Simple mode: a one-line idea → caption, lyrics and metadata."""
        query = query if query and query.strip() else NO_USER_INPUT
        user = {"language": language.strip()} if language and language.strip() and language.strip().lower() != "unknown" else None
        output, gen = self._understand_phase(self.prompts.inspiration(query, instrumental), temperature=temperature,
                                             top_k=top_k, top_p=top_p, repetition_penalty=repetition_penalty, seed=seed,
                                             user_metadata=user, cancel=cancel, on_token=on_token, max_new_tokens=max_new_tokens)
        metadata = parse.parse_metadata(output)
        lyrics = parse.lyrics_after_think(output)
        if lyrics:
            metadata["lyrics"] = lyrics
        elif instrumental:
            metadata["lyrics"] = INSTRUMENTAL_LYRICS
        metadata["instrumental"] = bool(instrumental)
        return {"metadata": metadata, "output": output, "tokens": gen.tokens, "prompt_ids": gen.rows[0]}

    def format(self, caption: str, lyrics: str, *, metas: Mapping[str, Any] | None = None, temperature: float = 0.85,
               top_k: int | None = None, top_p: float | None = None, repetition_penalty: float = 1.0,
               seed: int | None = None, cancel=None, on_token=None, max_new_tokens: int | None = None) -> dict[str, Any]:
        """Format mode: the user's caption and lyrics → an enhanced caption, lyrics and metadata."""
        caption = caption if caption and caption.strip() else NO_USER_INPUT
        lyrics = lyrics if lyrics and lyrics.strip() else INSTRUMENTAL_LYRICS
        user = format_user_metadata(metas)
        output, gen = self._understand_phase(self.prompts.format(caption, lyrics), temperature=temperature, top_k=top_k,
                                             top_p=top_p, repetition_penalty=repetition_penalty, seed=seed,
                                             user_metadata=user, skip_language=bool(user and user.get("language") is not None),
                                             cancel=cancel, on_token=on_token, max_new_tokens=max_new_tokens)
        metadata = parse.parse_metadata(output)
        metadata["lyrics"] = parse.lyrics_after_think(output) or lyrics
        return {"metadata": metadata, "output": output, "tokens": gen.tokens, "prompt_ids": gen.rows[0]}


def format_user_metadata(metas: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Format mode's constrained metas (upstream ``format_sample_from_input``): positive int bpm and
    duration, and key, time signature, language as given."""
    if not metas:
        return None
    out: dict[str, Any] = {}
    for key in ("bpm", "duration"):
        if metas.get(key) is not None:
            try:
                value = int(metas[key])
            except (TypeError, ValueError):
                continue
            if value > 0:
                out[key] = value
    for key in ("keyscale", "timesignature", "language"):
        if metas.get(key):
            out[key] = metas[key]
    return out or None


def duration_cap(total_bytes: int | None = None) -> int:
    """The longest song the decoder lets the LM plan (upstream's GPU-tier ``max_duration_with_lm``):
    600 s with 32 GB or more, 480 s with 16 GB, 240 s with 8 GB, else 120 s — picked from this
    machine's total memory because the codes of a long song fill the LM's context and cache."""
    if total_bytes is None:
        import psutil

        total_bytes = int(psutil.virtual_memory().total)
    gb = total_bytes / 2**30
    return 600 if gb >= 31 else 480 if gb >= 15 else 240 if gb >= 7.5 else 120


def resolve_backend(backend: str = "auto") -> str:
    """"auto": MLX on Apple Silicon when it imports, else torch."""
    if backend in ("torch", "mlx"):
        return backend
    from mixgrv_app.core.device import is_apple_silicon

    if is_apple_silicon():
        try:
            import mlx.core  # noqa: F401

            return "mlx"
        except ImportError:
            pass
    return "torch"


def open_planner(models_root: str | os.PathLike[str], size: str = "0.6B", *, backend: str = "auto",
                 device: str = "auto", dtype: str | None = None, **kwargs) -> LMPlanner:
    """Find ``acestep-5Hz-lm-<size>/``, check memory, and load it on the chosen backend/device:
    bf16 on Metal and CUDA, float32 on CPU (and on MPS, where fp16/bf16 issues are known)."""
    folder = lm_folder(models_root, size)
    backend = resolve_backend(backend)
    if backend == "mlx":
        import mlx.core as mx

        dtype = dtype or ("bfloat16" if mx.metal.is_available() else "float32")
        device = "metal" if mx.metal.is_available() else "cpu"
    else:
        from mixgrv_app.core import device as device_mod

        policy = device_mod.select(device, dtype)
        device, dtype = policy.device, policy.dtype
    kwargs.setdefault("max_duration", duration_cap())
    return LMPlanner(folder, backend=backend, device=device, dtype=dtype, **kwargs)
