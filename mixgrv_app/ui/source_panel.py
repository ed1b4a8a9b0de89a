"""The Generation tab's task and source: what to do (text→music, cover, repaint, extend, lego,
extract, complete) and to which audio.

``SourcePanel`` sits at the top of the request form. The task selector (``taskCombo``) shows only
the fields core's ``task_fields(task)`` names; a base-only task (core's ``BASE_ONLY_TASKS``) on a
turbo/SFT model disables its fields, says why (core's ``request.task_needs_base`` message) and
offers to switch to an installed base model. The source drop zone (``sourceDrop``: a Finder drop,
the file chooser, or "소스로 보내기" on a take) shows the source's waveform (``sourceWaveform``),
on which a repaint/lego/extend region is chosen by dragging; the numeric fields
(``regionStartSpin``/``regionEndSpin``) take their limits from core's ``region_limits``, and
"늘리기" also has a direction and a length (core's ``extend_region`` makes the region).

The panel speaks in request field names (``values()`` / ``set_values()``: task, source_audio,
cover_strength, cover_noise_strength, audio_codes, repaint_start, repaint_end, track, tracks);
the fields a task does not use are None, so a take's request records only what made it.
A source's length and peaks are read in a worker thread (``workers/source.py``); a take sent
here brings its own, so nothing is decoded.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QRectF, Qt, QT_TRANSLATE_NOOP, Signal, Slot
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mixgrv_app.core import prompts, requests
from mixgrv_app.ui.waveform import WaveformView
from mixgrv_app.ui.widgets import ACCEPTS_FILE_DROPS, AudioDrop

log = logging.getLogger(__name__)

_REQUEST = requests.GenerationRequest  # the dataclass's defaults (cover strength, noise) are core's

# The tasks' names (context "Tasks"); the list and its order are core's (requests.TASKS).
TASK_NAMES: dict[str, str] = {
    "text2music": QT_TRANSLATE_NOOP("Tasks", "Text to music"),
    "cover": QT_TRANSLATE_NOOP("Tasks", "Cover"),
    "repaint": QT_TRANSLATE_NOOP("Tasks", "Repaint"),
    "extend": QT_TRANSLATE_NOOP("Tasks", "Extend"),
    "lego": QT_TRANSLATE_NOOP("Tasks", "Add instrument"),
    "extract": QT_TRANSLATE_NOOP("Tasks", "Extract instrument"),
    "complete": QT_TRANSLATE_NOOP("Tasks", "Complete"),
}
# The instrument tracks' names (context "Tracks"); the list is core's (prompts.TRACK_NAMES).
TRACK_LABELS: dict[str, str] = {
    "woodwinds": QT_TRANSLATE_NOOP("Tracks", "Woodwinds"),
    "brass": QT_TRANSLATE_NOOP("Tracks", "Brass"),
    "fx": QT_TRANSLATE_NOOP("Tracks", "Effects"),
    "synth": QT_TRANSLATE_NOOP("Tracks", "Synth"),
    "strings": QT_TRANSLATE_NOOP("Tracks", "Strings"),
    "percussion": QT_TRANSLATE_NOOP("Tracks", "Percussion"),
    "keyboard": QT_TRANSLATE_NOOP("Tracks", "Keyboard"),
    "guitar": QT_TRANSLATE_NOOP("Tracks", "Guitar"),
    "bass": QT_TRANSLATE_NOOP("Tracks", "Bass"),
    "drums": QT_TRANSLATE_NOOP("Tracks", "Drums"),
    "backing_vocals": QT_TRANSLATE_NOOP("Tracks", "Backing vocals"),
    "vocals": QT_TRANSLATE_NOOP("Tracks", "Vocals"),
}


def task_label(task: str) -> str:
    """The translated name of a task (the result cards use it too)."""
    return QCoreApplication.translate("Tasks", TASK_NAMES[task]) if task in TASK_NAMES else task


def track_label(name: str) -> str:
    return QCoreApplication.translate("Tracks", TRACK_LABELS[name]) if name in TRACK_LABELS else name


def take_task(take: Any) -> tuple[str, str]:
    """(task that made a take, where from: the source file's name, "codes", or "").

    The take records both (core.history.Take ``task`` / ``source``); a take from before that
    has only its request."""
    request = take.request
    if request.get("think") and not str(request.get("audio_codes") or "").strip():
        # a Think take renders the LM's own codes through the cover path, but the musician asked
        # for text to music (the card's LM line says what the LM planned)
        return "text2music", ""
    codes = bool(str(request.get("audio_codes") or "").strip())
    task = str(getattr(take, "task", "") or request.get("task") or "text2music")
    if codes and task in ("text2music", "cover"):
        return "cover", "codes"
    path = source_of(take)
    return task, (Path(path).name if path and task in requests.SOURCE_TASKS else "")


def source_of(take: Any) -> str:
    """The source audio a take was made from ("" for none)."""
    source = getattr(take, "source", None) or {}
    return str(source.get("path") or take.request.get("source_audio") or "")


class SourceWaveform(WaveformView):
    """The source's waveform on a timeline in seconds, with the region to redo drawn over it.

    The timeline may reach past the source (extend): the part outside it is drawn as empty room.
    Dragging selects a region (``region_dragged(start, end)`` in seconds, clamped to the limits
    the panel sets from core's ``region_limits``); a plain click does nothing."""

    region_dragged = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(None, parent)
        self.setObjectName("sourceWaveform")
        self.setFixedHeight(64)
        self.setCursor(Qt.CursorShape.IBeamCursor)
        self.source_seconds = 0.0
        self.view = (0.0, 1.0)            # seconds shown from the left edge to the right edge
        self.bounds = (0.0, 1.0)          # where a region may lie
        self.region: tuple[float, float] | None = None
        self.selecting = False            # regions are shown and dragged only for region tasks
        self._anchor: float | None = None

    def set_timeline(self, source_seconds: float, view: tuple[float, float], bounds: tuple[float, float]) -> None:
        self.source_seconds = float(source_seconds)
        self.view = (float(view[0]), max(float(view[0]) + 1e-3, float(view[1])))
        self.bounds = (float(bounds[0]), float(bounds[1]))
        self.update()

    def set_region(self, region: tuple[float, float] | None, selecting: bool) -> None:
        self.region, self.selecting = region, selecting
        self.update()

    # -- seconds <-> pixels ---------------------------------------------------------------------
    def _inner(self) -> tuple[float, float]:
        return 4.0, max(1.0, self.width() - 8.0)

    def x_of(self, seconds: float) -> float:
        left, width = self._inner()
        start, end = self.view
        return left + width * (seconds - start) / (end - start)

    def seconds_at(self, x: float) -> float:
        left, width = self._inner()
        start, end = self.view
        seconds = start + (x - left) / width * (end - start)
        return max(self.bounds[0], min(self.bounds[1], seconds))

    # -- mouse: drag a region ----------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.selecting and self.source_seconds > 0:
            self._anchor = self.seconds_at(event.position().x())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._anchor is not None and event.buttons() & Qt.MouseButton.LeftButton:
            here = self.seconds_at(event.position().x())
            self.region = (min(self._anchor, here), max(self._anchor, here))
            self.update()
            return
        self._hover = None
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._anchor is not None and event.button() == Qt.MouseButton.LeftButton:
            here = self.seconds_at(event.position().x())
            start, end = min(self._anchor, here), max(self._anchor, here)
            self._anchor = None
            if end - start > 1e-3:
                self.region = (round(start, 2), round(end, 2))
                self.region_dragged.emit(*self.region)
            self.update()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # -- painting ------------------------------------------------------------------------------------
    def _bars(self, x0: float, x1: float, rect: QRectF) -> list[QRectF]:
        """Mirrored peak bars (3 px apart, like the take cards) over the source's span x0..x1."""
        peaks, step = self._peaks, 3.0
        mid, half = rect.center().y(), rect.height() / 2 - 5
        count = max(1, int((x1 - x0) / step))
        out = []
        for i in range(count):
            start = int(i * len(peaks) / count)
            stop = max(start + 1, int((i + 1) * len(peaks) / count))
            height = max(1.0, max(peaks[start:stop]) * half)
            out.append(QRectF(x0 + i * step, mid - height, 2.0, height * 2))
        return out

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 14) if dark else QColor(0, 0, 0, 9))
        painter.drawRoundedRect(rect, 7, 7)
        line = QColor(self.palette().color(QPalette.ColorRole.Text))
        line.setAlpha(60)
        if not self._peaks or self.source_seconds <= 0:
            painter.setPen(line)
            painter.drawLine(QPointF(rect.left() + 6, rect.center().y()), QPointF(rect.right() - 6, rect.center().y()))
            return
        x0, x1 = self.x_of(0.0), self.x_of(self.source_seconds)
        bars = QColor(self.palette().color(QPalette.ColorRole.Text))
        bars.setAlpha(70 if dark else 60)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bars)
        painter.drawRects(self._bars(x0, x1, rect))
        dashed = QPen(line, 1, Qt.PenStyle.DashLine)
        painter.setPen(dashed)
        for x in (x0, x1):
            if rect.left() + 2 < x < rect.right() - 2:
                painter.drawLine(QPointF(x, rect.top() + 3), QPointF(x, rect.bottom() - 3))
        if self.selecting and self.region is not None:
            a, b = self.x_of(self.region[0]), self.x_of(self.region[1])
            fill = QColor(self.accent)
            fill.setAlpha(60)
            painter.setPen(QPen(self.accent, 1.5))
            painter.setBrush(fill)
            painter.drawRoundedRect(QRectF(a, rect.top() + 2, max(2.0, b - a), rect.height() - 4), 4, 4)


