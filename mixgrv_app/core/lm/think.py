"""Think before text2music: the 5 Hz LM plans each item, the plan becomes the DiT's request.

Called by ``Generator`` (core/pipeline.py) when ``GenerationRequest.think`` is on; upstream's
``generate_music`` rules:

* the LM is loaded lazily in the model process (kept warm on the generator, replaced when
  another size is asked for; the memory check runs before loading);
* user metas go to the LM as upstream passes them (int bpm, key, time signature, int duration);
  the CoT runs once per batch, audio codes per item from each item's seed;
* with no length given, the CoT's duration sets it (codes end there; upstream would let the LM
  run on: see ``LMPlanner.plan_batch``); the take's length is 5 × codes at 25 Hz;
* CoT metas fill only what the user left empty (bpm, key, time signature); with
  ``use_cot_caption`` the CoT caption replaces the DiT caption; with ``use_cot_language`` the CoT
  language reaches the lyric prompt when the user left it "unknown" (upstream loses it: it reads
  ``vocal_language``, which its parser never writes);
* the codes make the take a cover from codes (FSQ → detokenizer → 25 Hz hints, target length
  5 × codes, upstream's instruction), with ``cover_strength`` = upstream's codes strength.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixgrv_app.core.errors import RequestError
from mixgrv_app.core.jobs import Log, Progress
from mixgrv_app.core.lm.planner import LM_SIZES, LMSettings, Plan, lm_folder, open_planner, plan_seconds
from mixgrv_app.core.requests import DURATION_RANGE


@dataclass
class Thought:
    request: Any                      # the GenerationRequest the DiT renders (metas filled, codes set)
    plans: list[Plan]
    lm: str
    seconds: float = 0.0
    filled: dict[str, Any] = field(default_factory=dict)

    @property
    def codes(self) -> list[list[int]]:
        return [p.codes for p in self.plans]

    def item_hints(self, backend, frames: int, pad) -> np.ndarray:
        """25 Hz hints [B, frames, 64] of every item's codes (silence-padded by ``pad``)."""
        return np.stack([pad(backend.codes_to_hints(np.asarray(c, dtype=np.int64)[None])[0], frames) for c in self.codes])

    def summary(self) -> dict[str, Any]:
        """What the sidecar records: the plan of each item, the LM, and what the CoT filled in."""
        first = self.plans[0]
        return {"lm": self.lm, "seconds": round(self.seconds, 3), "metadata": dict(first.metadata),
                "caption": first.caption, "language": first.language, "phase1_ran": first.phase1_ran,
                "filled": dict(self.filled), "items": [{"seed": p.seed, "code_count": len(p.codes)} for p in self.plans]}


def check_request(r) -> None:
    """Think's own request rules (called from ``GenerationRequest.validate``)."""
    def bad(field_name: str, message: str, value) -> RequestError:
        return RequestError("request.bad_lm_setting", message, field=field_name, value=value)

    if r.task != "text2music" or (r.audio_codes and str(r.audio_codes).strip()):
        raise RequestError("request.think_task", "Thinking plans a new song from text; it cannot be combined with a source "
                           "audio or pasted audio codes. Turn thinking off or choose the text2music task.", task=r.task)
    if r.lm not in LM_SIZES:
        raise bad("lm", f"The LM size must be one of {', '.join(LM_SIZES)} (got {r.lm}).", r.lm)
    if not (0.0 <= float(r.lm_temperature) <= 2.0):
        raise bad("lm_temperature", f"The LM temperature must be between 0 and 2 (got {r.lm_temperature}).", r.lm_temperature)
    if not (1.0 <= float(r.lm_cfg) <= 10.0):
        raise bad("lm_cfg", f"The LM CFG scale must be between 1 and 10 (got {r.lm_cfg}).", r.lm_cfg)
    if r.lm_top_p is not None and not (0.0 < float(r.lm_top_p) <= 1.0):
        raise bad("lm_top_p", f"The LM top-p must be above 0 and at most 1 (got {r.lm_top_p}).", r.lm_top_p)
    if r.lm_top_k is not None and int(r.lm_top_k) < 0:
        raise bad("lm_top_k", f"The LM top-k must be 0 (off) or more (got {r.lm_top_k}).", r.lm_top_k)


def settings_of(r) -> LMSettings:
    return LMSettings(temperature=float(r.lm_temperature), cfg_scale=float(r.lm_cfg), top_p=r.lm_top_p,
                      top_k=r.lm_top_k or None, negative_prompt=r.lm_negative, use_cot_metas=r.use_cot_metas,
                      use_cot_caption=r.use_cot_caption, use_cot_language=r.use_cot_language)


