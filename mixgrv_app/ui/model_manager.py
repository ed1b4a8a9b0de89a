"""The model sheets: Settings ▸ 모델… (the manager) and the first-run welcome.

:class:`ModelManager` lists every ACE-Step component the catalogue knows (``core.models``) with
its state on disk (installed / partial / missing), download size, the memory it needs and a
note (essential, suggested for this Mac, needs ≥ 32 GB, reused from the Hugging Face cache).
Checked rows are downloaded; 검증 hashes the downloaded folders again; 삭제 removes the checked
ones. Progress (total and per file, speed, time left) comes from the one
:class:`~mixgrv_app.workers.models.ModelJobs` of the window, so closing the sheet never stops a
download and reopening it shows the running one.

:class:`ModelWelcome` is shown on a start without the essentials: 필수 모델 받기 (약 N GB),
이미 받은 폴더 선택…, 나중에.

Widgets only: what a folder holds, sizes and the LM suggestion are asked from ``core.models``.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mixgrv_app.core import models
from mixgrv_app.core.jobs import Metric, Progress
from mixgrv_app.ui.dataset_panel import format_seconds
from mixgrv_app.ui.messages import text_for_error
from mixgrv_app.workers.models import CANCELLED, DONE, DOWNLOAD, REMOVE, VERIFY, ModelJobs

NAME, KIND, STATE, SIZE, MEMORY, NOTE = range(6)
PROGRESS_STEPS = 1000


def format_bytes(count: float) -> str:
    """Sizes as the Finder shows them (decimal units)."""
    if count >= 1e9:
        return f"{count / 1e9:.1f} GB"
    if count >= 1e6:
        return f"{count / 1e6:.0f} MB"
    if count >= 1e3:
        return f"{count / 1e3:.0f} KB"
    return f"{count:.0f} B"


def _gb(count: float) -> str:
    return f"{count / 1e9:.1f}"


def choose_models_folder(parent: QWidget, start: str) -> str | None:
    """Ask for a folder that already holds ACE-Step models (a checkpoints/ folder or its parent).

    Returns the models root inside it, or None (cancelled, or nothing usable there: said so)."""
    folder = QFileDialog.getExistingDirectory(
        parent, QCoreApplication.translate("ModelManager", "Choose the folder with your ACE-Step models"), start)
    if not folder:
        return None
    root = models.find_checkpoints_folder(folder)
    if root is None:
        QMessageBox.warning(
            parent, "mixgrv",
            QCoreApplication.translate("ModelManager", "{folder} holds no ACE-Step model folders (acestep-v15-turbo, vae, Qwen3-Embedding-0.6B). "
                       "Choose the checkpoints folder of an ACE-Step download, or download the models here.").format(folder=folder))
        return None
    return str(root)


class StatusDownloadBar(QProgressBar):
    """The status bar's small download bar; a click opens the manager sheet."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusDownloadProgress")
        self.setRange(0, 100)
        self.setFixedWidth(110)
        self.setTextVisible(False)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseReleaseEvent(self, event) -> None:  # noqa: ANN001
        self.clicked.emit()
        super().mouseReleaseEvent(event)


