"""The Generation tab (생성): write a song request, apply LoRAs, hear the takes, compare, export.

Left: the request form (ui/request_form.py) and the Generate bar with staged progress
(모델 불러오는 중 → 텍스트 → 단계 n/N → 디코딩), ETA and Cancel. Right: the LoRA panel
(ui/lora_panel.py), the A/B comparison when there is one (ui/ab_view.py) and the results history
(ui/results_view.py) with playback (ui/player.py).

All model work goes to ``workers.generation.GenerationWorker``, which hands it to one long-lived
model process (core/generation_service.py) that keeps the models loaded between takes. Every
widget update happens here, in the GUI thread, in slots connected to the worker's public signals.

Keys: ⌘↩ (Ctrl+Return elsewhere) generates; Space plays/pauses the selected take unless a text
field has the focus; ⌘Z undoes a delete; 1–4 switch A/B lanes.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import logging
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mixgrv_app import settings as opts
from mixgrv_app.core.history import History, Take
from mixgrv_app.core.jobs import Progress
from mixgrv_app.signals import app_signals
from mixgrv_app.ui.ab_view import ABView
from mixgrv_app.ui.lora_panel import LoraPanel
from mixgrv_app.ui.player import Player
from mixgrv_app.ui.request_form import RequestForm
from mixgrv_app.ui.results_view import ResultsView
from mixgrv_app.ui.widgets import Retranslating
from mixgrv_app.workers.generation import GenerationOutcome, GenerationWorker, RenderSpec
from mixgrv_app.core.models import display_name

log = logging.getLogger(__name__)

AB_STRENGTHS = (0.5, 1.0)

# The tab's own pieces, in the @token colours of ui/style.py (light and dark).
TAB_QSS = """
QWidget#generationTab { background: @window; }
QFrame#panel { background: @card; border: 1px solid @border; border-radius: 12px; }
QScrollArea#formScroll, QWidget#formPage { background: transparent; border: none; }
QLabel#pageTitle { font-size: 20px; font-weight: 700; color: @text; }
QLabel#sectionHeading { font-size: 14px; font-weight: 700; color: @text; }
QLabel#fieldTitle { font-size: 12px; font-weight: 700; color: @secondary; }
QLabel#formLabel { color: @secondary; }
QLabel#formLabel:disabled { color: @border; }
QLabel#hintText, QLabel#takeMeta { font-size: 11px; color: @secondary; }
QLabel#valueLabel, QLabel#timeLabel { color: @text; font-weight: 600; }
QLabel#errorText { color: #d9363e; font-size: 12px; }
QLabel#emptyState { color: @secondary; font-size: 13px; padding: 30px; }
QPushButton#chip, QPushButton#tagChip {
    background: @chip; color: @text; border: none; border-radius: 10px;
    padding: 3px 10px; font-size: 11px; min-height: 14px;
}
QPushButton#chip:hover, QPushButton#tagChip:hover { background: @accentSoft; color: @accent; }
QPushButton#tagChip { font-family: "Menlo", "DejaVu Sans Mono", monospace; }
QPushButton#tagChip:disabled { color: @secondary; }
QFrame#referenceDrop { background: @dropBg; border: 1.5px dashed @dropBorder; border-radius: 8px; }
QFrame#referenceDrop[hovering="true"] { background: @accentSoft; border: 1.5px solid @accent; }
QLabel#referenceLabel { color: @secondary; font-size: 12px; }
QFrame#sourceDrop { background: @dropBg; border: 1.5px dashed @dropBorder; border-radius: 8px; }
QFrame#sourceDrop[hovering="true"] { background: @accentSoft; border: 1.5px solid @accent; }
QLabel#sourceLabel { color: @text; font-size: 12px; }
QFrame#baseOnlyNote { background: @accentSoft; border: 1px solid @accent; border-radius: 8px; }
QLabel#baseOnlyText { color: @text; font-size: 12px; }
QPushButton#generateButton {
    background: @accent; color: @accentText; border: none; border-radius: 9px;
    font-size: 15px; font-weight: 700; padding: 9px 18px; min-height: 22px;
}
QPushButton#generateButton:disabled { background: @chip; color: @secondary; }
QPushButton#cancelButton { border-radius: 9px; padding: 8px 14px; }
QLabel#stageLabel { font-weight: 700; color: @text; }
QLabel#etaLabel { color: @secondary; font-size: 12px; }
QLabel#formProblem { color: #d9363e; font-size: 12px; }
QListWidget#resultsList, QListWidget#loraList { background: transparent; border: none; outline: none; }
QListWidget#resultsList::item, QListWidget#loraList::item { background: transparent; border: none; }
QListWidget#resultsList::item:selected { background: transparent; }
QFrame#takeCard { background: @card; border: 1px solid @border; border-radius: 10px; }
QFrame#takeCard[selected="true"] { border: 2px solid @accent; background: @accentSoft; }
QLabel#takeTitle { font-weight: 700; color: @text; }
QLabel#metaChip { background: @chip; color: @secondary; border-radius: 8px; padding: 1px 7px; font-size: 11px; }
QWidget#adapterRow { background: @alternate; border-radius: 8px; }
QLabel#adapterName { font-weight: 700; color: @text; }
QLabel#adapterOrigin { color: @secondary; font-size: 11px; background: @chip; border-radius: 7px; padding: 1px 7px; }
QPushButton#adapterLoadButton { padding: 3px 12px; border-radius: 6px; }
QPushButton#adapterLoadButton[primary="true"] { background: @accent; color: @accentText; border: 1px solid @accent; }
QFrame#transportBar { background: @header; border: 1px solid @border; border-radius: 10px; }
QToolButton#playButton {
    background: @accent; color: @accentText; border: none; border-radius: 17px; font-size: 13px; font-weight: 700;
}
QToolButton#playButton:disabled { background: @chip; color: @secondary; }
QToolButton#stopButton, QToolButton#revealButton, QToolButton#deleteButton {
    background: transparent; border: none; border-radius: 6px; color: @text; font-size: 14px; padding: 3px 6px;
}
QToolButton#stopButton:hover, QToolButton#revealButton:hover, QToolButton#deleteButton:hover { background: @controlHover; }
QFrame#undoBar { background: @text; border-radius: 8px; }
QLabel#undoText { color: @window; }
QPushButton#undoButton { background: transparent; color: @accent; border: none; font-weight: 700; }
QFrame#abView { background: @card; border: 2px solid @accent; border-radius: 12px; }
QFrame#abLane { background: @alternate; border: 1px solid transparent; border-radius: 8px; }
QFrame#abLane[active="true"] { background: @accentSoft; border: 1px solid @accent; }
QLabel#abKey { background: @chip; color: @secondary; border-radius: 6px; font-weight: 700; padding: 2px; }
QFrame#abLane[active="true"] QLabel#abKey { background: @accent; color: @accentText; }
QLabel#abLaneName { font-weight: 700; color: @text; }
QFrame#progressPanel { background: @alternate; border-radius: 10px; }
"""


class GenerationTab(Retranslating, QWidget):
    """The whole tab. ``models_root`` overrides the models folder setting (tests, CLI-like use)."""

    generation_finished = Signal(object)   # GenerationOutcome (tests wait on it)
    generation_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, models_root: str | Path | None = None,
                 settings: opts.Settings | None = None, history: History | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("generationTab")
        self.settings = settings or opts.settings()
        self._models_override = str(models_root) if models_root else ""
        self.history = history or History()
        self.history.purge_trash()
        self.player = Player(self)
        self.worker = GenerationWorker(self.models_root(), self.history, self,
                                       backend=self.settings.get(opts.GENERATION_BACKEND))
        self._busy_kind = ""
        self._warmed = False      # the warm-up was scheduled
        self.warm_up_done = False  # ... and has finished in the worker
        self._stage_started = time.monotonic()
        self._build()
        self._connect()
        self.apply_style()
        self.retranslate_ui()
        self._set_busy("")
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
            try:
                app.styleHints().colorSchemeChanged.connect(self._on_scheme_changed)
            except AttributeError:  # Qt < 6.5
                pass

    # -- models folder -------------------------------------------------------------------------
    def models_root(self) -> str:
        if self._models_override:
            return self._models_override
        from mixgrv_app.workers.models import models_root

        return models_root(self.settings)

    @Slot(str)
    def _on_models_changed(self, _root: str = "") -> None:
        """A download verified, a folder was chosen or deleted: the variants and the model process follow."""
        if not self._models_override:
            self.form.set_models_root(self.models_root())
            self.worker.set_models_root(self.models_root())
            self.lm.refresh()  # issue 15: compose/format need an LM in this folder
            if not self.form_problem.isHidden() and not self.form.problem():
                self.form_problem.hide()

    @Slot(str)
    def _on_setting_changed(self, key: str) -> None:
        if key == opts.MODELS_ROOT.key:
            self._on_models_changed()
        elif key == opts.GENERATION_BACKEND.key:
            self.worker.set_backend(self.settings.get(opts.GENERATION_BACKEND))  # used from the next take

    # -- building -----------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QHBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 12)
        splitter = QSplitter(Qt.Orientation.Horizontal, objectName="generationSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.setHandleWidth(12)
        outer.addWidget(splitter)

        # left: request + generate
        left = QFrame(objectName="panel")
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(16, 14, 16, 14)
        left_layout.setSpacing(10)
        self.heading = QLabel(objectName="pageTitle")
        self.form = RequestForm(self.models_root(), self.settings)
        page = QWidget(objectName="formPage")
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 6, 0)
        page_layout.addWidget(self.form)
        scroll = QScrollArea(objectName="formScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(page)
        self.form_problem = QLabel(objectName="formProblem", wordWrap=True)
        self.form_problem.hide()

        self.progress_panel = QFrame(objectName="progressPanel")
        progress_layout = QVBoxLayout(self.progress_panel)
        progress_layout.setContentsMargins(12, 8, 12, 10)
        progress_layout.setSpacing(5)
        stage_row = QHBoxLayout()
        self.stage_label = QLabel(objectName="stageLabel")
        self.eta_label = QLabel(objectName="etaLabel")
        stage_row.addWidget(self.stage_label, 1)
        stage_row.addWidget(self.eta_label)
        self.progress_bar = QProgressBar(objectName="generationProgress")
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedHeight(8)
        self.progress_bar.setRange(0, 1000)
        progress_layout.addLayout(stage_row)
        progress_layout.addWidget(self.progress_bar)

        buttons = QHBoxLayout()
        self.generate_button = QPushButton(objectName="generateButton")
        self.generate_button.setProperty("primary", True)
        self.generate_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.cancel_button = QPushButton(objectName="cancelButton")
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.cancel_button)
        self.shortcut_hint = QLabel(objectName="hintText")
        self.shortcut_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)

        left_layout.addWidget(self.heading)
        left_layout.addWidget(scroll, 1)
        left_layout.addWidget(self.form_problem)
        left_layout.addWidget(self.progress_panel)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.shortcut_hint)

        # right: LoRA, A/B, results
        right = QWidget(objectName="rightColumn")
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(12)
        lora_card = QFrame(objectName="panel")
        lora_layout = QVBoxLayout(lora_card)
        lora_layout.setContentsMargins(14, 12, 14, 12)
        self.lora_panel = LoraPanel()
        lora_layout.addWidget(self.lora_panel)
        self.ab_view = ABView(self.player)
        self.ab_view.hide()
        results_card = QFrame(objectName="panel")
        results_layout = QVBoxLayout(results_card)
        results_layout.setContentsMargins(14, 12, 14, 12)
        self.results = ResultsView(self.history, self.player)
        results_layout.addWidget(self.results)
        right_layout.addWidget(lora_card)
        right_layout.addWidget(self.ab_view)
        right_layout.addWidget(results_card, 1)

        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([440, 640])
        left.setMinimumWidth(380)

        self.generate_shortcuts = [
            QShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_Return), self, self.generate),
            QShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_Enter), self, self.generate),
        ]
        self.space_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Space), self, self.toggle_playback)
        for shortcut in (*self.generate_shortcuts, self.space_shortcut):
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._save_timer = QTimer(self, singleShot=True, interval=600)
        self._save_timer.timeout.connect(self.form.save)

    def _connect(self) -> None:
        # ---- issue 15: simple mode and format through the worker (the LM runs in the model process) ----
        from mixgrv_app.ui.lm_panel import LMController

        self.lm = LMController(self)
        self.results.lm_plan_copy_requested.connect(self.lm.copy_plan)
        # ---- end issue 15 ----
        self.generate_button.clicked.connect(self.generate)
        self.cancel_button.clicked.connect(self.cancel)
        self.form.changed.connect(self._on_form_changed)
        self.lora_panel.changed.connect(self._on_adapters_changed)
        self.lora_panel.message.connect(self.show_message)
        self.results.message.connect(self.show_message)
        self.results.reuse_requested.connect(self.reuse_take)
        self.results.ab_requested.connect(self.start_ab)
        self.results.send_to_source_requested.connect(self.send_to_source)  # issue 16
        self.worker.started.connect(self._on_worker_started)
        self.worker.progress.connect(self._on_progress)
        self.worker.succeeded.connect(self._on_succeeded)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.finished.connect(self._on_finished)
        app_signals().settings_changed.connect(self._on_setting_changed)
        app_signals().models_changed.connect(self._on_models_changed)

    def apply_style(self) -> None:
        from mixgrv_app.ui import style

        app = QApplication.instance()
        scheme = style.current_scheme(app) if app is not None else "light"
        self.setStyleSheet(style.render_sheet(scheme, fusion=not style.native_mac(), source=TAB_QSS))
        from PySide6.QtGui import QColor

        from mixgrv_app.ui.waveform import WaveformView

        WaveformView.default_accent = style.SCHEMES[scheme]["accent"]
        for view in self.findChildren(WaveformView):
            view.accent = QColor(WaveformView.default_accent)

    def showEvent(self, event) -> None:  # noqa: ANN001
        super().showEvent(event)
        if not self._warmed:
            self._warmed = True
            # after the first frame, while the user writes: the framework import is not free
            QTimer.singleShot(300, self.worker.warm_up)

    def retranslate_ui(self) -> None:
        self.heading.setText(self.tr("Make a song"))
        self.generate_button.setText(self.tr("Generating…") if self._busy_kind in ("generate", "ab") else self.tr("Generate"))
        self.cancel_button.setText(self.tr("Cancel"))
        self.shortcut_hint.setText(self.tr("⌘↩ generates · Space plays or pauses"))
        if getattr(self, "lm", None) is not None:  # issue 15
            self.lm.retranslate_ui()

    @Slot()
    def _on_scheme_changed(self, *_args) -> None:  # noqa: ANN002
        QTimer.singleShot(0, self.apply_style)  # after ui/style.py re-applied the app's palette

    # -- keys --------------------------------------------------------------------------------------
    @Slot()
    def toggle_playback(self) -> None:
        """Space: the A/B lanes when one of them is loaded, else the selected take.

        A QShortcut, not a key filter: text fields claim Space through ShortcutOverride, so typing
        a space in the caption or lyrics never starts playback.
        """
        if self.ab_view.isVisible() and self.player.source in [t.audio_path for t in self.ab_view.takes()]:
            self.ab_view.toggle()
        else:
            self.results.toggle_playback()

    # -- generate ----------------------------------------------------------------------------------
    @Slot()
    def generate(self) -> bool:
        """Send the form to the warm worker. False (with the reason shown) when it cannot go."""
        if self.worker.is_generating():
            return False
        problem = self.form.problem()
        self.form_problem.setText(problem)
        self.form_problem.setVisible(bool(problem))
        if problem:
            return False
        values = self.form.values()
        self.form.set_last_seed(values["seed"])
        self.form.save()
        self.worker.generate([RenderSpec(values, self.lora_panel.active_adapters())])
        self._set_busy("generate")
        return True

    @Slot(object)
    def start_ab(self, take: Take) -> bool:
        """Render ``take``'s request and seed without the LoRA and at two strengths; a take made
        from a source without a LoRA is compared with that source instead (nothing to render)."""
        if self.worker.is_generating():
            return False
        if self.source_ab(take):  # issue 16
            return True
        adapters = [a for a in take.adapters if a.get("enabled", True)] or [
            a for a in self.lora_panel.active_adapters() if a["enabled"]
        ]
        if not adapters:
            self.show_message(self.tr("A/B needs a LoRA: load an adapter in the LoRA panel, then press A/B again."))
            return False
        values = dict(take.request)
        values["seed"] = take.seed
        values["batch_size"] = 1
        specs = [RenderSpec(values, [], "off")]
        for strength in AB_STRENGTHS:
            specs.append(RenderSpec(values, [dict(a, scale=strength, enabled=True) for a in adapters], f"{strength:g}"))
        self.worker.generate(specs, ab=True)
        self._set_busy("ab")
        return True

    @Slot()
    def cancel(self) -> None:
        self.worker.cancel()
        self.stage_label.setText(self.tr("Cancelling…"))

    def _set_busy(self, kind: str) -> None:
        self._busy_kind = kind
        busy = kind in ("generate", "ab")
        self.generate_button.setEnabled(not busy)
        self.cancel_button.setVisible(busy)
        self.progress_panel.setVisible(busy)
        self.results.ab_button.setEnabled(not busy and self.results.selected_take() is not None)
        if busy:
            self.progress_bar.setValue(0)
            self.stage_label.setText(self.tr("Preparing…") if kind == "generate" else self.tr("Preparing the A/B comparison…"))
            self.eta_label.setText("")
            app_signals().status_changed.emit({"model": (self.tr("busy"), "busy")})
        self.retranslate_ui()

    @Slot(str)
    def _on_worker_started(self, kind: str) -> None:
        self._stage_started = time.monotonic()

    def stage_text(self, event: Progress) -> str:
        stage = event.stage.lower()
        if stage == "think":  # issue 15: the LM plans first, with its speed
            now = time.monotonic()
            if getattr(self, "_think_since", None) is None or event.done < self._think_since[1]:
                self._think_since = (now, event.done)
            since, first = self._think_since
            rate = (event.done - first) / (now - since) if now > since else 0.0
            return self.tr("Thinking… {rate} tokens/s").format(rate=f"{rate:.0f}")
        if stage.startswith("load") or stage == "models":
            return self.tr("Loading models…")
        if stage.startswith("text") or stage in ("encode", "prompt", "condition", "conditioning"):
            return self.tr("Reading the caption and lyrics…")
        if stage in ("diffusion", "steps", "step", "denoise", "sampling"):
            return self.tr("Step {done}/{total}").format(done=int(event.done), total=int(event.total))
        if stage.startswith("decod") or stage == "vae":
            return self.tr("Decoding audio…")
        if stage == "render":
            return self.tr("A/B take {n} of {total}").format(n=int(event.done) + 1, total=int(event.total))
        if stage in ("write", "save", "export"):
            return self.tr("Saving…")
        return event.message or event.stage

    @Slot(object)
    def _on_progress(self, event: Progress) -> None:
        if self._busy_kind not in ("generate", "ab"):
            return
        if event.stage == "render":
            self.eta_label.setText("")
        self.stage_label.setText(self.stage_text(event))
        if event.overall is not None:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(int(event.overall * 1000))
        elif event.total > 0:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(int(min(1.0, event.done / event.total) * 1000))
        else:
            self.progress_bar.setRange(0, 0)  # busy indicator while the length is unknown
        if event.eta_s is not None and event.eta_s >= 1:
            self.eta_label.setText(self.tr("about {time} left").format(time=self._duration_text(event.eta_s)))
        elif event.eta_s is not None:
            self.eta_label.setText(self.tr("almost done"))

    def _duration_text(self, seconds: float) -> str:
        seconds = int(round(seconds))
        if seconds >= 3600:
            return self.tr("{h} h {m} min").format(h=seconds // 3600, m=(seconds % 3600) // 60)
        if seconds >= 60:
            return self.tr("{m} min {s} s").format(m=seconds // 60, s=seconds % 60)
        return self.tr("{s} s").format(s=seconds)

    @Slot(object)
    def _on_succeeded(self, payload: object) -> None:
        kind, result = payload  # type: ignore[misc]
        if kind == "adapters":
            for path, text in (result or {}).items():
                self.lora_panel.set_failed(path, self._adapter_problem_text(text))
            return
        if not isinstance(result, GenerationOutcome):
            return
        for path, text in result.adapter_problems.items():
            self.lora_panel.set_failed(path, self._adapter_problem_text(text))
        # One card per event-loop turn, the A/B lanes after them: building and polishing widgets
        # is GUI-thread work, and a batch of eight at once would freeze the window for a moment.
        pending = list(reversed(result.takes))  # the worker already recorded them in the history

        def next_piece() -> None:
            if pending:
                self.results.add_takes([pending.pop(0)])  # each goes on top: last take first
                QTimer.singleShot(0, next_piece)
                return
            self._finish_outcome(result)

        next_piece()

    def _finish_outcome(self, result: GenerationOutcome) -> None:
        if result.takes:
            self.results.select(result.takes[0].id)
        if result.ab:
            self.ab_view.set_takes(result.takes)
            self.ab_view.show()
            self.show_message(self.tr("A/B ready: press Space to play, 1–3 to switch."))
        elif result.takes:
            self.show_message(self.tr("%n take(s) ready.", "", len(result.takes)))
            self.form.set_last_seed(result.takes[0].seed)
        app_signals().status_changed.emit({"model": (display_name(result.takes[0].variant) if result.takes else "—", "ok")})
        self.show_backend(result.backend)
        self.generation_finished.emit(result)

    def show_backend(self, backend: dict) -> None:
        """The status bar says what the last take really ran on; a fallback (MLX could not
        start, torch used) shows as a warning with its reason."""
        if not backend:
            return
        name = {"mlx": "MLX", "torch": "PyTorch"}.get(str(backend.get("name")), str(backend.get("name")))
        device = {"metal": self.tr("Apple GPU (Metal)"), "gpu": self.tr("Apple GPU (Metal)"),
                  "mps": self.tr("Apple GPU (MPS)"), "cuda": "CUDA", "cpu": "CPU"}.get(str(backend.get("device")),
                                                                                     str(backend.get("device")))
        notes = [str(n) for n in backend.get("notes") or []]
        state = "warning" if notes else "ok"
        app_signals().status_changed.emit({"backend": (name, state), "device": (device, "ok")})
        if notes:
            self.show_message(self.tr("Generating with {backend}: {reason}").format(backend=name, reason="; ".join(notes)))

    def _adapter_problem_text(self, text: str) -> str:
        return self.tr("This adapter does not fit the model: {reason}").format(reason=text)

    @Slot(object)
    def _on_failed(self, exc: object) -> None:
        from mixgrv_app.ui.messages import text_for_error

        text = text_for_error(exc) if isinstance(exc, BaseException) else str(exc)
        if self.worker.last_failed_kind not in ("generate", "ab"):
            log.warning("%s job failed: %s", self.worker.last_failed_kind, text)  # the next take reports it
            return
        self.form_problem.setText(self.tr("The take could not be made: {reason}").format(reason=text))
        self.form_problem.show()
        app_signals().status_changed.emit({"model": (self.tr("error"), "error")})
        self.generation_failed.emit(text)

    @Slot()
    def _on_cancelled(self) -> None:
        self.show_message(self.tr("Generation cancelled."))
        app_signals().status_changed.emit({"model": (self.tr("ready"), "ok")})

    @Slot(str)
    def _on_finished(self, kind: str) -> None:
        if kind == "warmup":
            self.warm_up_done = True
        if kind in ("generate", "ab") and not self.worker.is_generating():
            self._set_busy("")

    # -- other reactions -----------------------------------------------------------------------------
    @Slot()
    def _on_form_changed(self) -> None:
        if self.form_problem.isVisible() and not self.form.problem():
            self.form_problem.hide()
        self._save_timer.start()

    @Slot()
    def _on_adapters_changed(self) -> None:
        self.worker.sync_adapters(self.lora_panel.active_adapters())

    @Slot(object)
    def reuse_take(self, take: Take) -> None:
        self.form.reuse(take.request, take.seed)
        if take.lm_plan:  # issue 15: "이 설정 다시 사용" includes what the LM chose
            from mixgrv_app.core.lm.think import plan_form_values

            self.form.set_values(plan_form_values(take.lm_plan))
        self.form.save()
        self.show_message(self.tr("Settings of this take are back in the form (seed {seed}).").format(seed=take.seed))

    # ---- issue 16 (task & source) ------------------------------------------------------------------
    @Slot(object)
    def send_to_source(self, take: Take) -> None:
        """"소스로 보내기": the take becomes the source (its length and peaks are known: nothing is decoded)."""
        from mixgrv_app.core import requests

        source = self.form.source
        if source.task() not in requests.SOURCE_TASKS:
            source.set_task(requests.SOURCE_TASKS[0])
        source.set_source(take.audio_path, take.duration_s, take.peaks)
        self.show_message(self.tr("This take is now the source: choose a task and press Generate."))

    def source_ab(self, take: Take) -> bool:
        """A/B of a take against the audio it was made from (True when shown)."""
        from mixgrv_app.ui.source_panel import source_of, take_task

        _task, origin = take_task(take)
        path = source_of(take)
        if not origin or origin == "codes" or any(a.get("enabled", True) for a in take.adapters):
            return False
        if not Path(path).is_file():
            self.show_message(self.tr("The source of this take is gone, so it cannot be compared."))
            return True
        panel = self.form.source
        if panel.source_path == path and panel.source_seconds:
            self._show_source_ab(take, panel.source_seconds, panel.source_peaks)
            return True
        from mixgrv_app.workers.base import JobRunner
        from mixgrv_app.workers.source import overview_job

        runner = JobRunner(overview_job(path), self, kind="job")
        self._source_ab_take = take
        runner.succeeded.connect(self._on_source_ab_read)
        runner.failed.connect(self._on_failed_source_ab)
        self._source_ab_runner = runner
        runner.start()
        return True

    @Slot(object)
    def _on_source_ab_read(self, result: object) -> None:
        _path, seconds, peaks = result  # type: ignore[misc]
        self._show_source_ab(self._source_ab_take, seconds, peaks)

    def _show_source_ab(self, take: Take, seconds: float, peaks: list[float]) -> None:
        import dataclasses

        from mixgrv_app.ui.source_panel import source_of

        path = source_of(take)
        source = Take(id=f"source-{take.id}", created_at=take.created_at, audio_path=path, request={}, seed=take.seed,
                      variant=take.variant, duration_s=float(seconds), peaks=list(peaks), ab_label="source")
        self.ab_view.set_takes([source, dataclasses.replace(take, ab_label="take")])
        self.ab_view.show()
        self.show_message(self.tr("A/B against the source: press Space to play, 1–2 to switch."))

    @Slot(object)
    def _on_failed_source_ab(self, exc: object) -> None:
        from mixgrv_app.ui.messages import text_for_error

        self.show_message(text_for_error(exc) if isinstance(exc, BaseException) else str(exc))
    # ---- end issue 16 ----

    @Slot(str)
    def show_message(self, text: str) -> None:
        app_signals().status_message.emit(text)
        self.last_message = text

    def shutdown(self) -> None:
        """Save the form, stop playback, the worker thread and the model process (models are released)."""
        try:
            self.form.save()
        except RuntimeError:
            pass
        self.player.shutdown()
        self.worker.shutdown()
