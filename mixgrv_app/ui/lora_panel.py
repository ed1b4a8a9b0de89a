"""The LoRA panel: the adapter library, and which adapters shape the next take and how strongly.

Library = every PEFT adapter folder mixgrv knows:
  * trained runs: ``paths.runs_dir()/<run>/final/adapter`` — they appear on their own when a
    training run finishes (the panel rescans while it is visible);
  * imported folders: copied into ``paths.loras_dir()/<name>`` after a check (adapter_config.json
    that says LoRA, an adapter_model.safetensors whose keys are LoRA A/B pairs). The user's own
    folder is never modified.

Each row: load/unload, an on/off switch and a strength slider (0–100 %). Several adapters can be
loaded at once. The panel only holds the *wanted* state (:meth:`LoraPanel.active_adapters`); the
generation worker applies it to the warm model (load/scale/enable on the model, never a reload
of the base weights) and reports back adapters that do not fit (:meth:`set_failed`).
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from mixgrv_app.core.lora import AdapterError, LibraryEntry, import_adapter_folder, read_adapter_folder, scan_library
from mixgrv_app.ui.messages import text_for_error
from mixgrv_app.ui.widgets import Retranslating

log = logging.getLogger(__name__)

class AdapterRow(QWidget):
    """One adapter: name and origin, load/unload, on/off, strength."""

    changed = Signal()

    def __init__(self, entry: LibraryEntry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adapterRow")
        self.entry = entry
        self.loaded = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 8)
        outer.setSpacing(4)
        top = QHBoxLayout()
        top.setSpacing(8)
        self.name = QLabel(entry.name, objectName="adapterName")
        self.name.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.name.setToolTip(entry.path)
        self.origin = QLabel(objectName="adapterOrigin")
        self.load_button = QPushButton(objectName="adapterLoadButton")
        self.load_button.setCheckable(True)
        self.load_button.setCursor(Qt.CursorShape.PointingHandCursor)
        top.addWidget(self.name, 1)
        top.addWidget(self.origin)
        top.addWidget(self.load_button)
        bottom = QHBoxLayout()
        bottom.setSpacing(8)
        self.enabled_switch = QCheckBox(objectName="adapterEnabled")
        self.enabled_switch.setChecked(True)
        self.strength = QSlider(Qt.Orientation.Horizontal, objectName="adapterStrength")
        self.strength.setRange(0, 100)
        self.strength.setValue(100)
        self.strength.setSingleStep(5)
        self.strength.setPageStep(10)
        self.strength_value = QLabel(objectName="valueLabel")
        self.strength_value.setMinimumWidth(40)
        self.strength_value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.strength_label = QLabel(objectName="formLabel")
        bottom.addWidget(self.enabled_switch)
        bottom.addWidget(self.strength_label)
        bottom.addWidget(self.strength, 1)
        bottom.addWidget(self.strength_value)
        self.problem = QLabel(objectName="errorText", wordWrap=True)
        self.problem.hide()
        outer.addLayout(top)
        outer.addLayout(bottom)
        outer.addWidget(self.problem)
        self.load_button.toggled.connect(self._on_load_toggled)
        self.enabled_switch.toggled.connect(self._emit)
        self.strength.valueChanged.connect(self._emit)
        self.retranslate_ui()
        self._render()

    def retranslate_ui(self) -> None:
        self.origin.setText(self.tr("trained") if self.entry.source == "run" else self.tr("imported"))
        self.enabled_switch.setText(self.tr("On"))
        self.strength_label.setText(self.tr("Strength"))
        self.enabled_switch.setToolTip(self.tr("Switch the adapter off without unloading it"))
        self._render()

    def _on_load_toggled(self, on: bool) -> None:
        self.loaded = on
        if on:
            self.problem.hide()
        self._render()
        self.changed.emit()

    @Slot()
    def _emit(self) -> None:
        self._render()
        self.changed.emit()

    def set_loaded(self, on: bool) -> None:
        self.load_button.setChecked(on)

    def set_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        self.load_button.blockSignals(True)
        self.load_button.setChecked(False)
        self.load_button.blockSignals(False)
        self.loaded = False
        self._render()

    def scale(self) -> float:
        return self.strength.value() / 100.0

    def _render(self) -> None:
        self.load_button.setText(self.tr("Unload") if self.loaded else self.tr("Load"))
        self.load_button.setProperty("primary", not self.loaded)
        for w in (self.enabled_switch, self.strength, self.strength_value, self.strength_label):
            w.setEnabled(self.loaded)
        self.strength.setEnabled(self.loaded and self.enabled_switch.isChecked())
        self.strength_value.setText(f"{self.strength.value()}%")
        self.setProperty("loaded", self.loaded)
        self.style().unpolish(self.load_button)
        self.style().polish(self.load_button)


class LoraPanel(Retranslating, QWidget):
    """The library list with per-adapter controls; ``changed`` when the wanted state moves."""

    changed = Signal()
    message = Signal(str)  # a translated status line for the tab

    RESCAN_MS = 4000

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loraPanel")
        self.rows: dict[str, AdapterRow] = {}  # by adapter path
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        head = QHBoxLayout()
        self.title = QLabel(objectName="sectionHeading")
        self.import_button = QPushButton(objectName="importLoraButton")
        self.import_button.clicked.connect(self.choose_folder)
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.import_button)
        self.list = QListWidget(objectName="loraList")
        self.list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.empty = QLabel(objectName="secondaryText", wordWrap=True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.summary = QLabel(objectName="hintText", wordWrap=True)
        layout.addLayout(head)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.summary)
        self._timer = QTimer(self, interval=self.RESCAN_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.retranslate_ui()
        self.refresh()

    def retranslate_ui(self) -> None:
        self.title.setText(self.tr("LoRA adapters"))
        self.import_button.setText(self.tr("Import Folder…"))
        self.import_button.setToolTip(self.tr("Add a LoRA adapter folder (adapter_config.json + adapter_model.safetensors) from anywhere"))
        self.empty.setText(self.tr("No adapters yet. Train one in the Training tab, or import a folder."))
        for row in self.rows.values():
            row.retranslate_ui()
        self._render_summary()

    # -- library ------------------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        """Add adapters that appeared (finished runs, imports); drop unloaded ones that vanished."""
        entries = scan_library()
        known = {e.path for e in entries}
        for path in list(self.rows):
            row = self.rows[path]
            if path not in known and not row.loaded:
                self._remove_row(path)
        for entry in entries:
            if entry.path not in self.rows:
                self._add_row(entry)
        has = bool(self.rows)
        self.list.setVisible(has)
        self.empty.setVisible(not has)
        self._fit_list()

    def _fit_list(self) -> None:
        """As tall as its rows, up to about three of them: the results below need the room."""
        total = sum(self.list.sizeHintForRow(i) + 2 * self.list.spacing() for i in range(self.list.count()))
        self.list.setFixedHeight(max(40, min(total + 6, 230)))

    def _add_row(self, entry: LibraryEntry) -> AdapterRow:
        row = AdapterRow(entry)
        row.changed.connect(self._on_row_changed)
        item = QListWidgetItem()
        item.setData(Qt.ItemDataRole.UserRole, entry.path)
        item.setSizeHint(QSize(200, row.sizeHint().height()))
        self.list.addItem(item)
        self.list.setItemWidget(item, row)
        self.rows[entry.path] = row
        return row

    def _remove_row(self, path: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == path:
                self.list.takeItem(i)
                break
        self.rows.pop(path, None)

    @Slot()
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a LoRA adapter folder"), str(Path.home()))
        if folder:
            self.import_folder(folder)

    def import_folder(self, folder: str) -> AdapterRow | None:
        """Check ``folder`` and copy it into the library; the row for it, or None (and a message)."""
        try:
            target, info = import_adapter_folder(folder)
        except AdapterError as exc:
            self.message.emit(text_for_error(exc))
            return None
        self.refresh()
        row = self.rows.get(str(target))
        self.message.emit(self.tr("Imported “{name}” (rank {r}).").format(name=target.name, r=info.get("r") or "?"))
        return row

    # -- wanted state ------------------------------------------------------------------------------
    def active_adapters(self) -> list[dict[str, Any]]:
        """Loaded adapters in list order: [{name, path, scale, enabled}]."""
        out = []
        for i in range(self.list.count()):
            path = self.list.item(i).data(Qt.ItemDataRole.UserRole)
            row = self.rows.get(path)
            if row is not None and row.loaded:
                out.append({"name": row.entry.name, "path": path, "scale": row.scale(), "enabled": row.enabled_switch.isChecked()})
        return out

    def set_loaded(self, path: str, on: bool) -> None:
        row = self.rows.get(str(path))
        if row is not None:
            row.set_loaded(on)

    def set_failed(self, path: str, text: str) -> None:
        """The worker could not load this adapter into the model: show why, mark it unloaded."""
        row = self.rows.get(str(path))
        if row is not None:
            row.set_problem(text)
        self._render_summary()

    def use_adapter(self, path: str) -> AdapterRow | None:
        """Load ``path`` for the next take, switched on at full strength, and scroll to it
        (the Training tab's "Use in Generation"). A checkpoint's adapter, which the library does
        not list, gets a row of its own. None (and a message) when the folder is no adapter."""
        from mixgrv_app.core.training_state import adapter_title

        path = str(path)
        self.refresh()
        row = self.rows.get(path)
        if row is None:
            try:
                read_adapter_folder(path)
            except AdapterError as exc:
                self.message.emit(text_for_error(exc))
                return None
            row = self._add_row(LibraryEntry(adapter_title(path), path, "run"))
            self.list.setVisible(True)
            self.empty.setVisible(False)
        row.enabled_switch.setChecked(True)
        row.strength.setValue(row.strength.maximum())
        row.set_loaded(True)
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == path:
                self.list.setCurrentRow(i)
                self.list.scrollToItem(self.list.item(i))
                break
        self._fit_list()
        self._render_summary()
        return row

    @Slot()
    def _on_row_changed(self) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            row = self.rows.get(item.data(Qt.ItemDataRole.UserRole))
            if row is not None:
                item.setSizeHint(QSize(200, row.sizeHint().height()))
        self._fit_list()
        self._render_summary()
        self.changed.emit()

    def _render_summary(self) -> None:
        active = [a for a in self.active_adapters() if a["enabled"] and a["scale"] > 0]
        if not active:
            self.summary.setText(self.tr("No LoRA: the base model sings on its own."))
        else:
            parts = ", ".join(f"{a['name']} {int(round(a['scale'] * 100))}%" for a in active)
            self.summary.setText(self.tr("Next take uses: {list}").format(list=parts))