def planner_for(generator, size: str):
    """The generator's warm LM of ``size`` (loaded on first use, replaced when the size changes)."""
    current = getattr(generator, "lm_planner", None)
    if current is not None and current.name == lm_folder(generator.models_root, size).name:
        return current
    generator.lm_planner = None  # drop the other size before loading this one
    info = generator.backend.info
    generator.lm_planner = open_planner(generator.models_root, size, backend=info.name, device=info.device)
    return generator.lm_planner


def fill_request(r, plan: Plan, codes_text: str):
    """The DiT request after thinking (see the module docstring for the rules)."""
    md = plan.metadata
    changes: dict[str, Any] = {"audio_codes": codes_text}
    filled: dict[str, Any] = {}
    if r.use_cot_metas:
        if r.bpm is None and isinstance(md.get("bpm"), int):
            filled["bpm"] = md["bpm"]
        if not r.keyscale and isinstance(md.get("keyscale"), str) and md["keyscale"]:
            filled["keyscale"] = md["keyscale"]
        if not r.timesignature and md.get("timesignature"):
            filled["timesignature"] = str(md["timesignature"])
    if r.use_cot_caption and md.get("caption"):
        filled["caption"] = md["caption"]
    if r.use_cot_language and (not r.language or r.language == "unknown") and md.get("language"):
        filled["language"] = md["language"]
    if r.duration is None:  # the LM chose the length: its plan's, else what its codes hold
        seconds = plan_seconds(md, DURATION_RANGE[1])
        filled["duration"] = seconds if seconds is not None else len(plan.codes) / 5.0
    changes.update(filled)
    request = dataclasses.replace(r, **changes)
    if request.duration is not None and request.duration <= 0:
        raise RequestError("request.lm_no_length", "The LM planned no length and wrote no audio codes. "
                           "Set a length, or think again with another seed.")
    return request, filled


def think(generator, r, seeds: list[int], events, cancel) -> Thought:
    """Plan every item of ``r`` (one seed each) and return the request the DiT renders."""
    started = time.monotonic()
    planner = planner_for(generator, r.lm)
    events(Log("info", f"thinking with {planner.name} ({planner.backend})"))
    total = [0]
    budget = max(1, int(float(r.duration or 120) * 5)) * len(seeds) + 60  # no length yet: upstream's default

    def on_token(phase: str, step: int, token: int) -> None:
        total[0] += 1
        if total[0] % 16 == 0:
            events(Progress("think", min(total[0], budget), budget, None, f"thinking ({phase})"))

    metas = {"bpm": r.bpm, "keyscale": r.keyscale, "timesignature": r.timesignature}
    plans = planner.plan_batch(r.caption, "[Instrumental]" if r.instrumental else (r.lyrics or ""), metas=metas,
                               duration=r.duration, settings=settings_of(r), seeds=seeds,
                               cancel=cancel.raise_if_cancelled, on_token=on_token, length_from_plan=True)
    first = plans[0]
    request, filled = fill_request(r, first, first.code_string)
    seconds = time.monotonic() - started
    events(Log("info", f"plan: {len(first.codes)} codes per item, metas {first.metadata} ({seconds:.1f} s)"))
    return Thought(request=request, plans=plans, lm=planner.name, seconds=seconds, filled=filled)


# ---- issue 15: the form's LM settings take their ranges from here (the rules above) ----
SETTING_LIMITS: dict[str, tuple[float, float]] = {
    "lm_temperature": (0.0, 2.0), "lm_cfg": (1.0, 10.0), "lm_top_p": (0.01, 1.0), "lm_top_k": (0, 200),
    "cover_strength": (0.0, 1.0),
}


def plan_form_values(plan: dict[str, Any]) -> dict[str, Any]:
    """A take's recorded plan (``Thought.summary()``) → the form fields it chose: BPM, key, time
    signature, language, duration and the caption the LM wrote ("copy back" on the take card)."""
    from mixgrv_app.core.generation_service import lm_form_values

    metadata = dict(plan.get("metadata") or {})
    if plan.get("caption"):
        metadata["caption"] = plan["caption"]
    if plan.get("language"):
        metadata["language"] = plan["language"]
    values = lm_form_values(metadata, instrumental=False)
    values.pop("instrumental", None)
    return values