class SourceDrop(AudioDrop, QFrame):
    """The source file: a drop target with the file's name, a chooser and a clear button."""

    chosen = Signal(str)
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceDrop")
        self.setAcceptDrops(True)
        self.setProperty(ACCEPTS_FILE_DROPS, True)
        self.setProperty("hovering", False)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel(objectName="sourceLabel")
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.choose = QToolButton(objectName="sourceChoose")
        self.clear = QToolButton(objectName="sourceClear", text="✕")
        self.clear.setAutoRaise(True)
        self.choose.clicked.connect(self._choose)
        self.clear.clicked.connect(self.cleared)
        row.addWidget(self.label, 1)
        row.addWidget(self.choose)
        row.addWidget(self.clear)

    def _choose(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, self.tr("Source audio"), str(Path.home() / "Music"),
            self.tr("Audio files (*.wav *.flac *.mp3 *.aif *.aiff *.m4a *.ogg *.opus)"))
        if name:
            self.chosen.emit(name)

    def audio_dropped(self, path: str) -> None:
        self.chosen.emit(path)

class SourcePanel(QWidget):
    """Task selector + the chosen task's fields. ``values()`` / ``set_values()`` / ``problem()``."""

    changed = Signal()
    switch_variant_requested = Signal(str)   # an installed base model to switch the form to
    source_loaded = Signal(str)              # the path whose length and waveform are now known

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourcePanel")
        self.variant = requests.GenerationRequest.variant
        self.installed: list[str] = []
        self.source_path = ""
        self.source_seconds = 0.0          # 0 while unknown (no source, or still reading it)
        self.source_peaks: list[float] = []
        self.source_error = ""             # why the source cannot be used (translated)
        self._loader: Any = None
        self._updating = False
        self._pending_region: tuple[Any, Any] | None = None   # a restored region, applied once the source is read
        self._build()
        self.retranslate_ui()
        self._show_task()

    # -- building -----------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        head = QHBoxLayout()
        self.task_title = QLabel(objectName="fieldTitle")
        self.task_combo = QComboBox(objectName="taskCombo")
        for task in requests.TASKS:
            self.task_combo.addItem("", task)
        head.addWidget(self.task_title)
        head.addWidget(self.task_combo, 1)
        self.task_hint = QLabel(objectName="hintText", wordWrap=True)

        self.base_box = QFrame(objectName="baseOnlyNote")
        base_row = QHBoxLayout(self.base_box)
        base_row.setContentsMargins(10, 6, 6, 6)
        self.base_note = QLabel(objectName="baseOnlyText", wordWrap=True)
        self.switch_base = QPushButton(objectName="switchBaseButton")
        self.switch_base.clicked.connect(self._switch_to_base)
        base_row.addWidget(self.base_note, 1)
        base_row.addWidget(self.switch_base)

        self.fields = QWidget(objectName="taskFields")
        fields = QVBoxLayout(self.fields)
        fields.setContentsMargins(0, 0, 0, 0)
        fields.setSpacing(6)
        self.source_drop = SourceDrop()
        self.source_drop.chosen.connect(self.set_source)
        self.source_drop.cleared.connect(self.clear_source)
        self.waveform = SourceWaveform()
        self.waveform.region_dragged.connect(self._on_region_dragged)
        self.source_state = QLabel(objectName="hintText", wordWrap=True)

        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        self.labels: dict[str, QLabel] = {}
        self.rows: dict[str, list[QWidget]] = {}

        def row(key: str, *widgets: QWidget) -> None:
            label = QLabel(objectName="formLabel")
            self.labels[key] = label
            r = grid.rowCount()
            grid.addWidget(label, r, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            box = QHBoxLayout()
            box.setSpacing(8)
            wide = (QSlider, QComboBox, QPlainTextEdit)
            for w in widgets:
                box.addWidget(w, 1 if isinstance(w, wide) or w.objectName() == "tracksChoice" else 0)
            if not any(isinstance(w, wide) or w.objectName() == "tracksChoice" for w in widgets):
                box.addStretch(1)
            holder = QWidget()
            holder.setLayout(box)
            box.setContentsMargins(0, 0, 0, 0)
            grid.addWidget(holder, r, 1)
            self.rows[key] = [label, holder]

        self.start_spin = QDoubleSpinBox(objectName="regionStartSpin")
        self.end_spin = QDoubleSpinBox(objectName="regionEndSpin")
        for spin in (self.start_spin, self.end_spin):
            spin.setDecimals(2)
            spin.setSingleStep(0.5)
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(self._on_region_spin)
        self.region_dash = QLabel("–")
        row("region", self.start_spin, self.region_dash, self.end_spin)
        self.extend_direction = QComboBox(objectName="extendDirectionCombo")
        for direction in requests.EXTEND_DIRECTIONS:
            self.extend_direction.addItem("", direction)
        self.extend_seconds = QDoubleSpinBox(objectName="extendSecondsSpin")
        self.extend_seconds.setDecimals(1)
        self.extend_seconds.setRange(0.5, requests.MAX_SOURCE_SECONDS)
        self.extend_seconds.setValue(requests.EXTEND_DEFAULT_SECONDS)
        self.extend_seconds.setKeyboardTracking(False)
        self.extend_direction.currentIndexChanged.connect(self._on_extend_control)
        self.extend_seconds.valueChanged.connect(self._on_extend_control)
        row("extend", self.extend_direction, self.extend_seconds)
        self.cover_strength = QSlider(Qt.Orientation.Horizontal, objectName="coverStrengthSlider")
        self.cover_noise = QSlider(Qt.Orientation.Horizontal, objectName="coverNoiseSlider")
        self.cover_strength_value = QLabel(objectName="valueLabel")
        self.cover_noise_value = QLabel(objectName="valueLabel")
        for slider, default in ((self.cover_strength, _REQUEST.cover_strength), (self.cover_noise, _REQUEST.cover_noise_strength)):
            slider.setRange(0, 100)
            slider.setValue(int(round(float(default) * 100)))
            slider.valueChanged.connect(self._on_changed)
        for value in (self.cover_strength_value, self.cover_noise_value):
            value.setMinimumWidth(40)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row("cover_strength", self.cover_strength, self.cover_strength_value)
        row("cover_noise", self.cover_noise, self.cover_noise_value)
        self.track_combo = QComboBox(objectName="trackCombo")
        for name in prompts.TRACK_NAMES:
            self.track_combo.addItem("", name)
        self.track_combo.currentIndexChanged.connect(self._on_changed)
        row("track", self.track_combo)
        self.tracks_box = QWidget(objectName="tracksChoice")   # complete: several tracks, ticked
        tracks_grid = QGridLayout(self.tracks_box)
        tracks_grid.setContentsMargins(0, 0, 0, 0)
        tracks_grid.setHorizontalSpacing(10)
        tracks_grid.setVerticalSpacing(2)
        self.track_checks: dict[str, QCheckBox] = {}
        for i, name in enumerate(prompts.TRACK_NAMES):
            check = QCheckBox(objectName=f"trackCheck_{name}")
            check.toggled.connect(self._on_changed)
            self.track_checks[name] = check
            tracks_grid.addWidget(check, i // 3, i % 3)
        row("tracks", self.tracks_box)
        self.codes_edit = QPlainTextEdit(objectName="audioCodesEdit")
        self.codes_edit.setFixedHeight(54)
        self.codes_edit.textChanged.connect(self._on_changed)
        row("codes", self.codes_edit)
        grid.setColumnStretch(1, 1)

        fields.addWidget(self.source_drop)
        fields.addWidget(self.waveform)
        fields.addWidget(self.source_state)
        fields.addLayout(grid)

        layout.addLayout(head)
        layout.addWidget(self.task_hint)
        layout.addWidget(self.base_box)
        layout.addWidget(self.fields)
        self.task_combo.currentIndexChanged.connect(self._on_task_changed)

    def retranslate_ui(self) -> None:
        self.task_title.setText(self.tr("Task"))
        base_only = not requests.is_base_variant(self.variant)
        for i in range(self.task_combo.count()):
            task = self.task_combo.itemData(i)
            text = task_label(task)
            if task in requests.BASE_ONLY_TASKS and base_only:
                text = self.tr("{task} (base model)").format(task=text)
            self.task_combo.setItemText(i, text)
            self.task_combo.setItemData(i, self._task_explanation(task), Qt.ItemDataRole.ToolTipRole)
        self.task_hint.setText(self._task_explanation(self.task()))
        texts = {"region": self.tr("Region (s)"), "extend": self.tr("Extend"), "cover_strength": self.tr("Cover strength"),
                 "cover_noise": self.tr("Melody kept"), "track": self.tr("Track"), "tracks": self.tr("Tracks to add"),
                 "codes": self.tr("Paste codes")}
        for key, label in self.labels.items():
            label.setText(texts[key])
        self.extend_direction.setItemText(0, self.tr("after the end (N s)"))
        self.extend_direction.setItemText(1, self.tr("before the start (N s)"))
        self.extend_seconds.setSuffix(self.tr(" s"))
        self.start_spin.setSuffix(self.tr(" s"))
        self.end_spin.setSuffix(self.tr(" s"))
        self.cover_strength.setToolTip(self.tr("How many of the steps follow the source: lower lets the model drift further from it."))
        self.cover_noise.setToolTip(self.tr("Start from the source instead of pure noise: higher keeps more of its melody."))
        self.codes_edit.setPlaceholderText(self.tr("Paste 5 Hz codes (<|audio_code_N|>…) from a Think take instead of a source"))
        for i in range(self.track_combo.count()):
            self.track_combo.setItemText(i, track_label(self.track_combo.itemData(i)))
        for name, check in self.track_checks.items():
            check.setText(track_label(name))
        self.source_drop.choose.setText(self.tr("Choose…"))
        self.source_drop.clear.setToolTip(self.tr("Remove the source audio"))
        self.switch_base.setText(self.tr("Use the base model"))
        self._render_source()
        self._render_values()
        self._render_base_note()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)

    def _task_explanation(self, task: str) -> str:
        return {
            "text2music": self.tr("A new song from the caption and lyrics."),
            "cover": self.tr("A new version of the source in the caption's style (or of pasted codes)."),
            "repaint": self.tr("Redo the selected region of the source; the rest stays."),
            "extend": self.tr("Continue the source before its start or after its end."),
            "lego": self.tr("Add one instrument track to the source (base model)."),
            "extract": self.tr("Isolate one instrument track of the source (base model)."),
            "complete": self.tr("Add several instrument tracks to the source (base model)."),
        }.get(task, "")

    # -- the task --------------------------------------------------------------------------------------
    def task(self) -> str:
        return self.task_combo.currentData() or requests.TASKS[0]

    def set_task(self, task: str) -> None:
        index = self.task_combo.findData(task)
        if index >= 0:
            self.task_combo.setCurrentIndex(index)

    def shown_fields(self) -> tuple[str, ...]:
        return requests.task_fields(self.task())

    def available(self) -> bool:
        return requests.task_available(self.task(), self.variant)

    def base_variant(self) -> str | None:
        """An installed model that runs the base-only tasks (None when there is none)."""
        return next((v for v in self.installed if requests.is_base_variant(v)), None)

    def set_variant(self, variant: str, installed: list[str]) -> None:
        """The form's model and the installed ones (for the base-only note and its switch)."""
        self.variant, self.installed = variant, list(installed)
        self.retranslate_ui()
        self._show_task()

    @Slot()
    def _on_task_changed(self) -> None:
        self._show_task()
        self.task_hint.setText(self._task_explanation(self.task()))
        self._apply_region_limits(reset=True)
        self._on_changed()

    def _show_task(self) -> None:
        shown = set(self.shown_fields())
        uses_source = "source_audio" in shown
        region = "repaint_start" in shown
        extend = self.task() == "extend"
        self.source_drop.setVisible(uses_source)
        self.waveform.setVisible(uses_source)
        self.source_state.setVisible(uses_source and bool(self.source_state.text()))
        visible = {"region": region, "extend": extend, "cover_strength": "cover_strength" in shown,
                   "cover_noise": "cover_noise_strength" in shown, "track": "track" in shown,
                   "tracks": "tracks" in shown, "codes": "audio_codes" in shown}
        for key, widgets in self.rows.items():
            for w in widgets:
                w.setVisible(visible[key])
        self.fields.setVisible(any(visible.values()) or uses_source)
        self.fields.setEnabled(self.available())
        self.waveform.set_region(self.region() if region else None, selecting=region)
        self._render_base_note()

    def _render_base_note(self) -> None:
        blocked = not self.available()
        self.base_box.setVisible(blocked)
        if not blocked:
            return
        from mixgrv_app.ui.messages import text_for_error

        base = self.base_variant()
        text = text_for_error(requests.task_unavailable_error(self.task(), self.variant))
        if base is None:
            text += " " + self.tr("No base model is installed: download it under Settings > Models….")
        self.base_note.setText(text)
        self.switch_base.setVisible(base is not None)

    @Slot()
    def _switch_to_base(self) -> None:
        base = self.base_variant()
        if base:
            self.switch_variant_requested.emit(base)

    # -- the source ---------------------------------------------------------------------------------------
    @Slot(str)
    def set_source(self, path: str, seconds: float | None = None, peaks: list[float] | None = None) -> None:
        """Use ``path`` as the source. Its length and peaks are read in the background unless given."""
        self.source_path = str(path or "")
        self.source_error = ""
        self.source_seconds = float(seconds) if seconds else 0.0
        self.source_peaks = list(peaks or [])
        if self.source_path and not self.source_seconds:
            self._read_source(self.source_path)
        self._after_source()

    def _after_source(self) -> None:
        self.waveform.set_peaks(self.source_peaks)
        self._apply_region_limits(reset=True)
        self._restore_region()
        self._render_source()
        self._show_task()
        self._on_changed()
        if self.source_seconds:
            self.source_loaded.emit(self.source_path)

    @Slot()
    def clear_source(self) -> None:
        self.set_source("")

    def _read_source(self, path: str) -> None:
        from mixgrv_app.workers.base import JobRunner
        from mixgrv_app.workers.source import overview_job

        if not Path(path).is_file():
            self.source_error = self.tr("The source file is gone. Drop it again or choose another one.")
            return
        runner = JobRunner(overview_job(path), self, kind="job")
        runner.succeeded.connect(self._on_source_read)
        runner.failed.connect(self._on_source_failed)
        self._loader = runner
        runner.start()

    @Slot(object)
    def _on_source_read(self, result: object) -> None:
        path, seconds, peaks = result  # type: ignore[misc]
        if path != self.source_path:
            return  # another source was chosen meanwhile
        self.source_seconds, self.source_peaks = float(seconds), list(peaks)
        self._after_source()

    @Slot(object)
    def _on_source_failed(self, exc: object) -> None:
        from mixgrv_app.ui.messages import text_for_error

        self.source_error = text_for_error(exc) if isinstance(exc, BaseException) else str(exc)
        self._render_source()
        self._show_task()
        self._on_changed()

    def is_reading(self) -> bool:
        return bool(self.source_path) and not self.source_seconds and not self.source_error

    def _render_source(self) -> None:
        if self.source_path:
            name = Path(self.source_path).name
            if self.source_seconds:
                minutes, rest = divmod(self.source_seconds, 60)
                self.source_drop.label.setText(f"♫  {name} · {int(minutes)}:{rest:05.2f}")
            else:
                self.source_drop.label.setText(f"♫  {name}")
            self.source_drop.label.setToolTip(self.source_path)
        else:
            self.source_drop.label.setText(self.tr("Drop the source song here, choose a file, or use Send to Source on a take"))
            self.source_drop.label.setToolTip("")
        self.source_drop.clear.setVisible(bool(self.source_path))
        if self.source_error:
            state = self.source_error
        elif self.is_reading():
            state = self.tr("Reading the source…")
        else:
            state = ""
        self.source_state.setText(state)
        self.source_state.setVisible(bool(state) and self.source_drop.isVisible())

    # -- the region ------------------------------------------------------------------------------------------
    def region(self) -> tuple[float, float]:
        return float(self.start_spin.value()), float(self.end_spin.value())

    def set_region(self, start: float, end: float) -> None:
        """Set the region (seconds; clamped to the spin boxes' limits) as if typed."""
        self._updating = True
        self.start_spin.setValue(float(start))
        self.end_spin.setValue(float(end))
        self._updating = False
        self._region_changed()

    def _apply_region_limits(self, reset: bool) -> None:
        """Spin box ranges and the waveform's timeline from core's region_limits."""
        src = self.source_seconds
        task = self.task()
        if task not in requests.REGION_TASKS or src <= 0:
            self.waveform.set_timeline(src, (0.0, max(src, 1e-3)), (0.0, max(src, 1e-3)))
            self.waveform.set_region(None, selecting=False)
            return
        limits = requests.region_limits(task, src)
        self._updating = True
        for spin in (self.start_spin, self.end_spin):
            spin.setRange(limits.min_start, limits.max_end)
        if reset:
            if task == "extend":
                start, end = requests.extend_region(src, self.extend_seconds.value(), self.extend_direction.currentData())
            else:
                start, end = limits.min_start, limits.max_end
            self.start_spin.setValue(start)
            self.end_spin.setValue(end)
        self._updating = False
        self._region_changed()

    def _timeline(self) -> tuple[float, float]:
        """What the waveform shows: the source, and for extend room on both sides to drag into."""
        src = self.source_seconds
        start, end = self.region()
        if self.task() != "extend":
            return 0.0, src
        room = max(requests.EXTEND_DEFAULT_SECONDS, src * 0.5)
        limits = requests.region_limits("extend", src)
        return min(start, max(limits.min_start, -room)), max(end, min(limits.max_end, src + room))

    def _region_changed(self) -> None:
        src = self.source_seconds
        if src > 0 and self.task() in requests.REGION_TASKS:
            limits = requests.region_limits(self.task(), src)
            self.waveform.set_timeline(src, self._timeline(), (limits.min_start, limits.max_end))
            self.waveform.set_region(self.region(), selecting=True)
        self._on_changed()

    @Slot()
    def _on_region_spin(self) -> None:
        if not self._updating:
            self._region_changed()

    @Slot(float, float)
    def _on_region_dragged(self, start: float, end: float) -> None:
        self.set_region(start, end)

    @Slot()
    def _on_extend_control(self) -> None:
        if self.task() == "extend" and self.source_seconds > 0:
            start, end = requests.extend_region(self.source_seconds, self.extend_seconds.value(),
                                                self.extend_direction.currentData())
            self.set_region(start, end)

    def extend_by(self, seconds: float, direction: str = "after") -> None:
        """"늘리기": N seconds after the end (or before the start)."""
        self.extend_direction.setCurrentIndex(max(0, self.extend_direction.findData(direction)))
        self.extend_seconds.setValue(float(seconds))
        self._on_extend_control()

    # -- values ---------------------------------------------------------------------------------------------
    def _render_values(self) -> None:
        self.cover_strength_value.setText(f"{self.cover_strength.value()}%")
        self.cover_noise_value.setText(f"{self.cover_noise.value()}%")

    @Slot()
    def _on_changed(self, *_args: Any) -> None:
        self._render_values()
        self.changed.emit()

    def values(self) -> dict[str, Any]:
        """The request fields of the chosen task (the others None / core's default)."""
        task = self.task()
        shown = set(requests.task_fields(task))
        codes = self.codes_edit.toPlainText().strip() if "audio_codes" in shown else ""
        out: dict[str, Any] = {
            "task": task,
            "source_audio": (self.source_path or None) if "source_audio" in shown else None,
            "cover_strength": self.cover_strength.value() / 100.0 if "cover_strength" in shown else _REQUEST.cover_strength,
            "cover_noise_strength": (self.cover_noise.value() / 100.0 if "cover_noise_strength" in shown
                                     else _REQUEST.cover_noise_strength),
            "audio_codes": codes or None,
            "repaint_start": None, "repaint_end": None,
            "track": self.track_combo.currentData() if "track" in shown else None,
            "tracks": self.checked_tracks() if "tracks" in shown else None,
        }
        if "repaint_start" in shown:
            out["repaint_start"], out["repaint_end"] = self.region()
        if codes:
            out["source_audio"] = None   # a cover from codes reads no source (as upstream does)
        return out

    def checked_tracks(self) -> list[str]:
        return [name for name, check in self.track_checks.items() if check.isChecked()]

    def set_tracks(self, names: list[str]) -> None:
        wanted = {str(n).lower() for n in names}
        for name, check in self.track_checks.items():
            check.setChecked(name in wanted)

    def set_values(self, values: dict[str, Any]) -> None:
        """Fill from a saved form or a take's request ("이 설정 다시 사용"): task, source, region ..."""
        if "task" not in values:
            return
        task = str(values.get("task") or requests.TASKS[0])
        if task == "text2music" and str(values.get("audio_codes") or "").strip():
            task = "cover"   # codes made it a cover
        self.set_task(task)
        if values.get("cover_strength") is not None:
            self.cover_strength.setValue(int(round(float(values["cover_strength"]) * 100)))
        if values.get("cover_noise_strength") is not None:
            self.cover_noise.setValue(int(round(float(values["cover_noise_strength"]) * 100)))
        self.codes_edit.setPlainText(str(values.get("audio_codes") or ""))
        if values.get("track"):
            index = self.track_combo.findData(str(values["track"]).lower())
            if index >= 0:
                self.track_combo.setCurrentIndex(index)
        if values.get("tracks"):
            self.set_tracks(list(values["tracks"]))
        source = str(values.get("source_audio") or "")
        region = (values.get("repaint_start"), values.get("repaint_end"))
        self._pending_region = region if region[1] is not None else None
        if source != self.source_path:
            self.set_source(source)
        self._restore_region()

    def _restore_region(self) -> None:
        region = self._pending_region
        if region is None or self.source_seconds <= 0:
            return
        self._pending_region = None
        start, end = region
        self.set_region(float(start or 0.0), float(end))

    # -- can it go? -----------------------------------------------------------------------------------------
    def problem(self) -> str:
        """A translated sentence saying why this task cannot run yet ("" when it can)."""
        from mixgrv_app.core.errors import RequestError
        from mixgrv_app.ui.messages import text_for_error

        task = self.task()
        if not self.available():
            return text_for_error(requests.task_unavailable_error(task, self.variant))
        shown = set(self.shown_fields())
        if "source_audio" not in shown:
            return ""
        if task == "cover" and self.codes_edit.toPlainText().strip():
            return ""
        if not self.source_path:
            return self.tr("Choose the source audio first: drop a song, choose a file, or send a take here.")
        if self.source_error:
            return self.source_error
        if not Path(self.source_path).is_file():
            return self.tr("The source file is gone. Drop it again or choose another one.")
        if self.is_reading():
            return self.tr("Reading the source…")
        if "tracks" in shown and not self.checked_tracks():
            return self.tr("Tick at least one track to add.")
        if task in requests.REGION_TASKS:
            try:
                requests.check_region(task, *self.region(), self.source_seconds)
            except RequestError as exc:
                return text_for_error(exc)
        return ""

    def showEvent(self, event) -> None:  # noqa: ANN001
        super().showEvent(event)
        self._restore_region()
