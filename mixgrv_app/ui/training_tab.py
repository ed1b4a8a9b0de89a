"""The Training tab: songs in, a LoRA adapter out.

Left: the dataset panel (chooser, Finder drop zone, track table). Right, in three steps: the
selected song's labels, preprocessing, and training with its live loss chart. The tab owns the
job runners; they are listed in ``workers.base.job_registry()``, so closing the window while one
runs goes through the main window's one quit guard (a training run saves a checkpoint on stop).
"Use in Generation" on a checkpoint is the app-wide ``adapter_chosen`` signal; the main window
opens the Generation tab with it.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMessageBox, QSplitter, QTabWidget, QVBoxLayout, QWidget

from mixgrv_app.core.jobs import Artifact, Log, Metric, Progress
from mixgrv_app.signals import app_signals
from mixgrv_app.ui.autolabel_bar import AutoLabelBar
from mixgrv_app.ui.dataset_panel import DatasetPanel, format_seconds
from mixgrv_app.ui.messages import text_for, text_for_error
from mixgrv_app.ui.track_editor import TrackEditor
from mixgrv_app.ui.training_controls import PreprocessPanel, TrainingPanel
from mixgrv_app.ui.widgets import Retranslating
from mixgrv_app.workers import preprocess as preprocess_worker
from mixgrv_app.workers import training as training_worker
from mixgrv_app.workers.base import JobRunner

log = logging.getLogger(__name__)

LABELS, PREPROCESS, TRAIN = range(3)
# ---- issue 16: the DiT to train on ("학습할 모델"), remembered between launches ----
from mixgrv_app import settings as opts  # noqa: E402

TRAIN_VARIANT = opts.TextOption("training/variant", "")
# ---- end issue 16 ----


class TrainingTab(Retranslating, QWidget):
    """Dataset panel + labels / preprocessing / training steps."""

    def __init__(self, parent: QWidget | None = None, models_root: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingTab")
        self._models_root = models_root
        self._preprocess_runner: JobRunner | None = None
        self._training: training_worker.TrainingSession | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        splitter = QSplitter(Qt.Orientation.Horizontal, objectName="trainingSplitter")
        self.dataset_panel = DatasetPanel()
        self.steps = QTabWidget(objectName="trainingSteps")
        self.steps.setDocumentMode(True)
        self.track_editor = TrackEditor()
        self.preprocess_panel = PreprocessPanel()
        self.training_panel = TrainingPanel()
        # ---- issue 15: 자동 라벨 above the editor in the Labels step ----
        self.autolabel_bar = AutoLabelBar(lambda: (self.dataset_panel.dataset.name if self.dataset_panel.dataset else None,
                                                   self.models_root()))
        labels_page = QWidget()
        labels_layout = QVBoxLayout(labels_page)
        labels_layout.setContentsMargins(0, 8, 0, 0)
        labels_layout.addWidget(self.autolabel_bar)
        from PySide6.QtWidgets import QFrame, QScrollArea

        editor_scroll = QScrollArea(objectName="trackEditorScroll")  # the editor keeps its height; the page scrolls
        editor_scroll.setWidgetResizable(True)
        editor_scroll.setFrameShape(QFrame.Shape.NoFrame)
        editor_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        editor_scroll.setWidget(self.track_editor)
        labels_layout.addWidget(editor_scroll, 1)
        self.steps.addTab(labels_page, "")
        self.autolabel_bar.track_labelled.connect(self._on_track_autolabelled)
        self.autolabel_bar.finished.connect(lambda _r: self._on_track_autolabelled(""))
        # ---- end issue 15 ----
        self.steps.addTab(self.preprocess_panel, "")
        self.steps.addTab(self.training_panel, "")
        splitter.addWidget(self.dataset_panel)
        # ---- issue 16: "학습할 모델" above the steps (it decides the tensors and the run) ----
        right = QWidget(objectName="trainingRight")
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        variant_row = QHBoxLayout()
        self.variant_title = QLabel(objectName="fieldTitle")
        self.variant_combo = QComboBox(objectName="trainVariantCombo")
        variant_row.addWidget(self.variant_title)
        variant_row.addWidget(self.variant_combo, 1)
        self.variant_hint = QLabel(objectName="trainVariantHint", wordWrap=True)
        right_layout.addLayout(variant_row)
        right_layout.addWidget(self.variant_hint)
        right_layout.addWidget(self.steps, 1)
        splitter.addWidget(right)
        # ---- end issue 16 ----
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 6)
        layout.addWidget(splitter)

        self.dataset_panel.dataset_changed.connect(self._on_dataset_changed)
        self.dataset_panel.track_selected.connect(self._on_track_selected)
        self.dataset_panel.import_finished.connect(self._on_import_finished)
        self.track_editor.track_saved.connect(self.dataset_panel.track_edited)
        self.track_editor.dataset_saved.connect(lambda _ds: self.dataset_panel.reload_current())
        self.preprocess_panel.start_requested.connect(self.start_preprocess)
        self.preprocess_panel.cancel_requested.connect(self.cancel_preprocess)
        self.training_panel.start_requested.connect(self.start_training)
        self.training_panel.stop_requested.connect(self.stop_training)
        self.training_panel.resume_requested.connect(self.resume_training)
        self.training_panel.use_adapter_requested.connect(self._use_adapter)
        self.training_panel.listen_requested.connect(self._listen)

        self.training_panel.set_presets(training_worker.presets())
        self._fill_variants()  # issue 16
        self.variant_combo.currentIndexChanged.connect(self._on_train_variant_changed)
        self.retranslate_ui()
        app_signals().models_changed.connect(self._on_models_changed)
        self._on_dataset_changed(self.dataset_panel.dataset)
        self.refresh_resumable(offer_crashed=True)

    # -- texts -------------------------------------------------------------------------------
    def retranslate_ui(self) -> None:
        self.steps.setTabText(LABELS, self.tr("1  Labels"))
        self.steps.setTabText(PREPROCESS, self.tr("2  Prepare"))
        self.steps.setTabText(TRAIN, self.tr("3  Train"))
        self.variant_title.setText(self.tr("Train on"))  # issue 16
        self._render_variants()
        self._update_models_status()

    # -- entry point -------------------------------------------------------------------------
    def import_audio_paths(self, paths: list[str]) -> None:
        """Files and folders from Finder, the Dock, the menu or a second instance."""
        self.dataset_panel.import_paths(list(paths))

    # -- models ------------------------------------------------------------------------------
    def models_root(self) -> str:
        if self._models_root:
            return self._models_root
        from mixgrv_app.workers.models import models_root

        return models_root()

    def set_models_root(self, root: str) -> None:
        self._models_root = root
        self._update_models_status()

    # ---- issue 16: "학습할 모델" (turbo by default; base and sft when installed) ----
    def _fill_variants(self) -> None:
        """The installed DiTs (core.models); the remembered choice, else core's preferred one."""
        from mixgrv_app.core import models

        root = self.models_root()
        installed = models.installed_dits(root)
        wanted = opts.settings().get(TRAIN_VARIANT) or models.preferred_dit(root) or ""
        self.variant_combo.blockSignals(True)
        self.variant_combo.clear()
        for name in installed:
            self.variant_combo.addItem(name, name)
        index = self.variant_combo.findData(wanted)
        if index < 0:
            index = self.variant_combo.findData(models.preferred_dit(root))
        self.variant_combo.setCurrentIndex(max(0, index))
        self.variant_combo.blockSignals(False)
        self.variant_combo.setEnabled(bool(installed))
        self._render_variants()

    def train_variant(self) -> str | None:
        """The DiT the tensors and the run are made for (None: no model installed)."""
        return self.variant_combo.currentData()

    def _variant_text(self, name: str) -> tuple[str, str]:
        """(the chooser's item, its one-line explanation)."""
        from mixgrv_app.core import requests

        family = requests.variant_family(name)
        title = name.removeprefix("acestep-v15-")
        if family == "turbo":
            return (self.tr("{name} (default)").format(name=title),
                    self.tr("Turbo: the fast 8-step model most people generate with; train here to use the LoRA with it."))
        if family == "base":
            return (title, self.tr("Base: the undistilled model; its LoRAs carry over best to turbo and SFT, and it runs the instrument tasks."))
        if family == "sft":
            return (title, self.tr("SFT: the fine-tuned model that follows detailed captions with guidance; train here to use the LoRA with it."))
        return title, ""

    def _render_variants(self) -> None:
        for i in range(self.variant_combo.count()):
            self.variant_combo.setItemText(i, self._variant_text(self.variant_combo.itemData(i))[0])
        current = self.train_variant()
        hint = self._variant_text(current)[1] if current else ""
        if current:
            hint += " " + self.tr("Songs prepared for another model are prepared again for this one (their VAE latents are kept).")
        self.variant_hint.setText(hint.strip())

    @Slot()
    def _on_train_variant_changed(self) -> None:
        variant = self.train_variant()
        if variant:
            opts.settings().set(TRAIN_VARIANT, variant)
        self._render_variants()
        self._update_models_status()
        self._show_preprocess_state()
    # ---- end issue 16 ----

    @Slot(str)
    def _on_models_changed(self, _root: str) -> None:
        self._fill_variants()  # issue 16
        self._update_models_status()
        self._show_preprocess_state()

    def _update_models_status(self) -> None:
        ok, text = preprocess_worker.describe_models(self.models_root(), self.train_variant())
        if ok:
            self.preprocess_panel.set_models_status(self.tr("Models: %1").replace("%1", text), True)
        else:
            self.preprocess_panel.set_models_status(
                self.tr("No ACE-Step models found in %1. Download them or choose your folder under Settings > Models…").replace("%1", self.models_root()),
                False,
            )

    # -- dataset -----------------------------------------------------------------------------
    @Slot(object)
    def _on_dataset_changed(self, dataset: Any) -> None:
        self.autolabel_bar.refresh_availability()  # issue 15
        self.track_editor.set_track(dataset, None)
        self.training_panel.set_presets(training_worker.presets(), training_worker.preset_for(dataset))
        self._show_preprocess_state()

    @Slot(object)
    # ---- issue 15: a song the auto-label job just saved (""; the job ended): table row and editor ----
    def _on_track_autolabelled(self, track_id: str) -> None:
        fresh = self.dataset_panel.refresh_from_disk(track_id or None)
        shown = self.track_editor.track
        if fresh is not None and shown is not None and (not track_id or shown.id == track_id):
            self.track_editor.reload_track(fresh.track(shown.id) if any(t.id == shown.id for t in fresh.tracks) else None)
    # ---- end issue 15 ----

    def _on_track_selected(self, track: Any) -> None:
        self.track_editor.set_track(self.dataset_panel.dataset, track)

    @Slot(object)
    def _on_import_finished(self, result: Any) -> None:
        if result.imported:
            self.steps.setCurrentIndex(LABELS)
        self._show_preprocess_state()

    def _show_preprocess_state(self) -> None:
        dataset = self.dataset_panel.dataset
        if dataset is None:
            self.preprocess_panel.set_tracks([])
            return
        states = preprocess_worker.track_states(dataset.name, self.models_root(), variant=self.train_variant())
        rows = [(t.id, t.filename, self._state_text(states.get(t.id, "pending"))) for t in dataset.tracks]
        self.preprocess_panel.set_tracks(rows)

    def _state_text(self, state: str) -> str:
        return {
            "done": self.tr("ready"),
            "pending": self.tr("to prepare"),
            "running": self.tr("preparing…"),
            "failed": self.tr("failed"),
        }.get(state, state)

    # -- preprocessing -----------------------------------------------------------------------
    def start_preprocess(self) -> None:
        dataset = self.dataset_panel.dataset
        if dataset is None or not dataset.tracks:
            self.preprocess_panel.progress_label.setText(self.tr("Add songs to the dataset first."))
            return
        self.track_editor.save_now()
        job = preprocess_worker.preprocess_job(dataset.name, self.models_root(), self.preprocess_panel.max_seconds.value(),
                                               self.train_variant())
        runner = JobRunner(job, self, kind="preprocess")  # cancel keeps the songs already prepared
        runner.progress.connect(self._on_preprocess_progress)
        runner.log.connect(self._on_preprocess_log)
        runner.artifact.connect(self._on_preprocess_artifact)
        runner.succeeded.connect(self._on_preprocess_done)
        runner.failed.connect(self._on_preprocess_failed)
        runner.cancelled.connect(lambda: self.preprocess_panel.progress_label.setText(self.tr("Cancelled. Finished songs are kept; start again to continue.")))
        runner.finished.connect(lambda: self.preprocess_panel.set_running(False))
        self._preprocess_runner = runner
        self.preprocess_panel.set_running(True)
        self.preprocess_panel.progress.setValue(0)
        self.preprocess_panel.progress_label.setText(self.tr("Loading models…"))
        runner.start()

    def cancel_preprocess(self) -> None:
        if self._preprocess_runner is not None:
            self._preprocess_runner.cancel()

    @Slot(object)
    def _on_preprocess_progress(self, p: Progress) -> None:
        panel = self.preprocess_panel
        if p.stage == "preprocess" and p.total:
            panel.progress.setRange(0, 1000)
            panel.progress.setValue(int(1000 * min(1.0, p.done / p.total)))
            eta = self.tr("about %1 left").replace("%1", format_seconds(p.eta_s)) if p.eta_s is not None else ""
            panel.progress_label.setText(f"{p.message} {eta}".strip())
        elif p.stage == "load":
            panel.progress_label.setText(self.tr("Loading models…"))
        elif p.stage == "track" and p.message:
            panel.progress.setToolTip(p.message)

    @Slot(object)
    def _on_preprocess_log(self, event: Log) -> None:
        if event.level in ("warning", "error"):
            line = text_for(event.code, event.params, event.message) if event.code else event.message
            self.preprocess_panel.progress_label.setToolTip(line)

    @Slot(object)
    def _on_preprocess_artifact(self, artifact: Artifact) -> None:
        track_id = artifact.info.get("track")
        dataset = self.dataset_panel.dataset
        if track_id and dataset is not None:
            name = next((t.filename for t in dataset.tracks if t.id == track_id), track_id)
            self.preprocess_panel.set_track_state(track_id, name, self._state_text("done"))

    @Slot(object)
    def _on_preprocess_done(self, result: Any) -> None:
        self._show_preprocess_state()
        for outcome in result.failed:
            self.preprocess_panel.set_track_state(outcome.track_id, outcome.filename, self._state_text("failed"),
                                                  outcome.message)
        summary = preprocess_worker.summarise(result)
        self.preprocess_panel.progress_label.setText(
            self.tr("Done: %1 prepared, %2 already up to date, %3 failed.")
            .replace("%1", str(summary["done"])).replace("%2", str(summary["skipped"])).replace("%3", str(summary["failed"]))
        )
        if summary["failed"] == 0:
            self.steps.setCurrentIndex(TRAIN)

    @Slot(object)
    def _on_preprocess_failed(self, exc: BaseException) -> None:
        self.preprocess_panel.progress_label.setText(text_for_error(exc))
        self._show_preprocess_state()

    # -- training ----------------------------------------------------------------------------
    def refresh_resumable(self, offer_crashed: bool = False) -> None:
        runs = training_worker.resumable_runs()
        self.training_panel.set_resumable([(r["name"], r.get("description", "")) for r in runs])
        crashed = [r for r in runs if r.get("crashed")]
        if offer_crashed and crashed:
            self.training_panel.show_message(
                self.tr("The run “%1” stopped unexpectedly. Choose it under Resume to continue from its last checkpoint.")
                .replace("%1", crashed[0]["name"]), "warning")

    def _new_session(self) -> training_worker.TrainingSession:
        session = training_worker.TrainingSession(self)
        session.progress.connect(self._on_training_progress)
        session.metric.connect(self._on_training_metric)
        session.log.connect(self._on_training_log)
        session.artifact.connect(self._on_training_artifact)
        session.finished.connect(self._on_training_finished)
        return session

    def start_training(self, settings: dict[str, Any]) -> None:
        dataset = self.dataset_panel.dataset
        if dataset is None:
            self.training_panel.show_message(self.tr("Choose or create a dataset first."), "warning")
            return
        self.track_editor.save_now()
        # ---- issue 16: tensors prepared for another model are prepared again first ----
        prepared, chosen = preprocess_worker.prepared_variant(dataset.name), self.train_variant()
        if prepared and chosen and prepared != chosen:
            self.training_panel.show_message(
                self.tr("The songs were prepared for {prepared}; prepare them again for {chosen} (step 2) and then train.")
                .format(prepared=prepared, chosen=chosen), "warning")
            self.steps.setCurrentIndex(PREPROCESS)
            return
        # ---- end issue 16 ----
        self.training_panel.chart.clear()
        self.training_panel.clear_checkpoints()
        self.training_panel.log.clear()
        self._training = self._new_session()
        try:
            self._training.start(dataset.name, self.models_root(), {**settings, "variant": self.train_variant()})  # issue 16
        except Exception as exc:  # noqa: BLE001 - a refused run is a message, not a crash
            self.training_panel.show_message(text_for_error(exc), "error")
            self._training = None
            return
        self.training_panel.set_running(True)
        self.training_panel.show_message(self.tr("Training… you can keep using mixgrv meanwhile."))

    def resume_training(self, run_name: str) -> None:
        self.training_panel.chart.clear()
        self.training_panel.clear_checkpoints()
        self._training = self._new_session()
        try:
            self._training.resume(run_name, self.models_root())
        except Exception as exc:  # noqa: BLE001
            self.training_panel.show_message(text_for_error(exc), "error")
            self._training = None
            return
        for step, loss in training_worker.loss_history(run_name):
            self.training_panel.chart.add_point(step, loss)
        self.training_panel.set_running(True)
        self.training_panel.show_message(self.tr("Resuming “%1”…").replace("%1", run_name))

    def stop_training(self) -> None:
        if self._training is not None and self._training.is_running():
            self.training_panel.show_message(self.tr("Stopping after this step and saving a checkpoint…"))
            self._training.stop()

    @Slot(object)
    def _on_training_progress(self, p: Progress) -> None:
        self.training_panel.show_progress(p.done, p.total, p.eta_s)

    @Slot(object)
    def _on_training_metric(self, m: Metric) -> None:
        self.training_panel.show_metric(m.step, m.values)

    @Slot(object)
    def _on_training_log(self, event: Log) -> None:
        line = text_for(event.code, event.params, event.message) if event.code else event.message
        self.training_panel.append_log(line)
        if event.level == "error":
            self.training_panel.show_message(line, "error")

    @Slot(object)
    def _on_training_artifact(self, a: Artifact) -> None:
        if a.kind in ("checkpoint", "adapter"):
            title = a.info.get("title") or Path(a.path).parent.name
            self.training_panel.add_checkpoint(str(title), a.info.get("adapter_dir", a.path), a.info.get("sample"))

    @Slot(object)
    def _on_training_finished(self, outcome: Any) -> None:
        self.training_panel.set_running(False)
        kind, detail = outcome if isinstance(outcome, tuple) else ("done", outcome)
        if kind == "done":
            self.training_panel.show_message(self.tr("Training finished. Your adapter is ready in the Generation tab."), "success")
        elif kind == "stopped":
            self.training_panel.show_message(self.tr("Stopped. A checkpoint was saved; you can resume this run later."))
        elif kind == "crashed":
            self.training_panel.show_message(
                self.tr("Training stopped unexpectedly: %1").replace("%1", text_for_error(detail) if isinstance(detail, BaseException) else str(detail)),
                "error")
        else:
            self.training_panel.show_message(text_for_error(detail) if isinstance(detail, BaseException) else str(detail), "error")
        self.refresh_resumable()

    def _use_adapter(self, adapter_dir: str) -> None:
        app_signals().adapter_chosen.emit(adapter_dir)  # the main window opens the Generation tab with it

    def _listen(self, sample_path: str) -> None:
        from mixgrv_app.ui.player import Player

        if not hasattr(self, "_player"):
            self._player = Player(self)
        try:
            self._player.load(sample_path)
            self._player.play()
        except Exception as exc:  # noqa: BLE001 - no audio device is a message
            QMessageBox.information(self, self.tr("Listen"), text_for_error(exc))

    # -- closing -----------------------------------------------------------------------------
    def save_edits(self) -> None:
        """Write what the label editor holds (the window is closing)."""
        self.track_editor.save_now()