class TransferView(QWidget):
    """Total and per-file progress of the running model job, with speed and time left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transferView")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.stage_label = QLabel()
        self.stage_label.setObjectName("downloadStage")
        self.total_bar = QProgressBar()
        self.total_bar.setObjectName("downloadProgress")
        self.total_bar.setRange(0, PROGRESS_STEPS)
        self.total_bar.setTextVisible(False)
        self.total_label = QLabel()
        self.total_label.setObjectName("downloadStatus")
        self.file_label = QLabel()
        self.file_label.setObjectName("fileStatus")
        self.file_bar = QProgressBar()
        self.file_bar.setObjectName("fileProgress")
        self.file_bar.setRange(0, PROGRESS_STEPS)
        self.file_bar.setTextVisible(False)
        self.file_bar.setFixedHeight(6)
        for widget in (self.stage_label, self.total_bar, self.total_label, self.file_label, self.file_bar):
            layout.addWidget(widget)
        self.speed: float | None = None
        self.fraction = 0.0
        self.reset()

    def reset(self, stage: str = "") -> None:
        self.stage_label.setText(stage)
        self.total_bar.setValue(0)
        self.file_bar.setValue(0)
        self.total_label.setText("")
        self.file_label.setText("")
        self.speed = None
        self.fraction = 0.0

    def show_progress(self, event: Progress) -> None:
        fraction = event.done / event.total if event.total > 0 else 0.0
        fraction = max(0.0, min(1.0, fraction))
        if event.stage == "file":
            self.file_label.show()
            self.file_bar.show()
            self.file_bar.setValue(int(fraction * PROGRESS_STEPS))
            self.file_label.setText(f"{event.message}   {format_bytes(event.done)} / {format_bytes(event.total)}")
            return
        self.fraction = event.overall if event.overall is not None else fraction
        self.total_bar.setValue(int(self.fraction * PROGRESS_STEPS))
        parts = [f"{format_bytes(event.done)} / {format_bytes(event.total)}"]
        if self.speed:
            parts.append(f"{format_bytes(self.speed)}/s")
        if event.eta_s is not None and event.done < event.total:
            parts.append(self.tr("{time} left").format(time=format_seconds(event.eta_s)))
        self.total_label.setText("  ·  ".join(parts))
        if event.stage == "verify":
            self.stage_label.setText(self.tr("Checking the files…"))
            if event.message:
                self.file_label.setText(event.message)
        elif event.stage == "download":
            self.stage_label.setText(self.tr("Downloading…"))

    def show_metric(self, metric: Metric) -> None:
        speed = metric.values.get("bytes_per_s")
        if speed is not None:
            self.speed = float(speed)


class ModelManager(QDialog):
    """Settings ▸ 모델…: every component, its state, and download / verify / delete / cancel."""

    #: the user asked to use another folder that already holds models (the window stores it)
    folder_change_requested = Signal()

    def __init__(self, root: str, jobs: ModelJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelManager")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumSize(820, 520)
        self.root = str(root)
        self.jobs = jobs
        self.states: dict[str, models.ComponentState] = {}
        self._checked: set[str] = set()
        self._suggested_lm = ""
        self._build()
        self.retranslate_ui()
        jobs.started.connect(self._on_job_started)
        jobs.progress.connect(self._on_progress)
        jobs.metric.connect(self.transfer.show_metric)
        jobs.component_ready.connect(self._on_component_ready)
        jobs.finished.connect(self._on_job_finished)
        self.refresh(check_missing_essentials=True)
        self._set_running(jobs.is_running())

    # -- building ---------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        self.folder_label = QLabel()
        self.folder_label.setObjectName("secondaryText")
        self.folder_label.setWordWrap(True)
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_button = QPushButton()
        self.folder_button.setObjectName("chooseModelsFolderButton")
        self.folder_button.clicked.connect(self.folder_change_requested)
        header = QHBoxLayout()
        header.addWidget(self.folder_label, 1)
        header.addWidget(self.folder_button)

        self.table = QTableWidget(0, 6)
        self.table.setObjectName("modelTable")
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(NAME, QHeaderView.ResizeMode.ResizeToContents)
        for column in (KIND, STATE, SIZE, MEMORY):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(NOTE, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(self._on_item_changed)

        self.transfer = TransferView()
        self.error_label = QLabel()
        self.error_label.setObjectName("errorText")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        self.download_button = QPushButton()
        self.download_button.setObjectName("downloadButton")
        self.download_button.setProperty("primary", True)
        self.download_button.clicked.connect(self.download_checked)
        self.verify_button = QPushButton()
        self.verify_button.setObjectName("verifyButton")
        self.verify_button.clicked.connect(self.verify)
        self.delete_button = QPushButton()
        self.delete_button.setObjectName("deleteModelButton")
        self.delete_button.clicked.connect(lambda: self.remove_checked())
        self.cancel_button = QPushButton()
        self.cancel_button.setObjectName("cancelDownloadButton")
        self.cancel_button.clicked.connect(self.jobs.cancel)
        self.close_button = QPushButton()
        self.close_button.setObjectName("closeButton")
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.verify_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.close_button)

        layout.addWidget(self.title)
        layout.addLayout(header)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.transfer)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)

    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("Models"))
        self.title.setText(self.tr("ACE-Step models"))
        self.folder_button.setText(self.tr("Use Another Folder…"))
        self.table.setHorizontalHeaderLabels([
            self.tr("Model"), self.tr("Kind"), self.tr("State"), self.tr("Size"), self.tr("Memory"), self.tr("Note")])
        self.verify_button.setText(self.tr("Verify"))
        self.verify_button.setToolTip(self.tr("Check every downloaded file against the publisher's checksums; a damaged file is downloaded again."))
        self.delete_button.setText(self.tr("Delete"))
        self.cancel_button.setText(self.tr("Stop"))
        self.cancel_button.setToolTip(self.tr("Stop the download. What arrived is kept; downloading again continues from there."))
        self.close_button.setText(self.tr("Close"))
        self._render_folder()
        self._render_rows()
        self._render_download_button()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)

    # -- texts ------------------------------------------------------------------------------------
    def kind_text(self, kind: str) -> str:
        return {
            "dit": self.tr("Music model (DiT)"),
            "vae": self.tr("Audio decoder (VAE)"),
            "text_encoder": self.tr("Text encoder"),
            "lm": self.tr("Song planner (5 Hz LM)"),
        }.get(kind, kind)

    def state_text(self, state: models.ComponentState) -> str:
        if state.status == models.INSTALLED:
            return self.tr("Installed")
        if state.status == models.PARTIAL:
            size = state.size_bytes
            percent = min(int(100 * state.present_bytes / size) if size else 0, 99)
            return self.tr("Partial ({percent}%)").format(percent=percent) if percent else self.tr("Partial")
        return self.tr("Not downloaded")

    def note_text(self, state: models.ComponentState) -> str:
        notes = []
        comp = state.component
        if comp is not None and comp.essential:
            notes.append(self.tr("Essential"))
        if comp is not None and comp.kind == "lm" and comp.name == self._suggested_lm:
            notes.append(self.tr("Suggested for this Mac"))
        if comp is not None and comp.min_memory_gb:
            notes.append(self.tr("Needs a Mac with {gb} GB or more").format(gb=f"{comp.min_memory_gb:g}"))
        if state.linked_to is not None:
            notes.append(self.tr("Used from the Hugging Face cache"))
        if state.status == models.INSTALLED and state.verified:
            notes.append(self.tr("Verified"))
        return " · ".join(notes)

    # -- data ---------------------------------------------------------------------------------------
    def set_root(self, root: str) -> None:
        self.root = str(root)
        self._checked.clear()
        self.refresh(check_missing_essentials=True)

    @Slot()
    def refresh(self, check_missing_essentials: bool = False) -> None:
        """Read the folder again (cheap: file stats only) and redraw the table."""
        self.states = models.scan(self.root)
        lm = models.suggest_lm()
        self._suggested_lm = models.lm_component(lm).name if lm else ""
        if check_missing_essentials:
            self._checked |= {n for n in models.ESSENTIALS if self.states[n].status != models.INSTALLED}
        self._checked &= {n for n, s in self.states.items() if s.component is not None}
        self._render_folder()
        self._render_rows()
        self._render_download_button()

    def _render_folder(self) -> None:
        try:
            from mixgrv_app.core.model_download import disk_free

            free = self.tr("{size} free").format(size=format_bytes(disk_free(self.root)))
        except OSError:
            free = ""
        memory = models.total_memory_bytes()
        mac = self.tr("this Mac has {gb} GB of memory").format(gb=f"{memory / 2**30:.0f}") if memory else ""
        self.folder_label.setText("   ·   ".join(
            part for part in (self.tr("Folder: {folder}").format(folder=self.root), free, mac) if part))

    def _render_rows(self) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.states))
        for row, (name, state) in enumerate(self.states.items()):
            name_item = QTableWidgetItem(name)
            name_item.setData(Qt.ItemDataRole.UserRole, name)
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if state.component is not None or state.status != models.MISSING:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
                name_item.setCheckState(Qt.CheckState.Checked if name in self._checked else Qt.CheckState.Unchecked)
            name_item.setFlags(flags)
            if state.component is not None:
                name_item.setToolTip(state.component.repo + (f" / {state.component.subfolder}" if state.component.subfolder else ""))
            memory = f"{state.component.memory_gb:g} GB" if state.component is not None else "–"
            cells = [name_item, QTableWidgetItem(self.kind_text(state.kind)), QTableWidgetItem(self.state_text(state)),
                     QTableWidgetItem(format_bytes(state.size_bytes)), QTableWidgetItem(memory),
                     QTableWidgetItem(self.note_text(state))]
            cells[STATE].setData(Qt.ItemDataRole.UserRole, state.status)
            for column, item in enumerate(cells):
                if column:
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, column, item)
        self.table.blockSignals(False)

    def row_of(self, name: str) -> int:
        for row in range(self.table.rowCount()):
            if self.table.item(row, NAME).data(Qt.ItemDataRole.UserRole) == name:
                return row
        return -1

    def set_checked(self, names: list[str]) -> None:
        self._checked = {n for n in names if n in self.states}
        self._render_rows()
        self._render_download_button()

    def checked(self) -> list[str]:
        return [n for n in self.states if n in self._checked]

    @Slot(QTableWidgetItem)
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != NAME:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        if item.checkState() == Qt.CheckState.Checked:
            self._checked.add(name)
        else:
            self._checked.discard(name)
        self._render_download_button()

    def to_download(self) -> list[str]:
        return [n for n in self.checked() if self.states[n].status != models.INSTALLED and self.states[n].component is not None]

    def bytes_to_download(self) -> int:
        return sum(max(0, self.states[n].size_bytes - self.states[n].present_bytes) for n in self.to_download())

    def _render_download_button(self) -> None:
        names = self.to_download()
        if names:
            self.download_button.setText(self.tr("Download ({size})").format(size=format_bytes(self.bytes_to_download())))
        else:
            self.download_button.setText(self.tr("Download"))
        running = self.jobs.is_running()
        self.download_button.setEnabled(bool(names) and not running)
        deletable = [n for n in self.checked() if self.states[n].status != models.MISSING]
        self.delete_button.setEnabled(bool(deletable) and not running)
        has_downloads = any(s.commit or s.status == models.PARTIAL for s in self.states.values())
        self.verify_button.setEnabled(has_downloads and not running)

    # -- actions ----------------------------------------------------------------------------------
    @Slot()
    def download_checked(self) -> bool:
        names = self.to_download()
        if not names or self.jobs.is_running():
            return False
        self.jobs.download(self.root, names)
        return True

    def start_download(self, names: list[str]) -> bool:
        """Check ``names`` and download those not installed yet (the welcome sheet's button)."""
        self.set_checked(list(names))
        return self.download_checked()

    @Slot()
    def verify(self) -> bool:
        if self.jobs.is_running():
            return False
        self.jobs.verify(self.root, None)
        return True

    def remove_checked(self, confirm: bool = True) -> bool:
        names = [n for n in self.checked() if self.states[n].status != models.MISSING]
        if not names or self.jobs.is_running():
            return False
        if confirm:
            answer = QMessageBox.question(
                self, self.tr("Delete models?"),
                self.tr("Delete {names} from {folder}? You can download them again later.").format(
                    names=", ".join(names), folder=self.root))
            if answer != QMessageBox.StandardButton.Yes:
                return False
        self.jobs.remove(self.root, names)
        return True

    # -- job events -------------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        self.cancel_button.setVisible(running)
        self.transfer.setVisible(running or self.transfer.fraction > 0)
        self.table.setEnabled(not running)
        self.folder_button.setEnabled(not running)
        self._render_download_button()

    @Slot(str)
    def _on_job_started(self, kind: str) -> None:
        self.error_label.hide()
        stage = {DOWNLOAD: self.tr("Preparing the download…"), VERIFY: self.tr("Checking the files…"),
                 REMOVE: self.tr("Deleting…")}.get(kind, "")
        self.transfer.reset(stage)
        self._set_running(True)

    @Slot(str)
    def _on_component_ready(self, _name: str) -> None:
        self.refresh()  # usable from this moment: shown as installed while the rest still downloads

    @Slot(object)
    def _on_progress(self, event: Progress) -> None:
        self.transfer.show_progress(event)

    @Slot(str, str, object)
    def _on_job_finished(self, kind: str, outcome: str, detail: Any) -> None:
        self.refresh()
        self.transfer.file_label.hide()
        self.transfer.file_bar.hide()
        if outcome == DONE:
            bad = sorted((detail or {}).get("bad") or {}) if kind == VERIFY else []
            unrepaired = [n for n in bad if n not in ((detail or {}).get("repaired") or [])]
            if unrepaired:
                text = self.tr("Damaged files were found in {names}. Download them again.").format(names=", ".join(unrepaired))
            elif bad:
                text = self.tr("Damaged files were found in {names} and downloaded again; everything matches now.").format(
                    names=", ".join(bad))
            elif kind == VERIFY:
                text = self.tr("Every file matches the publisher's checksums.")
            elif kind == REMOVE:
                text = self.tr("Deleted.")
            else:
                text = self.tr("Download finished; the models are ready.")
            self.transfer.stage_label.setText(text)
            if kind == DOWNLOAD:
                self.transfer.total_bar.setValue(PROGRESS_STEPS)
        elif outcome == CANCELLED:
            self.transfer.stage_label.setText(self.tr("Stopped. Download again to continue where it stopped."))
        else:
            self.error_label.setText(text_for_error(detail))
            self.error_label.show()
            self.transfer.stage_label.setText(self.tr("The job did not finish."))
        self._set_running(False)
        self.transfer.setVisible(kind != REMOVE)


class ModelWelcome(QDialog):
    """The first-run sheet: get the essentials, use a folder you already have, or later."""

    download_requested = Signal(list)     # component names
    folder_requested = Signal()

    def __init__(self, root: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelWelcome")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setFixedWidth(640)  # a fixed width lets the wrapped texts compute their height
        self.root = str(root)
        self.summary = models.summary(self.root)
        lm = models.suggest_lm()
        self.lm = models.lm_component(lm) if lm else None
        self.cached = [n for n in models.hf_cache_components() if n in self.summary.missing_essentials]

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(10)
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        self.body = QLabel()
        self.body.setObjectName("secondaryText")
        self.body.setWordWrap(True)
        self.where = QLabel()
        self.where.setObjectName("secondaryText")
        self.where.setWordWrap(True)
        self.cache_note = QLabel()
        self.cache_note.setObjectName("secondaryText")
        self.cache_note.setWordWrap(True)
        self.cache_note.setVisible(bool(self.cached))
        self.lm_check = QCheckBox()
        self.lm_check.setObjectName("includeLmCheck")
        self.lm_check.setVisible(self.lm is not None)
        self.lm_check.toggled.connect(lambda _on: self.retranslate_ui())
        self.download_button = QPushButton()
        self.download_button.setObjectName("downloadEssentialsButton")
        self.download_button.setProperty("primary", True)
        self.download_button.setDefault(True)
        self.download_button.clicked.connect(self._download)
        self.folder_button = QPushButton()
        self.folder_button.setObjectName("chooseModelsFolderButton")
        self.folder_button.clicked.connect(self._choose_folder)
        self.later_button = QPushButton()
        self.later_button.setObjectName("laterButton")
        self.later_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.later_button)
        buttons.addStretch(1)
        buttons.addWidget(self.folder_button)
        for widget in (self.title, self.body, self.where, self.cache_note, self.lm_check):
            layout.addWidget(widget)
        layout.addSpacing(6)
        layout.addWidget(self.download_button)
        layout.addLayout(buttons)
        self.retranslate_ui()

    def names(self) -> list[str]:
        names = list(self.summary.missing_essentials)
        if self.lm is not None and self.lm_check.isChecked():
            names.append(self.lm.name)
        return names

    def resuming(self) -> bool:
        """An earlier download of the essentials stopped part-way (it continues from there)."""
        return any(n in self.summary.partial for n in self.summary.missing_essentials)

    def download_bytes(self) -> int:
        """About how much will come over the network (what the HF cache holds is linked, not fetched)."""
        states = models.scan(self.root) if self.cached else {}
        cached = sum(max(0, states[n].size_bytes - states[n].present_bytes) for n in self.cached)
        extra = self.lm.size_bytes if self.lm is not None and self.lm_check.isChecked() else 0
        return max(0, self.summary.missing_essentials_bytes - cached) + extra

    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("Welcome to mixgrv"))
        self.title.setText(self.tr("Welcome to mixgrv"))
        self.body.setText(self.tr(
            "To make songs and train adapters, mixgrv needs the ACE-Step 1.5 models: the music model, "
            "its audio decoder and the text encoder. They are downloaded once from Hugging Face and "
            "checked against the publisher's checksums. You can stop at any time; the download continues "
            "where it stopped."))
        try:
            from mixgrv_app.core.model_download import disk_free

            free = format_bytes(disk_free(self.root))
        except OSError:
            free = "?"
        self.where.setText(self.tr("Saved in {folder} ({free} free).").format(folder=self.root, free=free))
        self.cache_note.setText(self.tr("Found in the Hugging Face cache on this Mac, used without a second copy: {names}.")
                                .format(names=", ".join(self.cached)))
        if self.lm is not None:
            self.lm_check.setText(self.tr("Also get the song planner {size} suggested for this Mac (+{gb} GB)")
                                  .format(size=self.lm.name.removeprefix(models.LM_PREFIX), gb=_gb(self.lm.size_bytes)))
        count = self.download_bytes()
        if self.resuming():
            self.download_button.setText(self.tr("Continue the Download (about {gb} GB left)").format(gb=_gb(count)))
        elif count or not self.cached:
            self.download_button.setText(self.tr("Get the Essential Models (about {gb} GB)").format(gb=_gb(count)))
        else:
            self.download_button.setText(self.tr("Use the Models Found on This Mac"))
        self.folder_button.setText(self.tr("Choose a Folder You Already Have…"))
        self.later_button.setText(self.tr("Later"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)

    @Slot()
    def _download(self) -> None:
        names = self.names()
        self.accept()
        self.download_requested.emit(names)

    @Slot()
    def _choose_folder(self) -> None:
        self.accept()
        self.folder_requested.emit()
