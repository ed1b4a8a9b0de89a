"""The Generation tab's model side: a warm :class:`Generator` in its own process.

Loading the DiT, the text encoder and the VAE is the slow part of a first take; every later take
should only pay for text encoding, the diffusion steps and decoding. So one
:class:`GenerationService` lives for the life of the tab inside a child process started by
``core.child_jobs.ChildService`` (``workers/generation.py`` owns it). Every piece of model work — a
take, an A/B set, loading or re-scaling a LoRA — is a call to a method here, run in order.

Why a process and not a thread: framework code (model building, weight conversion, the Python
parts of each layer) holds the interpreter lock for tens of milliseconds at a time, and a GUI
thread that shares that lock stutters (we measured 60–94 ms stalls while the models loaded). In a
separate process the window never waits for it, the GUI process never imports torch or MLX, and
a crash or an out-of-memory kill ends only this process: the tab reports it and the next take
starts a fresh one.

Calls take and return JSON-able dicts: render specs are ``{"values": form values, "adapters":
[{name, path, scale, enabled}], "ab_label": str}``; takes come back as ``Take.to_json()``. The
audio and sidecar files are written here; recording them in the history index is left to the
caller (one writer of ``history.json``: the GUI process).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from pathlib import Path
from typing import Any

from mixgrv_app.core.history import Take, new_id, peaks_of
from mixgrv_app.core.jobs import Artifact, CancelToken, EventSink, Log, Progress

log = logging.getLogger(__name__)

STORE_SUFFIX = ".flac"   # takes are kept as 24-bit FLAC: lossless for peak-normalised audio, 1/3 of float WAV
STORE_BIT_DEPTH = "24"


def create(init: dict[str, Any]) -> "GenerationService":
    """The ChildService factory: ``{"models_root": ..., "results_root": ..., "backend": "auto"}``."""
    return GenerationService(init["models_root"], init["results_root"], init.get("backend", "auto"))


class GenerationService:
    """Owns the warm Generator; every public method is one call from the tab."""

    def __init__(self, models_root: str | Path, results_root: str | Path, backend: str = "auto") -> None:
        self.models_root = Path(models_root)
        self.results_root = Path(results_root)
        self.backend = backend  # auto | mlx | torch (core.pipeline.open_backend)
        self.generator: Any = None
        self.variant: str | None = None
        self.loaded_adapters: dict[str, str] = {}  # adapter path -> name inside the model
        self.load_count = 0  # base-model loads in this process (tests: switching LoRA never reloads)

    # -- calls ------------------------------------------------------------------------------------
    def warm_up(self, _args: dict[str, Any], _events: EventSink, _cancel: CancelToken) -> dict[str, Any]:
        """Import the framework and the model modules while the user is still writing."""
        import importlib

        from mixgrv_app.core import pipeline

        mlx = self.backend == "mlx" or (self.backend == "auto" and pipeline._apple_silicon())
        framework = "mlx_model" if mlx else "torch_model"
        modules = ["mixgrv_app.core.tokenizer", "mixgrv_app.core.checkpoints", "mixgrv_app.core.audio"]
        modules += [f"mixgrv_app.core.{framework}.{name}" for name in ("backend", "model", "vae", "qwen3")]
        for name in modules:
            try:
                importlib.import_module(name)
            except ImportError as exc:  # the first take reports it properly
                log.info("warm-up could not import %s: %s", name, exc)
        if framework == "torch_model":
            leave_a_core_for_the_gui()
        return {"framework": framework}

    def set_models_root(self, args: dict[str, Any], _events: EventSink, _cancel: CancelToken) -> dict[str, Any]:
        root = Path(args["models_root"])
        if root != self.models_root:
            self.models_root = root
            self._drop_generator()
        return {}

    def set_backend(self, args: dict[str, Any], _events: EventSink, _cancel: CancelToken) -> dict[str, Any]:
        if args["backend"] != self.backend:
            self.backend = args["backend"]
            self._drop_generator()
        return {}

    def sync_adapters(self, args: dict[str, Any], _events: EventSink, _cancel: CancelToken) -> dict[str, Any]:
        """Make the loaded adapters match the LoRA panel now (when models are loaded; else at the next take)."""
        if self.generator is None:
            return {"problems": {}}
        return {"problems": self.apply_adapters(args["adapters"])}

    def render_set(self, args: dict[str, Any], events: EventSink, cancel: CancelToken) -> dict[str, Any]:
        """Render ``args["specs"]`` one after the other (a take, or the lanes of an A/B set)."""
        specs = args["specs"]
        group = args.get("group") or new_id()
        takes: list[dict[str, Any]] = []
        problems: dict[str, str] = {}
        for number, spec in enumerate(specs):
            if len(specs) > 1:
                events(Progress("render", number, len(specs), None, spec.get("ab_label", "")))
            made, trouble = self.render(spec, group, events, cancel)
            takes += [take.to_json() for take in made]
            problems.update(trouble)
        backend = self.generator.info()["backend"] if self.generator is not None else {}
        return {"takes": takes, "group": group, "adapter_problems": problems, "load_count": self.load_count,
                "backend": backend}

    # ---- issue 15: the 5 Hz LM writes into the form (simple mode, format) ----------------------
    def lm_write(self, args: dict[str, Any], events: EventSink, cancel: CancelToken) -> dict[str, Any]:
        """``{"mode": "compose", "idea", "instrumental", "language"}`` or ``{"mode": "format", "caption",
        "lyrics", "metas"}`` (+ ``lm`` size, ``seed``, ``max_tokens``) → ``{"values": form values, "metadata"}``.
        Progress stage "think" per token with tokens/s; cancel stops between tokens."""
        import random

        planner = self._planner(str(args.get("lm") or "0.6B"), events)
        seed = args.get("seed")
        seed = int(seed) if seed is not None else random.SystemRandom().randrange(2**31)
        started = time.monotonic()
        budget = int(args.get("max_tokens") or 0)

        def on_token(step: int, _token: int) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            events(Progress("think", step + 1, budget, None, f"{(step + 1) / elapsed:.1f} tok/s"))

        common = {"seed": seed, "cancel": cancel.raise_if_cancelled, "on_token": on_token,
                  "max_new_tokens": budget or None}
        if args.get("mode") == "format":
            out = planner.format(str(args.get("caption") or ""), str(args.get("lyrics") or ""),
                                 metas=args.get("metas") or None, **common)
        else:
            out = planner.create_sample(str(args.get("idea") or ""), instrumental=bool(args.get("instrumental")),
                                        language=args.get("language") or None, **common)
        metadata = plain(out["metadata"])
        return {"values": lm_form_values(metadata, instrumental=args.get("instrumental")), "metadata": metadata,
                "seed": seed, "tokens": len(out["tokens"]), "seconds": round(time.monotonic() - started, 2)}

    def _planner(self, size: str, events: EventSink) -> Any:
        key = (str(self.models_root), size, self.backend)
        if getattr(self, "_lm", None) is not None and self._lm_key == key:
            return self._lm
        from mixgrv_app.core.lm.planner import open_planner

        events(Progress("load", 0, 1, None, f"acestep-5Hz-lm-{size}"))
        self._close_planner()
        backend = self.backend if self.backend in ("torch", "mlx") else "auto"
        self._lm, self._lm_key = open_planner(self.models_root, size, backend=backend), key
        events(Progress("load", 1, 1, None, f"acestep-5Hz-lm-{size}"))
        return self._lm

    def _close_planner(self) -> None:
        if getattr(self, "_lm", None) is not None:
            self._lm.close()
        self._lm = None
    # ---- end issue 15 ----

    def close(self) -> None:
        self._drop_generator()
        self._close_planner()  # issue 15

    # -- models -----------------------------------------------------------------------------------
    def _drop_generator(self) -> None:
        if self.generator is not None:
            close = getattr(self.generator, "close", None)
            if callable(close):
                close()
        self.generator, self.variant = None, None
        self.loaded_adapters.clear()

    def ensure_generator(self, variant: str, events: EventSink) -> Any:
        if self.generator is not None and self.variant == variant:
            return self.generator
        from mixgrv_app.core.pipeline import Generator

        events(Progress("load", 0, 1, None, variant))
        started = time.monotonic()
        self._drop_generator()
        leave_a_core_for_the_gui()
        self.generator = Generator(self.models_root, variant=variant, backend=self.backend, events=events)
        self.variant = variant
        self.load_count += 1
        events(Progress("load", 1, 1, 0.0, variant))
        events(Log("info", f"models loaded in {time.monotonic() - started:.1f} s ({variant})"))
        return self.generator

    def apply_adapters(self, wanted: list[dict[str, Any]]) -> dict[str, str]:
        """Make the model's adapters match ``wanted``; returns {path: problem} for ones that do not fit."""
        from mixgrv_app.core.errors import MixgrvError

        generator = self.generator
        problems: dict[str, str] = {}
        wanted_paths = {a["path"] for a in wanted}
        for path in list(self.loaded_adapters):
            if path not in wanted_paths:
                generator.unload_adapter(self.loaded_adapters.pop(path))
        for adapter in wanted:
            path = adapter["path"]
            if path not in self.loaded_adapters:
                try:
                    name = generator.load_adapter(path, name=adapter.get("name"))
                except MixgrvError as exc:
                    problems[path] = exc.message
                    continue
                self.loaded_adapters[path] = name if isinstance(name, str) else adapter.get("name") or Path(path).name
            name = self.loaded_adapters[path]
            generator.set_adapter_scale(name, float(adapter.get("scale", 1.0)))
            generator.enable_adapter(name, bool(adapter.get("enabled", True)))
        return problems

    # -- rendering --------------------------------------------------------------------------------
    def render(self, spec: dict[str, Any], group: str, events: EventSink,
               cancel: CancelToken) -> tuple[list[Take], dict[str, str]]:
        from mixgrv_app.core.audio import write_audio
        from mixgrv_app.core.fileio import write_json
        from mixgrv_app.core.requests import GenerationRequest

        values = spec["values"]
        adapters = spec.get("adapters", [])
        ab_label = spec.get("ab_label", "")
        generator = self.ensure_generator(values["variant"], events)
        cancel.raise_if_cancelled()
        problems = self.apply_adapters(adapters)
        result = generator.generate(GenerationRequest(**request_kwargs(values)), events=events, cancel=cancel)
        cancel.raise_if_cancelled()
        seeds = list(result.seeds)
        sample_rate = int(result.sample_rate)
        timings = plain(result.timings)
        applied = [dict(a) for a in adapters if a["path"] not in problems]
        caption = (values.get("caption") or "").strip()
        takes: list[Take] = []
        for index, audio in enumerate(result.audio):
            take_id = new_id()
            folder = self.results_root / take_id
            folder.mkdir(parents=True, exist_ok=True)
            audio_path = folder / f"take-{index + 1}{STORE_SUFFIX}"
            write_audio(audio_path, audio, sample_rate, bit_depth=STORE_BIT_DEPTH, title=caption[:120],
                        comment=f"mixgrv seed {seeds[index]}")
            take = Take(
                id=take_id, created_at=time.time(), audio_path=str(audio_path), request=dict(values),
                seed=int(seeds[index]), index=index, group=group, variant=values["variant"], adapters=applied,
                duration_s=int(audio.shape[-1]) / float(sample_rate), sample_rate=sample_rate, timings=timings,
                peaks=peaks_of(audio), ab_label=ab_label, sidecar_path=str(audio_path) + ".json",
                task=result.task, source=dict(result.source or {}),
                lm_plan=plain(result.info.get("lm") or {}),  # issue 15: the take card shows the LM's plan
            )
            sidecar = plain(result.sidecar([str(audio_path)]))
            sidecar.update({"form": values, "seed": take.seed, "batch_index": index, "take": take_id,
                            "group": group, "ab_label": ab_label})
            write_json(take.sidecar_path, sidecar)
            events(Artifact("audio", str(audio_path), {"take": take_id}))
            takes.append(take)
        return takes, problems


