"""The generation worker: one long-lived thread that keeps the models warm between takes.

Loading the DiT, the text encoder and the VAE is the slow part of a first take; every later take
should only pay for text encoding, the diffusion steps and decoding. So the :class:`Generator`
(core/pipeline.py) lives in ONE Python thread for the life of the tab, and every piece of model
work — a generation, an A/B set, loading or re-scaling a LoRA — is queued to that thread and done
there in order. Switching or re-scaling adapters touches only the adapter layers (core/lora.py),
never the base weights.

The Qt side is the same bridge as ``workers.base.JobRunner``: the thread only *emits* one private
relay signal, queued to this QObject in the GUI thread, which re-emits the public signals there
(platform-notes: PySide6 6.12 runs lambdas connected to worker-thread signals in the worker
thread). Widgets connect to the public signals only.

Nothing here imports torch/mlx at module level: the first job imports the pipeline in the worker
thread, so the window opens fast and the GUI thread never holds the import lock for seconds.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot

from mixgrv_app.core.history import History, Take, new_id, peaks_of
from mixgrv_app.core.jobs import Artifact, CancelToken, Cancelled, EventSink, Log, Metric, Progress

log = logging.getLogger(__name__)

_EVENT, _SUCCEEDED, _FAILED, _CANCELLED = "event", "succeeded", "failed", "cancelled"
STORE_SUFFIX = ".flac"   # takes are kept as 24-bit FLAC: lossless for peak-normalised audio, 1/3 of float WAV
STORE_BIT_DEPTH = "24"


@dataclass
class RenderSpec:
    """One render inside a job: the form values and the adapters wanted for it."""

    values: dict[str, Any]
    adapters: list[dict[str, Any]]   # [{name, path, scale, enabled}]
    ab_label: str = ""


@dataclass
class GenerationOutcome:
    takes: list[Take]
    group: str
    ab: bool = False
    adapter_problems: dict[str, str] = field(default_factory=dict)  # adapter path -> message


class GenerationEngine:
    """Owns the warm Generator. Lives in, and is only called from, the worker thread."""

    def __init__(self, models_root: str | Path, history: History) -> None:
        self.models_root = Path(models_root)
        self.history = history
        self.results_root = history.root
        self.generator: Any = None
        self.variant: str | None = None
        self.loaded_adapters: dict[str, str] = {}  # adapter path -> name inside the model
        self.load_count = 0  # how many times base models were loaded (tests: switching LoRA never reloads)

    # -- models -----------------------------------------------------------------------------
    def ensure_generator(self, variant: str, events: EventSink) -> Any:
        if self.generator is not None and self.variant == variant:
            return self.generator
        from mixgrv_app.core.pipeline import Generator

        events(Progress("load", 0, 1, None, variant))
        started = time.monotonic()
        try:
            leave_a_core_for_the_gui()
        except ImportError:
            pass
        if self.generator is not None:
            close = getattr(self.generator, "close", None)
            if callable(close):
                close()
            self.generator = None
            self.loaded_adapters.clear()
        self.generator = Generator(self.models_root, variant=variant, events=events)
        self.variant = variant
        self.load_count += 1
        freeze_heap()
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
                    problems[path] = _error_text(exc)
                    continue
                self.loaded_adapters[path] = name if isinstance(name, str) else adapter.get("name") or Path(path).name
            name = self.loaded_adapters[path]
            generator.set_adapter_scale(name, float(adapter.get("scale", 1.0)))
            generator.enable_adapter(name, bool(adapter.get("enabled", True)))
        return problems

    # -- rendering ------------------------------------------------------------------------------
    def render(self, spec: RenderSpec, group: str, events: EventSink, cancel: CancelToken) -> tuple[list[Take], dict[str, str]]:
        from mixgrv_app.core.audio import write_audio
        from mixgrv_app.core.fileio import write_json
        from mixgrv_app.core.requests import GenerationRequest

        values = spec.values
        generator = self.ensure_generator(values["variant"], events)
        cancel.raise_if_cancelled()
        problems = self.apply_adapters(spec.adapters)
        request = GenerationRequest(**request_kwargs(values))
        result = generator.generate(request, events=events, cancel=cancel)
        cancel.raise_if_cancelled()
        takes: list[Take] = []
        audios = list(result.audio)
        seeds = list(getattr(result, "seeds", [])) or [int(values.get("seed") or 0) + i for i in range(len(audios))]
        sample_rate = int(getattr(result, "sample_rate", 48000))
        info = _plain(getattr(result, "info", None) or {})
        timings = _plain(getattr(result, "timings", None) or {})
        applied = [dict(a) for a in spec.adapters if a["path"] not in problems]
        for index, audio in enumerate(audios):
            take_id = new_id()
            folder = self.results_root / take_id
            folder.mkdir(parents=True, exist_ok=True)
            caption = (values.get("caption") or "").strip()
            audio_path = folder / f"take-{index + 1}{STORE_SUFFIX}"
            write_audio(audio_path, audio, sample_rate, bit_depth=STORE_BIT_DEPTH, title=caption[:120],
                        comment=f"mixgrv seed {seeds[index]}")
            frames = int(audio.shape[-1])
            take = Take(
                id=take_id, created_at=time.time(), audio_path=str(audio_path), request=dict(values),
                seed=int(seeds[index]), index=index, group=group, variant=values["variant"], adapters=applied,
                duration_s=frames / float(sample_rate), sample_rate=sample_rate, timings=timings,
                peaks=peaks_of(audio), ab_label=spec.ab_label, sidecar_path=str(audio_path) + ".json",
            )
            sidecar = _plain(result.sidecar([str(audio_path)])) if hasattr(result, "sidecar") else {"pipeline": info}
            sidecar.update({"form": values, "seed": take.seed, "batch_index": index, "take": take_id,
                            "group": group, "ab_label": spec.ab_label})
            write_json(take.sidecar_path, sidecar)
            events(Artifact("audio", str(audio_path), {"take": take_id}))
            takes.append(take)
        return takes, problems


def freeze_heap() -> None:
    """Move every object alive now (framework modules, model wrappers) out of the GC's reach.

    A full collection walks every tracked object while holding the interpreter lock; with torch
    loaded that is several hundred thousand objects and a 100–500 ms freeze of the GUI thread,
    whichever thread triggers it. Frozen objects are never scanned again (they are long-lived
    anyway: modules, classes, the loaded model).
    """
    import gc

    gc.freeze()  # no gc.collect() first: that full pass is exactly the long pause we avoid


def leave_a_core_for_the_gui() -> None:
    """On the torch CPU path, use one core less than the machine has for intra-op threads.

    With every core busy in torch kernels (and OpenMP threads spinning between them) the GUI
    thread waits for the OS scheduler, not only for the interpreter lock: on a 2-core machine the
    window froze for 100–300 ms at a time during decoding. One free core keeps it responsive.
    MLX on Apple Silicon computes on the GPU and needs nothing here.
    """
    from mixgrv_app.core import pipeline

    if pipeline._apple_silicon():
        return
    import os

    import torch

    cores = os.cpu_count() or 2
    wanted = max(1, cores - 1)
    if torch.get_num_threads() > wanted:
        torch.set_num_threads(wanted)


def request_kwargs(values: dict[str, Any]) -> dict[str, Any]:
    """Form values -> GenerationRequest keyword arguments (the form already uses the field names)."""
    out = {k: v for k, v in values.items() if k not in ("seed_random", "last_seed")}
    if out.get("guidance") is None:
        out.pop("guidance", None)
    return out


def _plain(obj: Any) -> Any:
    """Make pipeline info JSON-friendly (dataclasses, paths, numpy scalars)."""
    import dataclasses

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = dataclasses.asdict(obj)
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if hasattr(obj, "item"):
        try:
            return obj.item()
        except (TypeError, ValueError):
            pass
    return str(obj)


def _error_text(exc: BaseException) -> str:
    """The English message of a core error; the GUI translates by ``code`` when it can."""
    return getattr(exc, "message", None) or str(exc)


class GenerationWorker(QObject):
    """Queue model work to the warm thread; signals arrive in the GUI thread, in order.

    Public signals (GUI thread): ``progress(Progress)``, ``log(Log)``, ``started(str kind)``,
    ``succeeded((kind, result))``, ``failed(exception)``, ``cancelled()``, then
    ``finished(kind)`` after each job.
    """

    progress = Signal(object)
    log = Signal(object)
    artifact = Signal(object)
    started = Signal(str)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal(str)  # the kind of job that ended: generate / ab / adapters / warmup / settings

    _relay = Signal(object, object, object)  # (job id, kind, payload) from the worker thread

    def __init__(self, models_root: str | Path, history: History, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = GenerationEngine(models_root, history)
        self._queue: "queue.Queue[tuple[int, str, Callable[[EventSink, CancelToken], Any], CancelToken] | None]" = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="mixgrv-generation", daemon=True)
        self._job_id = 0
        self._current: CancelToken | None = None
        self.last_failed_kind = ""
        self._pending: dict[int, str] = {}  # job id -> kind, until its outcome was delivered
        self._relay.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._thread.start()

    # -- GUI thread: submit / cancel ---------------------------------------------------------
    def set_models_root(self, models_root: str | Path) -> None:
        def job(_events: EventSink, _cancel: CancelToken) -> None:
            engine = self.engine
            if Path(models_root) != engine.models_root:
                engine.models_root = Path(models_root)
                engine.generator, engine.variant = None, None
                engine.loaded_adapters.clear()
        self._submit("settings", job)

    def generate(self, specs: list[RenderSpec], ab: bool = False) -> int:
        """Render ``specs`` one after the other in the warm thread; one ``succeeded`` for all."""
        group = new_id()

        def job(events: EventSink, cancel: CancelToken) -> GenerationOutcome:
            takes: list[Take] = []
            problems: dict[str, str] = {}
            for number, spec in enumerate(specs):
                if len(specs) > 1:
                    events(Progress("render", number, len(specs), None, spec.ab_label))
                made, trouble = self.engine.render(spec, group, events, cancel)
                takes += made
                problems.update(trouble)
            # recorded here, not in the GUI thread: rewriting the index (fsync) takes a while
            self.engine.history.add(takes)
            return GenerationOutcome(takes, group, ab, problems)

        return self._submit("ab" if ab else "generate", job)

    def warm_up(self) -> int:
        """Import the pipeline (torch/mlx) in the worker thread ahead of the first take.

        Importing a framework holds the interpreter lock in long C calls (dlopen); done here while
        the user is still writing the caption, the first Generate does not pay for it.
        """
        def job(_events: EventSink, _cancel: CancelToken) -> None:
            import importlib

            from mixgrv_app.core import pipeline

            framework = "mlx_model" if pipeline._apple_silicon() else "torch_model"
            modules = ["mixgrv_app.core.tokenizer", "mixgrv_app.core.checkpoints"]
            modules += [f"mixgrv_app.core.{framework}.{name}" for name in ("backend", "model", "vae", "qwen3")]
            for name in modules:
                try:
                    importlib.import_module(name)
                except ImportError as exc:  # the first take reports it properly
                    log.info("warm-up could not import %s: %s", name, exc)
            if framework == "torch_model":
                try:
                    import torch

                    leave_a_core_for_the_gui()
                    # The model is built on the meta device; torch's first meta-device init
                    # imports torch._dynamo and sympy (~850 modules): pay for that here.
                    with torch.device("meta"):
                        torch.nn.Embedding(2, 2)
                except Exception as exc:  # noqa: BLE001 - only a speed-up; the first take reports real problems
                    log.info("torch warm-up skipped: %s", exc)
            freeze_heap()
        return self._submit("warmup", job)

    def sync_adapters(self, adapters: list[dict[str, Any]]) -> int:
        """Apply the LoRA panel's wanted state now (when models are loaded; else at the next take)."""
        def job(_events: EventSink, _cancel: CancelToken) -> dict[str, str]:
            if self.engine.generator is None:
                return {}
            return self.engine.apply_adapters(adapters)
        return self._submit("adapters", job)

    def cancel(self) -> None:
        token = self._current
        if token is not None:
            token.cancel()

    def is_busy(self) -> bool:
        return bool(self._pending)

    def is_generating(self) -> bool:
        """A generation or A/B job is queued or running (adapter syncs and warm-up do not count)."""
        return any(kind in ("generate", "ab") for kind in self._pending.values())

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        """Cancel what runs, stop the thread (the models are released with it)."""
        self.cancel()
        self._queue.put(None)
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _submit(self, kind: str, job: Callable[[EventSink, CancelToken], Any]) -> int:
        self._job_id += 1
        token = CancelToken()
        self._pending[self._job_id] = kind
        self._queue.put((self._job_id, kind, job, token))
        return self._job_id

    # -- worker thread --------------------------------------------------------------------------
    def _emit(self, job_id: int, kind: str, payload: Any) -> None:
        try:
            self._relay.emit(job_id, kind, payload)
        except RuntimeError:
            pass  # the tab was closed; nobody listens

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                break
            job_id, kind, job, token = item
            self._current = token
            self._emit(job_id, "started", kind)

            def events(event: Any, _id: int = job_id) -> None:
                self._emit(_id, _EVENT, event)

            try:
                token.raise_if_cancelled()
                result = job(events, token)
            except Cancelled:
                self._emit(job_id, _CANCELLED, None)
            except BaseException as exc:  # noqa: BLE001 - the GUI must hear about every failure
                log.error("generation job failed", exc_info=exc)
                self._emit(job_id, _FAILED, exc)
            else:
                self._emit(job_id, _SUCCEEDED, (kind, result))
            finally:
                self._current = None
        self.engine.generator = None

    # -- GUI thread: delivery ----------------------------------------------------------------------
    @Slot(object, object, object)
    def _deliver(self, job_id: object, kind: object, payload: object) -> None:
        if kind == "started":
            self.started.emit(payload)
            return
        if kind == _EVENT:
            if isinstance(payload, Progress):
                self.progress.emit(payload)
            elif isinstance(payload, Log):
                self.log.emit(payload)
            elif isinstance(payload, Artifact):
                self.artifact.emit(payload)
            elif isinstance(payload, Metric):
                pass
            return
        job_kind = self._pending.pop(job_id, "")  # type: ignore[arg-type]
        if kind == _SUCCEEDED:
            self.succeeded.emit(payload)
        elif kind == _FAILED:
            self.last_failed_kind = job_kind
            self.failed.emit(payload)
        else:
            self.cancelled.emit()
        self.finished.emit(job_kind)
