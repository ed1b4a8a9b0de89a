"""Preprocessing and training controls of the Training tab.

``PreprocessPanel`` turns the dataset into training tensors (models status, start / cancel,
per-track state and overall progress with ETA). ``TrainingPanel`` picks a preset or the
advanced hyper-parameters (each with a Korean tooltip saying what it does), starts / stops /
resumes a run, and shows it learning: the live loss chart, epoch and step, elapsed time and
ETA, samples per second, memory, the log and the checkpoints with "listen" and "use in the
Generation tab". Both drive core jobs through workers; no model code runs here. The settings,
their ranges and choices are core's (``core.training.TRAINING_FIELDS``); this module only names
and explains them.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QPlainTextEdit, QProgressBar, QPushButton, QSpinBox, QToolButton, QVBoxLayout, QWidget,
)

from mixgrv_app.core.training import TRAINING_FIELDS
from mixgrv_app.ui.dataset_panel import format_seconds
from mixgrv_app.ui.request_form import WholeNumberSpin

if TYPE_CHECKING:
    from mixgrv_app.ui.loss_chart import LossChart
from mixgrv_app.ui.widgets import Retranslating


# ------------------------------------------------------------------------------------------- preprocess
class PreprocessPanel(Retranslating, QWidget):
    """Start/cancel preprocessing; per-track state and overall progress."""

    start_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.models_status = QLabel(objectName="secondaryText")
        self.models_status.setWordWrap(True)
        row = QHBoxLayout()
        self.start_button = QPushButton(objectName="preprocessButton")
        self.start_button.setProperty("primary", True)
        self.cancel_button = QPushButton(objectName="cancelPreprocessButton")
        self.max_seconds = QSpinBox(objectName="maxSecondsSpin")
        self.max_seconds.setRange(10, 600)
        self.max_seconds.setValue(240)
        self.max_seconds.setSuffix(" s")
        self.max_label = QLabel()
        row.addWidget(self.start_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        row.addWidget(self.max_label)
        row.addWidget(self.max_seconds)
        self.progress = QProgressBar(objectName="preprocessProgress")
        self.progress_label = QLabel(objectName="secondaryText")
        self.track_list = QListWidget(objectName="preprocessTrackList")
        self.track_list.setAlternatingRowColors(True)
        layout.addWidget(self.models_status)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.track_list, 1)
        self.start_button.clicked.connect(self.start_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.set_running(False)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.start_button.setText(self.tr("Prepare for training"))
        self.start_button.setToolTip(self.tr("Turns every song into the tensors training reads (audio latents and text conditions). Songs already prepared are skipped."))
        self.cancel_button.setText(self.tr("Cancel"))
        self.max_label.setText(self.tr("Use at most"))
        self.max_seconds.setToolTip(self.tr("Longer songs are cut to this length. Shorter clips train faster and need less memory."))

    def set_running(self, on: bool) -> None:
        self.start_button.setEnabled(not on)
        self.cancel_button.setVisible(on)
        self.progress.setVisible(on or self.progress.value() > 0)
        self.max_seconds.setEnabled(not on)

    def set_models_status(self, text: str, ok: bool) -> None:
        self.models_status.setText(text)
        self.models_status.setProperty("warning", not ok)

    def set_tracks(self, rows: list[tuple[str, str, str]]) -> None:
        """rows: (track id, file name, state text)"""
        self.track_list.clear()
        for track_id, name, state in rows:
            item = QListWidgetItem(f"{name} — {state}")
            item.setData(Qt.ItemDataRole.UserRole, track_id)
            self.track_list.addItem(item)

    def set_track_state(self, track_id: str, name: str, state: str, tooltip: str = "") -> None:
        for i in range(self.track_list.count()):
            item = self.track_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == track_id:
                item.setText(f"{name} — {state}")
                item.setToolTip(tooltip)
                return
        item = QListWidgetItem(f"{name} — {state}")
        item.setData(Qt.ItemDataRole.UserRole, track_id)
        item.setToolTip(tooltip)
        self.track_list.addItem(item)


# ------------------------------------------------------------------------------------------- training
class TrainingPanel(Retranslating, QWidget):
    """Presets, advanced settings, start/stop/resume and the live view of a run."""

    start_requested = Signal(dict)       # settings
    stop_requested = Signal()
    resume_requested = Signal(str)       # run name
    listen_requested = Signal(str)       # path of a sample audio file
    use_adapter_requested = Signal(str)  # path of an adapter folder

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._labels: dict[str, QLabel] = {}
        self._editors: dict[str, QWidget] = {}
        self._presets: dict[str, dict[str, Any]] = {}
        self._started_at: float | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)

        top = QFormLayout()
        self.preset = QComboBox(objectName="presetCombo")
        self.run_name = QLineEdit(objectName="runNameEdit")
        self.preset_label, self.run_name_label = QLabel(), QLabel()
        top.addRow(self.preset_label, self.preset)
        top.addRow(self.run_name_label, self.run_name)
        layout.addLayout(top)

        self.advanced_toggle = QToolButton(objectName="advancedToggle")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced = QGroupBox(objectName="advancedBox")
        grid = QGridLayout(self.advanced)
        for i, (key, f) in enumerate(TRAINING_FIELDS.items()):
            label = QLabel()
            if f.kind == "int":
                # QSpinBox stops at 2**31 - 1; seeds go further
                editor: QWidget = QSpinBox() if f.maximum < 2**31 else WholeNumberSpin()
                editor.setRange(int(f.minimum), int(f.maximum))
                editor.setSingleStep(int(f.step))
            elif f.kind == "float":
                editor = QDoubleSpinBox()
                editor.setDecimals(f.decimals)
                editor.setRange(f.minimum, f.maximum)
                editor.setSingleStep(f.step)
            else:
                editor = QComboBox()
                for c in f.choices:
                    editor.addItem(c, c)
            editor.setObjectName(f"{key}Edit")
            self._labels[key], self._editors[key] = label, editor
            grid.addWidget(label, i // 2, (i % 2) * 2)
            grid.addWidget(editor, i // 2, (i % 2) * 2 + 1)
        self.advanced.setVisible(False)
        self.advanced_toggle.toggled.connect(self._toggle_advanced)
        layout.addWidget(self.advanced_toggle)
        layout.addWidget(self.advanced)

        buttons = QHBoxLayout()
        self.train_button = QPushButton(objectName="trainButton")
        self.train_button.setProperty("primary", True)
        self.stop_button = QPushButton(objectName="stopTrainingButton")
        self.resume_combo = QComboBox(objectName="resumeCombo")
        self.resume_button = QPushButton(objectName="resumeButton")
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        buttons.addWidget(self.resume_combo)
        buttons.addWidget(self.resume_button)
        layout.addLayout(buttons)

        self.message = QLabel(objectName="trainingMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

        stats = QGridLayout()
        self.stat_values: dict[str, QLabel] = {}
        self.stat_labels: dict[str, QLabel] = {}
        for i, key in enumerate(("epoch", "step", "loss", "elapsed", "eta", "speed", "memory")):
            name, value = QLabel(objectName="secondaryText"), QLabel("–", objectName="statValue")
            value.setObjectName(f"stat_{key}")
            self.stat_labels[key], self.stat_values[key] = name, value
            stats.addWidget(name, 0, i)
            stats.addWidget(value, 1, i)
        layout.addLayout(stats)
        self.progress = QProgressBar(objectName="trainingProgress")
        layout.addWidget(self.progress)

        # the chart (QtCharts, a large module) is made when the panel is first shown or used
        self._chart: LossChart | None = None
        self._chart_slot = QVBoxLayout()
        self._chart_slot.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._chart_slot, 2)

        lower = QHBoxLayout()
        self.log = QPlainTextEdit(objectName="trainingLog")
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        ckpt_box = QVBoxLayout()
        self.checkpoints_title = QLabel(objectName="sectionTitle")
        self.checkpoints = QListWidget(objectName="checkpointList")
        ckpt_buttons = QHBoxLayout()
        self.listen_button = QPushButton(objectName="listenSampleButton")
        self.use_button = QPushButton(objectName="useAdapterButton")
        ckpt_buttons.addWidget(self.listen_button)
        ckpt_buttons.addWidget(self.use_button)
        ckpt_box.addWidget(self.checkpoints_title)
        ckpt_box.addWidget(self.checkpoints, 1)
        ckpt_box.addLayout(ckpt_buttons)
        lower.addWidget(self.log, 3)
        lower.addLayout(ckpt_box, 2)
        layout.addLayout(lower, 1)

        self.train_button.clicked.connect(lambda: self.start_requested.emit(self.settings()))
        self.stop_button.clicked.connect(self.stop_requested)
        self.resume_button.clicked.connect(self._resume_clicked)
        self.preset.currentIndexChanged.connect(self._apply_preset)
        self.listen_button.clicked.connect(self._listen_clicked)
        self.use_button.clicked.connect(self._use_clicked)
        self.checkpoints.currentItemChanged.connect(lambda *_: self._update_checkpoint_buttons())
        self.set_running(False)
        self.retranslate_ui()

    @property
    def chart(self) -> LossChart:
        if self._chart is None:
            from mixgrv_app.ui.loss_chart import LossChart

            self._chart = LossChart(self)
            self._chart_slot.addWidget(self._chart)
        return self._chart

    def showEvent(self, event) -> None:  # noqa: ANN001
        self.chart  # noqa: B018 - built on first show
        super().showEvent(event)

    # -- texts -------------------------------------------------------------------------------
    def retranslate_ui(self) -> None:
        self.preset_label.setText(self.tr("Preset"))
        self.preset.setToolTip(self.tr("Good starting settings for the number of songs you have. You can fine-tune them under Advanced."))
        self.run_name_label.setText(self.tr("Run name"))
        self.run_name.setPlaceholderText(self.tr("e.g. my-style-v1"))
        self.advanced_toggle.setText(self.tr("Advanced settings"))
        self.advanced.setTitle("")
        texts = {
            "epochs": (self.tr("Epochs"), self.tr("How many times training goes through all your songs. More epochs learn more but can copy the songs too closely.")),
            "rank": (self.tr("Rank"), self.tr("Size of the adapter. Higher ranks learn more detail but need more memory and can overfit small datasets.")),
            "alpha": (self.tr("Alpha"), self.tr("Strength of the adapter relative to its rank. Usually twice the rank.")),
            "dropout": (self.tr("Dropout"), self.tr("Randomly switches off parts of the adapter while learning, so it generalises instead of memorising.")),
            "learning_rate": (self.tr("Learning rate"), self.tr("How big each learning step is. Too high makes the loss jump around; too low learns slowly.")),
            "batch_size": (self.tr("Batch size"), self.tr("Songs per step. Larger batches need more memory.")),
            "grad_accum": (self.tr("Accumulation"), self.tr("Adds up several steps before updating: a larger effective batch without more memory.")),
            "save_every": (self.tr("Save every (epochs)"), self.tr("How often a checkpoint (and an optional sample) is saved. Stop also saves one.")),
            "warmup_steps": (self.tr("Warm-up steps"), self.tr("Steps at the start during which the learning rate rises gently.")),
            "weight_decay": (self.tr("Weight decay"), self.tr("Keeps adapter weights small, which helps against overfitting.")),
            "max_grad_norm": (self.tr("Gradient clip"), self.tr("Limits how far one step may move the adapter; protects against sudden spikes.")),
            "seed": (self.tr("Seed"), self.tr("Makes a run repeatable: the same seed and data give the same result.")),
            "targets": (self.tr("Attention layers"), self.tr("Which layers the adapter changes: both (style and words), self (sound) or cross (text link).")),
            "timesteps": (self.tr("Noise levels"), self.tr("logit-normal learns at all noise levels (recommended); turbo8 uses the 8 levels of the turbo model.")),
        }
        for key, (label, tip) in texts.items():
            self._labels[key].setText(label)
            self._labels[key].setToolTip(tip)
            self._editors[key].setToolTip(tip)
        self.train_button.setText(self.tr("Start training"))
        self.stop_button.setText(self.tr("Stop and save"))
        self.stop_button.setToolTip(self.tr("Stops after the current step and saves a checkpoint you can resume from."))
        self.resume_button.setText(self.tr("Resume"))
        self.resume_combo.setToolTip(self.tr("Runs that can continue where they stopped"))
        for key, text in (("epoch", self.tr("Epoch")), ("step", self.tr("Step")), ("loss", self.tr("Loss")),
                          ("elapsed", self.tr("Elapsed")), ("eta", self.tr("Left")), ("speed", self.tr("Songs/s")),
                          ("memory", self.tr("Memory"))):
            self.stat_labels[key].setText(text)
        self.checkpoints_title.setText(self.tr("Checkpoints"))
        self.listen_button.setText(self.tr("Listen to sample"))
        self.use_button.setText(self.tr("Use in Generation"))
        for i in range(self.preset.count()):
            self.preset.setItemText(i, self._preset_title(self.preset.itemData(i)))

    def _preset_title(self, key: str) -> str:
        return {
            "few": self.tr("A few songs (1–5)"),
            "some": self.tr("Some songs (6–20)"),
            "many": self.tr("Many songs (20+)"),
        }.get(key, key)

    # -- presets and settings ----------------------------------------------------------------
    def set_presets(self, presets: dict[str, dict[str, Any]], selected: str | None = None) -> None:
        self._presets = dict(presets)
        self.preset.blockSignals(True)
        self.preset.clear()
        for key in presets:
            self.preset.addItem(self._preset_title(key), key)
        self.preset.blockSignals(False)
        if presets:
            index = self.preset.findData(selected) if selected in presets else 0
            self.preset.setCurrentIndex(index)
            self._apply_preset(index)

    def _apply_preset(self, index: int) -> None:
        values = self._presets.get(self.preset.itemData(index) or "", {})
        self.set_settings(values)

    def set_settings(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            editor = self._editors.get(key)
            if isinstance(editor, QSpinBox):
                editor.setValue(int(value))
            elif isinstance(editor, QDoubleSpinBox):
                editor.setValue(float(value))
            elif isinstance(editor, QComboBox):
                editor.setCurrentIndex(max(0, editor.findData(str(value))))

    def settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, editor in self._editors.items():
            if isinstance(editor, QSpinBox):
                out[key] = editor.value()
            elif isinstance(editor, QDoubleSpinBox):
                out[key] = editor.value()
            elif isinstance(editor, QComboBox):
                out[key] = editor.currentData()
        out["preset"] = self.preset.currentData()
        out["name"] = self.run_name.text().strip()
        return out

    def _toggle_advanced(self, on: bool) -> None:
        self.advanced.setVisible(on)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    # -- run state ---------------------------------------------------------------------------
    def set_running(self, on: bool) -> None:
        self.train_button.setEnabled(not on)
        self.stop_button.setEnabled(on)
        self.resume_button.setEnabled(not on and self.resume_combo.count() > 0)
        self.resume_combo.setEnabled(not on)
        self.preset.setEnabled(not on)
        self.advanced.setEnabled(not on)
        self.run_name.setEnabled(not on)
        if on:
            self._started_at = time.monotonic()

    def set_resumable(self, runs: list[tuple[str, str]]) -> None:
        """runs: (run name, description)"""
        self.resume_combo.clear()
        for name, desc in runs:
            self.resume_combo.addItem(f"{name} — {desc}" if desc else name, name)
        self.resume_button.setEnabled(self.resume_combo.count() > 0 and self.train_button.isEnabled())
        self.resume_combo.setVisible(self.resume_combo.count() > 0)
        self.resume_button.setVisible(self.resume_combo.count() > 0)

    def _resume_clicked(self) -> None:
        name = self.resume_combo.currentData()
        if name:
            self.resume_requested.emit(name)

    def show_message(self, text: str, level: str = "info") -> None:
        self.message.setText(text)
        self.message.setProperty("level", level)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def append_log(self, line: str) -> None:
        self.log.appendPlainText(line)

    def show_progress(self, done: float, total: float, eta_s: float | None) -> None:
        if total:
            self.progress.setRange(0, int(total))
            self.progress.setValue(int(done))
        self.stat_values["eta"].setText(format_seconds(eta_s) if eta_s is not None else "–")
        if self._started_at is not None:
            self.stat_values["elapsed"].setText(format_seconds(time.monotonic() - self._started_at))

    def show_metric(self, step: int, values: dict[str, float]) -> None:
        if "loss" in values:
            self.chart.add_point(step, values["loss"])
            self.stat_values["loss"].setText(f"{values['loss']:.4f}")
        self.stat_values["step"].setText(str(step))
        if "epoch" in values:
            self.stat_values["epoch"].setText(str(int(values["epoch"])))
        if "samples_per_s" in values:
            self.stat_values["speed"].setText(f"{values['samples_per_s']:.2f}")
        if "memory_gb" in values:
            self.stat_values["memory"].setText(f"{values['memory_gb']:.1f} GB")

    # -- checkpoints -------------------------------------------------------------------------
    def add_checkpoint(self, title: str, adapter_dir: str, sample: str | None = None) -> None:
        for i in range(self.checkpoints.count()):
            if self.checkpoints.item(i).data(Qt.ItemDataRole.UserRole) == adapter_dir:
                return
        item = QListWidgetItem(("♪ " if sample else "") + title)
        item.setData(Qt.ItemDataRole.UserRole, adapter_dir)
        item.setData(Qt.ItemDataRole.UserRole + 1, sample or "")
        item.setToolTip(adapter_dir)
        self.checkpoints.addItem(item)
        self.checkpoints.setCurrentItem(item)
        self._update_checkpoint_buttons()

    def clear_checkpoints(self) -> None:
        self.checkpoints.clear()
        self._update_checkpoint_buttons()

    def checkpoint_titles(self) -> list[str]:
        return [self.checkpoints.item(i).text() for i in range(self.checkpoints.count())]

    def _update_checkpoint_buttons(self) -> None:
        item = self.checkpoints.currentItem()
        self.use_button.setEnabled(item is not None)
        self.listen_button.setEnabled(bool(item and item.data(Qt.ItemDataRole.UserRole + 1)))

    def _listen_clicked(self) -> None:
        item = self.checkpoints.currentItem()
        if item and item.data(Qt.ItemDataRole.UserRole + 1):
            self.listen_requested.emit(item.data(Qt.ItemDataRole.UserRole + 1))

    def _use_clicked(self) -> None:
        item = self.checkpoints.currentItem()
        if item:
            self.use_adapter_requested.emit(item.data(Qt.ItemDataRole.UserRole))