def leave_a_core_for_the_gui() -> None:
    """On the torch CPU path, use one core less than the machine has for intra-op threads.

    The GUI is another process now, but it still needs a core: with every core busy in torch
    kernels (and OpenMP threads spinning between them) the window waits for the OS scheduler.
    MLX on Apple Silicon computes on the GPU and needs nothing here.
    """
    from mixgrv_app.core import pipeline

    if pipeline._apple_silicon():
        return
    import torch

    wanted = max(1, (os.cpu_count() or 2) - 1)
    if torch.get_num_threads() > wanted:
        torch.set_num_threads(wanted)


def lm_form_values(metadata: dict[str, Any], instrumental: Any = None) -> dict[str, Any]:
    """The form fields the LM's metadata fills (issue 15): only values the form can hold (a key it
    lists, a time signature it offers, BPM and duration inside its limits, a known language)."""
    from mixgrv_app.core import requests
    from mixgrv_app.core.prompts import LANGUAGES

    out: dict[str, Any] = {}
    if metadata.get("caption"):
        out["caption"] = str(metadata["caption"]).strip()
    lyrics = str(metadata.get("lyrics") or "").strip()
    instrumental = bool(instrumental) if instrumental is not None else lyrics.lower() in ("", "[instrumental]")
    out["instrumental"] = instrumental
    if lyrics and not instrumental:
        out["lyrics"] = lyrics
    for name in ("bpm", "duration"):
        try:
            value = float(metadata.get(name))
        except (TypeError, ValueError):
            continue
        limits = requests.REQUEST_FIELDS[name]
        if limits.minimum <= value <= limits.maximum:
            out[name] = int(round(value)) if name == "bpm" else float(round(value))
    key = str(metadata.get("keyscale") or "").strip()
    if key in requests.KEY_NAMES:
        out["keyscale"] = key
    beats = str(metadata.get("timesignature") or "").split("/")[0].strip()
    if beats in requests.TIME_SIGNATURES:
        out["timesignature"] = beats
    language = str(metadata.get("language") or "").strip().lower()
    if language in LANGUAGES:
        out["language"] = language
    return out


def request_kwargs(values: dict[str, Any]) -> dict[str, Any]:
    """Form values -> GenerationRequest keyword arguments (the form already uses the field names)."""
    out = {k: v for k, v in values.items() if k not in ("seed_random", "last_seed")}
    if out.get("guidance") is None:
        out.pop("guidance", None)
    return out


def plain(obj: Any) -> Any:
    """Make pipeline info JSON-friendly (dataclasses, paths, numpy scalars)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = dataclasses.asdict(obj)
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if hasattr(obj, "item"):
        try:
            return obj.item()
        except (TypeError, ValueError):
            pass
    return str(obj)
