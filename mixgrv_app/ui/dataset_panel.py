"""The dataset half of the Training tab: choose a dataset, drop songs in, see what arrived.

Holds the dataset chooser (create / rename / delete / switch), the Finder drop zone, the import
progress with its summary ("8개 가져옴, 2개 건너뜀", reasons on click) and the track table
(name, duration, format, sample rate, loudness/peak, label status, warnings). Importing runs in
a :class:`~mixgrv_app.workers.base.JobRunner`; everything else here is cheap JSON work done in
the GUI thread.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QInputDialog, QLabel,
    QMessageBox, QProgressBar, QPushButton, QTableView, QTextBrowser, QVBoxLayout, QWidget,
)

from mixgrv_app.core import dataset as ds_core
from mixgrv_app.core import dataset_import
from mixgrv_app.core.errors import MixgrvError
from mixgrv_app.core.jobs import Progress
from mixgrv_app.ui.messages import text_for, text_for_error
from mixgrv_app.ui.widgets import DropZone, Retranslating
from mixgrv_app.workers.base import JobRunner
from mixgrv_app.workers.dataset import import_job

ACCEPTED_FORMATS = "WAV · FLAC · MP3 · AIFF · OGG · Opus · M4A/AAC · ALAC · WMA"


def format_seconds(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    m, s = divmod(seconds, 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def reveal_in_file_manager(path: Path) -> None:
    """Show a file in Finder (macOS) or open its folder elsewhere."""
    if sys.platform == "darwin":
        subprocess.Popen(["open", "-R", str(path)])
    elif os.name == "nt":
        subprocess.Popen(["explorer", "/select,", str(path)])
    else:
        subprocess.Popen(["xdg-open", str(path.parent)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class TrackTableModel(QAbstractTableModel):
    """Rows are the dataset's tracks; columns are what a musician checks before training."""

    NAME, DURATION, FORMAT, RATE, LOUDNESS, LABELS, WARNINGS = range(7)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset: ds_core.Dataset | None = None

    def set_dataset(self, dataset: ds_core.Dataset | None) -> None:
        self.beginResetModel()
        self.dataset = dataset
        self.endResetModel()

    def track_at(self, row: int) -> ds_core.Track | None:
        if self.dataset is None or not 0 <= row < len(self.dataset.tracks):
            return None
        return self.dataset.tracks[row]

    def refresh_track(self, track_id: str) -> None:
        if self.dataset is None:
            return
        for row, track in enumerate(self.dataset.tracks):
            if track.id == track_id:
                self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.dataset is None else len(self.dataset.tracks)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 7

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (
            self.tr("Song"), self.tr("Length"), self.tr("Format"), self.tr("Sample rate"),
            self.tr("Loudness / peak"), self.tr("Labels"), self.tr("Checks"),
        )[section]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        track = self.track_at(index.row())
        if track is None:
            return None
        a = track.analysis or {}
        col = index.column()
        warnings = track.warnings
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.NAME:
                return track.filename
            if col == self.DURATION:
                return format_seconds(a.get("duration", track.duration))
            if col == self.FORMAT:
                codec = (a.get("codec") or "").upper()
                container = (a.get("container") or Path(track.filename).suffix.lstrip(".")).upper()
                return f"{container} · {codec}" if codec and codec != container else container
            if col == self.RATE:
                rate = a.get("sample_rate")
                return f"{rate / 1000:g} kHz · {a.get('channels', '?')}ch" if rate else "–"
            if col == self.LOUDNESS:
                lufs, peak = a.get("loudness_lufs"), a.get("peak_dbfs")
                lufs_s = f"{lufs:.1f} LUFS" if isinstance(lufs, (int, float)) else "– LUFS"
                peak_s = f"{peak:.1f} dB" if isinstance(peak, (int, float)) else "– dB"
                return f"{lufs_s} / {peak_s}"
            if col == self.LABELS:
                if track.labeled and track.auto_fields:
                    return self.tr("Labelled (auto)")
                return self.tr("Labelled") if track.labeled else self.tr("Needs caption")
            if col == self.WARNINGS:
                if not warnings:
                    return "✓"
                worst = _worst(warnings)
                return ("⛔ " if worst == "error" else "⚠︎ " if worst == "warning" else "ⓘ ") + str(len(warnings))
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.WARNINGS and warnings:
                return "\n".join("• " + text_for(w.get("code", ""), w.get("params", {}), w.get("code", "")) for w in warnings)
            if col == self.NAME:
                return track.source_path or track.filename
            if col == self.LABELS and not track.labeled:
                return self.tr("Write a caption (or a genre) for this song so the model knows what it hears.")
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == self.LABELS and not track.labeled:
                return QColor(214, 120, 0)
            if col == self.WARNINGS and warnings and _worst(warnings) == "error":
                return QColor(215, 58, 73)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (self.DURATION, self.RATE, self.LOUDNESS, self.WARNINGS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _worst(warnings: list[dict[str, Any]]) -> str:
    order = {"error": 2, "warning": 1, "info": 0}
    return max((w.get("severity", "info") for w in warnings), key=lambda s: order.get(s, 0))


class ImportReportDialog(QDialog):
    """What the last import did: each skipped file with its reason."""

    def __init__(self, result: dataset_import.ImportResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Import report"))
        self.resize(560, 380)
        layout = QVBoxLayout(self)
        view = QTextBrowser(objectName="importReport")
        lines = [f"<h3>{self.tr('%n song(s) imported', '', len(result.imported))}</h3><ul>"]
        lines += [f"<li>{_esc(Path(f.source).name)} — {format_seconds(f.duration)}</li>" for f in result.imported]
        lines.append("</ul>")
        if result.skipped:
            lines.append(f"<h3>{self.tr('%n file(s) skipped', '', len(result.skipped))}</h3><ul>")
            for s in result.skipped:
                lines.append(f"<li><b>{_esc(Path(s.source).name)}</b>: {_esc(text_for(s.code, s.params, s.message))}</li>")
            lines.append("</ul>")
        view.setHtml("".join(lines))
        layout.addWidget(view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)


def _esc(text: str) -> str:
    import html

    return html.escape(text)


class DatasetPanel(Retranslating, QWidget):
    """Dataset chooser, drop zone, import progress and the track table."""

    dataset_changed = Signal(object)   # ds_core.Dataset | None
    track_selected = Signal(object)    # ds_core.Track | None
    import_finished = Signal(object)   # dataset_import.ImportResult

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset: ds_core.Dataset | None = None
        self.last_result: dataset_import.ImportResult | None = None
        self._runner: JobRunner | None = None
        self._pending: list[str] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)

        chooser = QHBoxLayout()
        self.dataset_label = QLabel(objectName="sectionTitle")
        self.combo = QComboBox(objectName="datasetCombo")
        self.combo.setMinimumWidth(200)
        self.new_button = QPushButton(objectName="newDatasetButton")
        self.rename_button = QPushButton(objectName="renameDatasetButton")
        self.delete_button = QPushButton(objectName="deleteDatasetButton")
        chooser.addWidget(self.dataset_label)
        chooser.addWidget(self.combo, 1)
        for b in (self.new_button, self.rename_button, self.delete_button):
            chooser.addWidget(b)
        layout.addLayout(chooser)

        self.drop_zone = DropZone("", "")
        self.drop_zone.setObjectName("datasetDropZone")
        self.drop_zone.setMinimumHeight(110)
        self.drop_zone.paths_dropped.connect(self.import_paths)
        layout.addWidget(self.drop_zone)

        progress_row = QHBoxLayout()
        self.progress = QProgressBar(objectName="importProgress")
        self.progress.setTextVisible(True)
        self.progress_label = QLabel(objectName="secondaryText")
        self.cancel_import_button = QPushButton(objectName="cancelImportButton")
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.progress_label)
        progress_row.addWidget(self.cancel_import_button)
        layout.addLayout(progress_row)

        self.summary = QPushButton(objectName="importSummary")
        self.summary.setFlat(True)
        self.summary.setCursor(Qt.CursorShape.PointingHandCursor)
        self.summary.clicked.connect(self.show_import_report)
        layout.addWidget(self.summary, 0, Qt.AlignmentFlag.AlignLeft)

        self.model = TrackTableModel(self)
        self.table = QTableView(objectName="trackTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(TrackTableModel.NAME, QHeaderView.ResizeMode.Stretch)
        for col in range(1, 7):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        layout.addWidget(self.table, 1)

        actions = QHBoxLayout()
        self.tracks_label = QLabel(objectName="secondaryText")
        self.remove_button = QPushButton(objectName="removeTrackButton")
        self.reveal_button = QPushButton(objectName="revealTrackButton")
        actions.addWidget(self.tracks_label, 1)
        actions.addWidget(self.reveal_button)
        actions.addWidget(self.remove_button)
        layout.addLayout(actions)

        self.new_button.clicked.connect(self.create_dataset_interactive)
        self.rename_button.clicked.connect(self.rename_dataset_interactive)
        self.delete_button.clicked.connect(self.delete_dataset_interactive)
        self.remove_button.clicked.connect(self.remove_selected_tracks)
        self.reveal_button.clicked.connect(self.reveal_selected)
        self.cancel_import_button.clicked.connect(self.cancel_import)
        self.combo.currentIndexChanged.connect(self._on_combo)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table, activated=self.remove_selected_tracks)
        QShortcut(QKeySequence(Qt.Key.Key_Backspace | Qt.KeyboardModifier.ControlModifier), self.table,
                  activated=self.remove_selected_tracks)

        self._set_importing(False)
        self.retranslate_ui()
        self.reload_datasets()

    # -- texts -------------------------------------------------------------------------------
    def retranslate_ui(self) -> None:
        self.dataset_label.setText(self.tr("Dataset"))
        self.new_button.setText(self.tr("New…"))
        self.rename_button.setText(self.tr("Rename…"))
        self.delete_button.setText(self.tr("Delete…"))
        self.drop_zone.set_texts(
            self.tr("Drop songs or folders from Finder"),
            self.tr("Accepted: %1. Lyrics from <song>.txt, captions from <song>.caption.txt or a CSV (file,bpm,key,caption).").replace("%1", ACCEPTED_FORMATS),
        )
        self.cancel_import_button.setText(self.tr("Cancel"))
        self.remove_button.setText(self.tr("Remove from dataset"))
        self.reveal_button.setText(self.tr("Show in Finder") if sys.platform == "darwin" else self.tr("Show file"))
        self.combo.setToolTip(self.tr("Choose the dataset to work on"))
        self._update_summary()
        self._update_track_count()

    # -- datasets ----------------------------------------------------------------------------
    def reload_datasets(self, select: str | None = None) -> None:
        names = ds_core.list_datasets()
        current = select or (self.dataset.name if self.dataset else None)
        self.combo.blockSignals(True)
        self.combo.clear()
        for name in names:
            self.combo.addItem(name, name)
        self.combo.blockSignals(False)
        if not names:
            self.set_dataset(None)
            return
        index = names.index(current) if current in names else 0
        self.combo.setCurrentIndex(index)
        self._on_combo(index)

    @Slot(int)
    def _on_combo(self, index: int) -> None:
        name = self.combo.itemData(index)
        if not name:
            self.set_dataset(None)
            return
        try:
            self.set_dataset(ds_core.open_dataset(name))
        except MixgrvError as exc:
            QMessageBox.warning(self, self.tr("Dataset"), text_for_error(exc))
            self.set_dataset(None)

    def set_dataset(self, dataset: ds_core.Dataset | None) -> None:
        self.dataset = dataset
        self.model.set_dataset(dataset)
        has = dataset is not None
        self.rename_button.setEnabled(has)
        self.delete_button.setEnabled(has)
        self._update_track_count()
        self.dataset_changed.emit(dataset)
        if has and dataset.tracks:
            self.table.selectRow(0)
        else:
            self.track_selected.emit(None)

    def reload_current(self) -> None:
        if self.dataset is not None:
            self.set_dataset(ds_core.open_dataset(self.dataset.name))

    def _unique_default_name(self) -> str:
        existing = set(ds_core.list_datasets())
        base = self.tr("My songs")
        name, n = base, 2
        while name in existing:
            name, n = f"{base} {n}", n + 1
        return name

    def create_dataset(self, name: str) -> ds_core.Dataset:
        dataset = ds_core.create_dataset(name)
        self.reload_datasets(select=dataset.name)
        return dataset

    def create_dataset_interactive(self) -> None:
        name, ok = QInputDialog.getText(self, self.tr("New dataset"), self.tr("Name of the new dataset:"),
                                        text=self._unique_default_name())
        if ok and name.strip():
            try:
                self.create_dataset(name.strip())
            except MixgrvError as exc:
                QMessageBox.warning(self, self.tr("New dataset"), text_for_error(exc))

    def rename_dataset_interactive(self) -> None:
        if self.dataset is None:
            return
        name, ok = QInputDialog.getText(self, self.tr("Rename dataset"), self.tr("New name:"), text=self.dataset.name)
        if ok and name.strip() and name.strip() != self.dataset.name:
            try:
                renamed = ds_core.rename_dataset(self.dataset.name, name.strip())
                self.reload_datasets(select=renamed.name)
            except MixgrvError as exc:
                QMessageBox.warning(self, self.tr("Rename dataset"), text_for_error(exc))

    def delete_dataset_interactive(self) -> None:
        if self.dataset is None:
            return
        answer = QMessageBox.question(
            self, self.tr("Delete dataset"),
            self.tr("Delete the dataset “%1” and its copies of the songs? Your original files are not touched.").replace("%1", self.dataset.name),
        )
        if answer == QMessageBox.StandardButton.Yes:
            try:
                ds_core.delete_dataset(self.dataset.name)
            except MixgrvError as exc:
                QMessageBox.warning(self, self.tr("Delete dataset"), text_for_error(exc))
            self.dataset = None
            self.reload_datasets()

    # -- import ------------------------------------------------------------------------------
    def is_importing(self) -> bool:
        return self._runner is not None and self._runner.is_running()

    @Slot(list)
    def import_paths(self, paths: list[str]) -> None:
        """The one import entry point of the tab: files and folders from Finder, Dock or menu."""
        paths = [p for p in paths if p]
        if not paths:
            return
        if self.is_importing():
            self._pending.extend(paths)  # imported as soon as the running import ends
            return
        if self.dataset is None:
            try:
                self.create_dataset(self._unique_default_name())
            except MixgrvError as exc:
                QMessageBox.warning(self, self.tr("New dataset"), text_for_error(exc))
                return
        assert self.dataset is not None
        runner = JobRunner(import_job(self.dataset.name, paths), self, kind="import")  # cancel keeps the songs already copied
        runner.progress.connect(self._on_import_progress)
        runner.succeeded.connect(self._on_import_done)
        runner.failed.connect(self._on_import_failed)
        runner.cancelled.connect(self._on_import_cancelled)
        runner.finished.connect(self._on_import_finished)
        self._runner = runner
        self._set_importing(True)
        self.progress.setRange(0, 0)
        self.progress_label.setText(self.tr("Checking files…"))
        runner.start()

    def cancel_import(self) -> None:
        if self._runner is not None:
            self._runner.cancel()

    @Slot(object)
    def _on_import_progress(self, p: Progress) -> None:
        if p.total:
            self.progress.setRange(0, int(p.total))
            self.progress.setValue(int(p.done))
        eta = f" · {self.tr('about %1 left').replace('%1', format_seconds(p.eta_s))}" if p.eta_s else ""
        self.progress_label.setText(f"{int(p.done)}/{int(p.total)} {p.message}{eta}"[:90])

    @Slot(object)
    def _on_import_done(self, result: dataset_import.ImportResult) -> None:
        self.last_result = result
        self.reload_current()
        self._update_summary()
        if result.cancelled:
            self.progress_label.setText(self.tr("Import cancelled"))
        self.import_finished.emit(result)

    @Slot(object)
    def _on_import_failed(self, exc: BaseException) -> None:
        QMessageBox.warning(self, self.tr("Import"), text_for_error(exc))

    @Slot()
    def _on_import_cancelled(self) -> None:
        self.reload_current()  # what arrived before the cancel stays
        self.progress_label.setText(self.tr("Import cancelled"))

    @Slot()
    def _on_import_finished(self) -> None:
        self._set_importing(False)
        if self._pending:
            pending, self._pending = self._pending, []
            self.import_paths(pending)

    def _set_importing(self, on: bool) -> None:
        self.progress.setVisible(on)
        self.progress_label.setVisible(on)
        self.cancel_import_button.setVisible(on)

    def _update_summary(self) -> None:
        r = self.last_result
        if r is None:
            self.summary.setVisible(False)
            return
        text = self.tr("%1 imported, %2 skipped").replace("%1", str(len(r.imported))).replace("%2", str(len(r.skipped)))
        if r.skipped:
            text += " — " + self.tr("see why")
        self.summary.setText(text)
        self.summary.setVisible(True)

    def show_import_report(self) -> QDialog | None:
        if self.last_result is None:
            return None
        dialog = ImportReportDialog(self.last_result, self)
        dialog.setModal(False)
        dialog.show()
        return dialog

    # -- tracks ------------------------------------------------------------------------------
    def _update_track_count(self) -> None:
        if self.dataset is None:
            self.tracks_label.setText(self.tr("No dataset yet — drop songs to start one."))
            return
        s = self.dataset.summary()
        self.tracks_label.setText(
            self.tr("%1 songs · %2 · %3 labelled").replace("%1", str(s["tracks"]))
            .replace("%2", format_seconds(s["total_seconds"])).replace("%3", str(s["labeled"]))
        )
        has = bool(self.dataset.tracks)
        self.remove_button.setEnabled(has)
        self.reveal_button.setEnabled(has)

    @Slot(QModelIndex, QModelIndex)
    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.track_selected.emit(self.model.track_at(current.row()) if current.isValid() else None)

    def selected_tracks(self) -> list[ds_core.Track]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [t for t in (self.model.track_at(r) for r in rows) if t is not None]

    def remove_selected_tracks(self) -> None:
        if self.dataset is None:
            return
        tracks = self.selected_tracks()
        if not tracks:
            return
        for track in tracks:
            ds_core.remove_track(self.dataset, track.id)
        self.reload_current()

    def reveal_selected(self) -> None:
        tracks = self.selected_tracks()
        if tracks and self.dataset is not None:
            reveal_in_file_manager(self.dataset.audio_file(tracks[0]))

    def refresh_from_disk(self, track_id: str | None = None) -> ds_core.Dataset | None:
        """Another process (auto-label) saved labels: read them, update the row(s), keep the selection."""
        if self.dataset is None:
            return None
        try:
            fresh = ds_core.open_dataset(self.dataset.name)
        except MixgrvError:
            return None
        by_id = {t.id: t for t in fresh.tracks}
        for i, track in enumerate(self.dataset.tracks):
            if track.id in by_id and (track_id is None or track.id == track_id):
                self.dataset.tracks[i] = by_id[track.id]
                self.model.refresh_track(track.id)
        self._update_track_count()
        return self.dataset

    def track_edited(self, track: ds_core.Track) -> None:
        """Called by the track editor after an autosave so the table shows the new label state."""
        self.model.refresh_track(track.id)
        self._update_track_count()
