"""The main window: two tabs (트레이닝, 생성), the menu bar, the status bar, and the one import entry point.

Every way audio reaches mixgrv — a drop anywhere on the window, a drop on the Dock icon
(``app.MixgrvApplication.event``), 파일 > 오디오 가져오기…, a second ``mixgrv`` start — ends in
:meth:`MainWindow.import_audio`, which forwards to ``TrainingTab.import_audio_paths``.

The tab modules are imported lazily: the window appears first, the tab on screen is built right
after its first frame and the hidden one a turn later, so the first frame comes fast whatever
the tabs import (bench/startup.py measures both moments).

Flows between the parts: "Use in Generation" in the Training tab is the app-wide
``adapter_chosen`` signal, handled by :meth:`MainWindow.use_adapter_in_generation`. Closing the
window — the close button, ⌘Q, the Dock's Quit, ``QApplication.quit()`` (all arrive as a close
event) — goes through one guard, :meth:`MainWindow.closeEvent`, which asks with a sheet while
``workers.base.job_registry()`` lists a running job.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import importlib
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from PySide6.QtCore import QEvent, QObject, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QStackedLayout, QTabWidget, QVBoxLayout, QWidget

# Start-up budget: each Qt class touched costs ~0.5-3 ms the first time in PySide6 6.12, and the
# Qt namespace ~20 ms, so what the first frame does not need (dialogs, the drop overlay, Qt.*)
# is imported where it is used.

from mixgrv_app import __version__
from mixgrv_app import settings as opts
from mixgrv_app.signals import app_signals
from mixgrv_app.ui.widgets import ACCEPTS_FILE_DROPS, PlaceholderPage, Retranslating, StatusPill, label, local_paths

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

log = logging.getLogger(__name__)

TRAINING, GENERATION = 0, 1
TAB_CLASSES = {
    TRAINING: ("mixgrv_app.ui.training_tab", "TrainingTab"),
    GENERATION: ("mixgrv_app.ui.generation_tab", "GenerationTab"),
}
STATUS_KEYS = ("backend", "device", "model")


def _action(parent: QObject, shortcut=None, role: QAction.MenuRole | None = None, checkable: bool = False) -> QAction:  # noqa: ANN001
    """A QAction built with setters (constructor keywords cost start-up time in PySide6 6.12)."""
    action = QAction(parent)
    if isinstance(shortcut, QKeySequence.StandardKey):
        # setShortcuts(list), not setShortcut(): the latter's overload check builds the whole
        # Qt namespace (~20 ms) on the start path in PySide6 6.12.
        action.setShortcuts(QKeySequence.keyBindings(shortcut))
    elif shortcut is not None:
        action.setShortcuts([QKeySequence(shortcut)])
    if role is not None:
        action.setMenuRole(role)
    if checkable:
        action.setCheckable(True)
    return action


class LazyTab(QWidget):
    """A tab page that imports and builds its real widget on first need.

    A tab that fails to import or build (a bug, a missing dependency) becomes an error page
    naming the log; the rest of the window keeps working.
    """

    built = Signal(QWidget)

    def __init__(self, module: str, class_name: str, error_page: Callable[[], QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.module, self.class_name, self.error_page = module, class_name, error_page
        self.content: QWidget | None = None
        self.error: BaseException | None = None
        self._layout = QStackedLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def widget(self) -> QWidget:
        if self.content is None:
            try:
                content = getattr(importlib.import_module(self.module), self.class_name)()
            except Exception as exc:  # noqa: BLE001 - one broken tab must not take the window down
                log.exception("could not build %s.%s", self.module, self.class_name)
                self.error = exc
                content = self.error_page()
            self.content = content
            self._layout.addWidget(content)
            self.built.emit(content)
        return self.content


class DropOverlay(QWidget):
    """A translucent sheet over the window while files are dragged across it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("dropOverlay")
        from PySide6.QtCore import Qt

        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        layout = QVBoxLayout(self)
        self.label = label(name="dropOverlayText", wrap=True, center=True)
        layout.addWidget(self.label)
        self.hide()

    def cover(self) -> None:
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()


class MainWindow(Retranslating, QMainWindow):
    # the cleaned, existing paths handed to the Training tab (tests and other parts listen)
    audio_imported = Signal(list)
    #: the window painted its first frame (bench/startup.py measures up to here)
    first_frame = Signal()
    #: the tab on screen is built: the window can be used (bench/startup.py's "tabs usable")
    tab_usable = Signal()
    #: both tab bodies exist (the hidden one is built one event-loop turn later, or on first use)
    tabs_ready = Signal()
    _painted = False  # a class default: Qt sends events while __init__ is still running

    def __init__(self, settings: opts.Settings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or opts.settings()
        self.setObjectName("mainWindow")
        self.setWindowTitle("mixgrv")
        self.setAcceptDrops(True)
        self.setMinimumSize(760, 540)
        self._drop_filtered: set[int] = set()

        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.tabBar().setExpanding(False)
        self.tabs.tabBar().setDrawBase(False)
        self.pages = {
            TRAINING: LazyTab(*TAB_CLASSES[TRAINING], error_page=self._error_page),
            GENERATION: LazyTab(*TAB_CLASSES[GENERATION], error_page=self._error_page),
        }
        for index in (TRAINING, GENERATION):
            self.tabs.addTab(self.pages[index], "")
            self.pages[index].built.connect(self._watch_text_fields)
        self.setCentralWidget(self.tabs)
        self._overlay: DropOverlay | None = None  # made on the first drag

        self._build_menus()
        self._build_status_bar()
        self.retranslate_ui()
        self._restore_state()
        self.tabs.currentChanged.connect(self._on_tab_changed)
        app_signals().status_changed.connect(self.set_status)
        app_signals().status_message.connect(self.show_message)
        app_signals().import_requested.connect(self.import_audio)
        self._init_models()
        app_signals().adapter_chosen.connect(self.use_adapter_in_generation)
        self._close_approved = False   # the quit guard said yes (or nothing was running)
        self._closing_after_jobs = False  # "stop and save" was chosen: close when the registry empties
        self.running_jobs_sheet: QMessageBox | None = None
        # The tab bodies are built right after the first frame (see event()): the window
        # appears at once and fills in a moment later, whatever the tab modules import.

    # -- building ---------------------------------------------------------------------------
    def _error_page(self) -> QWidget:
        from mixgrv_app import logging_setup

        where = logging_setup.log_file()
        return PlaceholderPage(
            self.tr("This part of mixgrv could not be opened"),
            self.tr("Something went wrong while opening this tab. The details were written to the log:")
            + f"\n{where or '-'}",
        )

    @Slot()
    def _build_current_tab(self) -> None:
        """Right after the first frame: the tab on screen; the hidden one waits a turn, so the
        events that came meanwhile (a click, a key) are handled between the two."""
        from mixgrv_app.ui import style

        self.pages[self.tabs.currentIndex()].widget()
        style.follow_system_scheme(QApplication.instance())
        self.tab_usable.emit()
        QTimer.singleShot(0, self._build_remaining_tabs)

    @Slot()
    def _build_remaining_tabs(self) -> None:
        for page in self.pages.values():
            page.widget()
        self.tabs_ready.emit()

    def event(self, event: QEvent) -> bool:
        if not self._painted and event.type() == QEvent.Type.Paint:
            self._painted = True
            self.first_frame.emit()
            QTimer.singleShot(0, self._build_current_tab)
        return super().event(event)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("")
        self.import_action = _action(self, QKeySequence.StandardKey.Open)
        self.import_action.triggered.connect(self.choose_audio_to_import)
        self.quit_action = _action(self, QKeySequence.StandardKey.Quit, QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        self.file_menu.addAction(self.import_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)

        self.view_menu = bar.addMenu("")
        self.show_training_action = _action(self, "Ctrl+1")
        self.show_training_action.triggered.connect(lambda: self.tabs.setCurrentIndex(TRAINING))
        self.show_generation_action = _action(self, "Ctrl+2")
        self.show_generation_action.triggered.connect(lambda: self.tabs.setCurrentIndex(GENERATION))
        self.full_screen_action = _action(self, QKeySequence.StandardKey.FullScreen, checkable=True)
        self.full_screen_action.toggled.connect(self._set_full_screen)
        self.view_menu.addActions([self.show_training_action, self.show_generation_action])
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.full_screen_action)

        self.settings_menu = bar.addMenu("")
        self.language_menu, self.language_actions = self._choice_menu(
            opts.LANGUAGE, lambda code: self.set_language(code))
        self.backend_menu, self.backend_actions = self._choice_menu(
            opts.GENERATION_BACKEND, lambda code: self.settings.set(opts.GENERATION_BACKEND, code))
        self.models_action = QAction(self)
        self.models_action.triggered.connect(self.show_model_manager)
        self.settings_menu.addSeparator()
        self.settings_menu.addAction(self.models_action)

        self.help_menu = bar.addMenu("")
        self.about_action = _action(self, role=QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        self.open_logs_action = QAction(self)
        self.open_logs_action.triggered.connect(lambda: self._reveal("logs"))
        self.open_data_action = QAction(self)
        self.open_data_action.triggered.connect(lambda: self._reveal("data"))
        self.help_menu.addActions([self.open_data_action, self.open_logs_action])
        self.help_menu.addSeparator()
        self.help_menu.addAction(self.about_action)

    def _choice_menu(self, option: opts.ChoiceOption, chosen) -> tuple[QMenu, dict[str, QAction]]:  # noqa: ANN001
        """A Settings submenu with one radio item per choice of ``option`` (titles set in
        retranslate_ui); the stored value is checked, ``chosen(code)`` runs on a pick."""
        menu = self.settings_menu.addMenu("")
        group = QActionGroup(menu)
        actions: dict[str, QAction] = {}
        for code in option.choices:
            action = _action(self, checkable=True)
            action.setData(code)
            group.addAction(action)
            menu.addAction(action)
            actions[code] = action
        actions[self.settings.get(option)].setChecked(True)
        group.triggered.connect(lambda action: chosen(action.data()))
        return menu, actions

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setObjectName("statusBar")
        bar.setSizeGripEnabled(False)
        self.status_pills = {key: StatusPill() for key in STATUS_KEYS}
        for key in STATUS_KEYS:
            bar.addPermanentWidget(self.status_pills[key])
        self._status: dict[str, tuple[str, str]] = {}
        self._status_guessed = True

    def retranslate_ui(self) -> None:
        self.tabs.setTabText(TRAINING, self.tr("Training"))
        self.tabs.setTabText(GENERATION, self.tr("Generation"))
        self.file_menu.setTitle(self.tr("File"))
        self.import_action.setText(self.tr("Import Audio…"))
        self.quit_action.setText(self.tr("Quit"))
        self.view_menu.setTitle(self.tr("View"))
        self.show_training_action.setText(self.tr("Training"))
        self.show_generation_action.setText(self.tr("Generation"))
        self.full_screen_action.setText(self.tr("Full Screen"))
        self.settings_menu.setTitle(self.tr("Settings"))
        self.language_menu.setTitle(self.tr("Language"))
        self.language_actions["system"].setText(self.tr("System Default"))
        self.language_actions["ko"].setText("한국어")   # language names are shown in their own language
        self.language_actions["en"].setText("English")
        self.backend_menu.setTitle(self.tr("Generation Backend"))
        self.backend_actions["auto"].setText(self.tr("Automatic (MLX on Apple Silicon)"))
        self.backend_actions["mlx"].setText(self.tr("MLX (Apple GPU)"))
        self.backend_actions["torch"].setText("PyTorch")
        self.models_action.setText(self.tr("Models…"))
        self.help_menu.setTitle(self.tr("Help"))
        self.about_action.setText(self.tr("About mixgrv"))
        self.open_logs_action.setText(self.tr("Show Log Folder"))
        self.open_data_action.setText(self.tr("Show Data Folder"))
        if self._overlay is not None:
            self._overlay.label.setText(self.overlay_text())
        if self._status_guessed:
            self._guess_status()
        self._render_status()

    def overlay_text(self) -> str:
        return self.tr("Drop to add these songs to your training dataset")

    @property
    def overlay(self) -> DropOverlay:
        if self._overlay is None:
            self._overlay = DropOverlay(self)
            self._overlay.label.setText(self.overlay_text())
        return self._overlay

    # -- the one import entry point ----------------------------------------------------------
    def training_tab(self) -> QWidget:
        return self.pages[TRAINING].widget()

    def generation_tab(self) -> QWidget:
        return self.pages[GENERATION].widget()

    @Slot(list)
    def import_audio(self, paths: Iterable[str]) -> list[str]:
        """Hand files/folders to the Training tab. Returns the existing paths that were passed on."""
        found: list[str] = []
        missing: list[str] = []
        for raw in paths:
            text = str(raw)
            if text.startswith("file:"):
                text = QUrl(text).toLocalFile()
            path = os.path.abspath(os.path.expanduser(text))
            if not os.path.exists(path):
                missing.append(path)
            elif path not in found:
                found.append(path)
        if missing:
            log.warning("ignoring paths that do not exist: %s", missing)
        if not found:
            if missing:
                self.show_message(self.tr("Nothing to import: the files were not found."))
            return []
        self.tabs.setCurrentIndex(TRAINING)
        tab = self.training_tab()
        importer = getattr(tab, "import_audio_paths", None)
        if importer is None:
            self.show_message(self.tr("The Training tab cannot import audio yet."))
            return []
        self.bring_to_front()
        importer(found)
        self.settings.set(opts.LAST_IMPORT_DIR, str(Path(found[-1]).parent))
        self.show_message(self.tr("%n item(s) sent to the Training tab.", "", len(found)))
        self.audio_imported.emit(found)
        return found

    @Slot()
    def choose_audio_to_import(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        start = self.settings.get(opts.LAST_IMPORT_DIR) or str(Path.home() / "Music")
        files, _ = QFileDialog.getOpenFileNames(
            self,
            self.tr("Import Audio"),
            start,
            self.tr("Audio files (*.wav *.flac *.mp3 *.aif *.aiff *.m4a *.aac *.ogg *.opus *.wma);;All files (*)"),
        )
        if files:
            self.import_audio(files)

    @Slot(str)
    def use_adapter_in_generation(self, adapter_dir: str) -> bool:
        """"Use in Generation": open the Generation tab with the adapter loaded, on, at full strength."""
        from mixgrv_app.core.training_state import adapter_title

        self.tabs.setCurrentIndex(GENERATION)
        panel = getattr(self.generation_tab(), "lora_panel", None)
        row = panel.use_adapter(adapter_dir) if panel is not None else None
        if row is None:
            self.show_message(self.tr("This adapter could not be loaded in the Generation tab."))
            return False
        self.show_message(self.tr("“{name}” is loaded at full strength for the next take.")
                          .format(name=adapter_title(adapter_dir)))
        return True

    @Slot(list)
    def receive_from_other_instance(self, paths: list[str]) -> None:
        """A second `mixgrv` start: come forward, and import what it was given."""
        self.bring_to_front()
        if paths:
            self.import_audio(paths)

    def bring_to_front(self) -> None:
        if self.isMinimized():
            self.showNormal()
        self.show()
        if QApplication.platformName() not in ("offscreen", "minimal"):  # no window manager there
            self.raise_()
            self.activateWindow()

    # -- drag and drop anywhere ----------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: ANN001
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
            self.overlay.cover()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: ANN001
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # noqa: ANN001
        self.overlay.hide()

    def dropEvent(self, event) -> None:  # noqa: ANN001
        self.overlay.hide()
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.import_audio(paths)

    @Slot(QWidget)
    def _watch_text_fields(self, root: QWidget) -> None:
        """Text fields accept drops (they would paste the file path); route file drops here instead."""
        from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QPlainTextEdit, QTextEdit

        for widget in [root, *root.findChildren(QWidget)]:
            if not isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)):
                continue
            if widget.property(ACCEPTS_FILE_DROPS) or id(widget) in self._drop_filtered:
                continue
            targets = [widget]
            if isinstance(widget, (QTextEdit, QPlainTextEdit)):
                targets.append(widget.viewport())
            for target in targets:
                target.installEventFilter(self)
            self._drop_filtered.add(id(widget))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            if local_paths(event.mimeData()):
                if kind == QEvent.Type.Drop:
                    self.dropEvent(event)
                else:
                    self.dragEnterEvent(event) if kind == QEvent.Type.DragEnter else self.dragMoveEvent(event)
                return True
        elif kind == QEvent.Type.DragLeave:
            self.overlay.hide()
        return super().eventFilter(watched, event)

    # -- status bar ---------------------------------------------------------------------------
    @Slot(dict)
    def set_status(self, facts: dict) -> None:
        """Show backend/device/model facts: ``{"backend": ("MLX", "ok"), "model": "turbo"}``.

        A value is text (state "ok") or ``(text, state)`` with state ok / busy / warning / off.
        Texts are shown as given, so callers pass translated words.
        """
        for key, value in facts.items():
            if key not in STATUS_KEYS:
                continue
            text, state = (value, "ok") if isinstance(value, str) else (str(value[0]), str(value[1]))
            self._status[key] = (text, state)
        self._status_guessed = False
        self._render_status()

    def _guess_status(self) -> None:
        """Before any job runs: what this machine will most likely use (no torch/mlx import)."""
        if sys.platform == "darwin" and os.uname().machine == "arm64":
            backend, device = "MLX", self.tr("Apple GPU (Metal)")
        else:
            backend, device = "PyTorch", "CPU"
        from mixgrv_app.core import models

        found = models.generation_ready(self.models_root())
        self._status = {
            "backend": (backend, "ok"),
            "device": (device, "ok"),
            "model": (self.tr("found") if found else self.tr("not downloaded"), "ok" if found else "warning"),
        }

    def _render_status(self) -> None:
        labels = {"backend": self.tr("Backend"), "device": self.tr("Device"), "model": self.tr("Model")}
        for key, pill in self.status_pills.items():
            text, state = self._status.get(key, ("—", "off"))
            pill.set_status(f"{labels[key]}: {text}", state)

    def status_text(self, key: str) -> str:
        return self.status_pills[key].plain_text

    @Slot(str)
    def show_message(self, text: str, timeout_ms: int = 6000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    # -- settings -------------------------------------------------------------------------------
    def set_language(self, code: str) -> None:
        from mixgrv_app import i18n

        self.settings.set(opts.LANGUAGE, code)
        self.settings.sync()
        effective = i18n.resolve_language(code)
        i18n.install(QApplication.instance(), effective)
        self.language_actions[code].setChecked(True)
        self.retranslate_ui()  # now; the tabs retranslate on the LanguageChange events Qt posts
        app_signals().language_changed.emit(effective)

    @Slot()
    def choose_models_folder(self) -> bool:
        """Use a folder that already holds ACE-Step models (an ACE-Step checkpoints/ folder)."""
        from mixgrv_app.ui.model_manager import choose_models_folder

        root = choose_models_folder(self, self.settings.get(opts.MODELS_ROOT) or str(Path.home()))
        if root is None:
            return False
        self.set_models_root(root)
        return True

    def _restore_state(self) -> None:
        geometry = self.settings.get(opts.WINDOW_GEOMETRY)
        if not geometry or not self.restoreGeometry(geometry):
            self.resize(1120, 760)
        state = self.settings.get(opts.WINDOW_STATE)
        if state:
            self.restoreState(state)
        self.tabs.setCurrentIndex(min(self.settings.get(opts.LAST_TAB), self.tabs.count() - 1))

    def save_state(self) -> None:
        self.settings.set(opts.WINDOW_GEOMETRY, self.saveGeometry().data())
        self.settings.set(opts.WINDOW_STATE, self.saveState().data())
        self.settings.set(opts.LAST_TAB, self.tabs.currentIndex())
        self.settings.sync()

    @Slot(int)
    def _on_tab_changed(self, index: int) -> None:
        self.pages[index].widget()
        self.settings.set(opts.LAST_TAB, index)

    # -- closing: one guard for every running job --------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: ANN001 - QCloseEvent
        from mixgrv_app.workers.base import job_registry

        if not self._close_approved and job_registry().count():
            event.ignore()  # a Quit (⌘Q, Dock) is cancelled with it; the sheet decides
            self.ask_about_running_jobs()
            return
        training = self.pages[TRAINING].content
        if training is not None and hasattr(training, "save_edits"):
            training.save_edits()
        self.save_state()
        self._stop_model_jobs()
        super().closeEvent(event)

    def running_jobs_title(self, kinds: list[str]) -> str:
        first = kinds[0] if kinds else "job"
        return {
            "training": self.tr("Training is in progress"),
            "preprocess": self.tr("Songs are being prepared for training"),
            "import": self.tr("Songs are being imported"),
            "autolabel": self.tr("Songs are being labelled"),
            "download": self.tr("A model is being downloaded"),
            "export": self.tr("An export is not finished yet"),
            "generation": self.tr("A song is being generated"),
        }.get(first, self.tr("A job is still running"))

    def ask_about_running_jobs(self) -> QMessageBox:
        """The sheet: stop and save, then quit / keep working / quit without saving."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        from mixgrv_app.workers.base import job_registry

        if self.running_jobs_sheet is not None:
            self.running_jobs_sheet.raise_()
            return self.running_jobs_sheet
        kinds = job_registry().kinds()
        box = QMessageBox(self)
        box.setObjectName("runningJobsSheet")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("mixgrv")
        box.setText(self.running_jobs_title(kinds))
        box.setInformativeText(
            self.tr("Stop and save ends the work after its current step and keeps what is done "
                    "(a training run saves a checkpoint you can resume), then mixgrv quits.")
            if "training" in kinds else
            self.tr("Stop and save keeps what is done (finished songs, a finished export), then mixgrv quits."))
        save = box.addButton(self.tr("Stop, Save and Quit"), QMessageBox.ButtonRole.AcceptRole)
        save.setObjectName("stopSaveQuitButton")
        keep = box.addButton(self.tr("Keep Training") if "training" in kinds else self.tr("Keep Working"),
                             QMessageBox.ButtonRole.RejectRole)
        keep.setObjectName("keepWorkingButton")
        discard = box.addButton(self.tr("Quit Without Saving"), QMessageBox.ButtonRole.DestructiveRole)
        discard.setObjectName("quitWithoutSavingButton")
        box.setDefaultButton(save)
        box.setEscapeButton(keep)
        box.setWindowModality(Qt.WindowModality.WindowModal)  # a sheet on macOS
        box.finished.connect(lambda _result: self._on_running_jobs_answer(box, box.clickedButton()))
        self.running_jobs_sheet = box
        box.open()
        return box

    def _on_running_jobs_answer(self, box: QMessageBox, clicked) -> None:  # noqa: ANN001
        from mixgrv_app.workers.base import job_registry

        self.running_jobs_sheet = None
        box.deleteLater()
        name = clicked.objectName() if clicked is not None else ""
        registry = job_registry()
        if name == "stopSaveQuitButton":
            self.show_message(self.tr("Stopping and saving… mixgrv quits when the work is saved."), 0)
            if not self._closing_after_jobs:
                self._closing_after_jobs = True
                registry.changed.connect(self._close_when_jobs_ended)
            registry.stop_all_and_save()
            self._close_when_jobs_ended(registry.count())
        elif name == "quitWithoutSavingButton":
            registry.abandon_all()
            self._close_approved = True
            self.close()
        # "keep working" (or Esc): the window and every job go on untouched

    @Slot(int)
    def _close_when_jobs_ended(self, count: int) -> None:
        from mixgrv_app.workers.base import job_registry

        if count:
            return
        if self._closing_after_jobs:
            job_registry().changed.disconnect(self._close_when_jobs_ended)
            self._closing_after_jobs = False
        self._close_approved = True
        QTimer.singleShot(0, self.close)  # after the job's last signals were handled

    # -- help -----------------------------------------------------------------------------------
    def _set_full_screen(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    def _reveal(self, which: str) -> None:
        from PySide6.QtGui import QDesktopServices

        from mixgrv_app import paths

        folder = paths.logs_dir() if which == "logs" else paths.data_root()
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    @Slot()
    def show_about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from mixgrv_app import paths

        QMessageBox.about(
            self,
            self.tr("About mixgrv"),
            self.tr(
                "<h3>mixgrv {version}</h3>"
                "<p>Train LoRA adapters for ACE-Step 1.5 on your own Mac, and make music with them.</p>"
                "<p>Your data: {data}</p>"
            ).format(version=__version__, data=paths.data_root()),
        )

    def show_startup_notes(self, notes: list[str]) -> QMessageBox | None:
        """Things the user should know that did not stop the start (a fallback folder, reset settings)."""
        if not notes:
            return None
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("mixgrv")
        box.setText(self.tr("mixgrv started, but some things need your attention."))
        box.setInformativeText("\n\n".join(notes))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        from PySide6.QtCore import Qt

        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.startup_notes_box = box
        box.open()
        return box

    # -- models: Settings ▸ 모델…, the first-run welcome, download progress in the status bar ---------
    def _init_models(self) -> None:
        self._model_jobs = None  # workers.models.ModelJobs, made on first use
        self.model_manager = None
        self.model_welcome = None
        self._models_offered = False
        self._status_download_bar = None  # made when the first model job starts
        self.tabs_ready.connect(self._offer_models_on_start)

    def models_root(self) -> str:
        from mixgrv_app.workers.models import models_root

        return models_root(self.settings)

    def model_jobs(self):  # noqa: ANN201 - workers.models.ModelJobs
        if self._model_jobs is None:
            from mixgrv_app.workers.models import ModelJobs

            self._model_jobs = ModelJobs(self)
            self._model_jobs.started.connect(self._on_model_job_started)
            self._model_jobs.progress.connect(self._on_model_job_progress)
            self._model_jobs.component_ready.connect(lambda _name: self._models_changed())
            self._model_jobs.finished.connect(self._on_model_job_finished)
        return self._model_jobs

    def set_models_root(self, root: str) -> None:
        self.settings.set(opts.MODELS_ROOT, str(root))
        if self.model_manager is not None:
            self.model_manager.set_root(str(root))
        self._models_changed()

    def _models_changed(self) -> None:
        """A component became usable or went away: status bar and tabs read core.models again."""
        from mixgrv_app.core import models

        root = self.models_root()
        ready = models.generation_ready(root)
        self._model_status(self.tr("found") if ready else self.tr("not downloaded"), "ok" if ready else "warning")
        app_signals().models_changed.emit(root)

    @Slot()
    def show_model_manager(self):  # noqa: ANN201 - ui.model_manager.ModelManager
        from mixgrv_app.ui.model_manager import ModelManager

        if self.model_manager is None:
            self.model_manager = ModelManager(self.models_root(), self.model_jobs(), self)
            self.model_manager.folder_change_requested.connect(self.choose_models_folder)
        else:
            self.model_manager.set_root(self.models_root())
        self.model_manager.open()
        return self.model_manager

    @Slot()
    def _offer_models_on_start(self) -> None:
        if not self._models_offered:
            self._models_offered = True
            QTimer.singleShot(0, self.offer_models_if_missing)  # after whatever showed the window

    def offer_models_if_missing(self):  # noqa: ANN201 - ui.model_manager.ModelWelcome | None
        """The welcome sheet when no usable model set is there (and no download is running)."""
        from mixgrv_app.core import models

        root = self.models_root()
        if models.generation_ready(root) or (self._model_jobs is not None and self._model_jobs.is_running()):
            return None
        from mixgrv_app.ui.model_manager import ModelWelcome

        if self.model_welcome is not None:
            self.model_welcome.deleteLater()  # one welcome sheet at a time
        welcome = ModelWelcome(root, self)
        welcome.download_requested.connect(self._download_from_welcome)
        welcome.folder_requested.connect(self._choose_folder_from_welcome)
        self.model_welcome = welcome
        welcome.open()
        return welcome

    @Slot(list)
    def _download_from_welcome(self, names: list[str]) -> None:
        self.show_model_manager().start_download(names)

    @Slot()
    def _choose_folder_from_welcome(self) -> None:
        """No folder chosen: the welcome comes back. One without every essential: the manager shows what is missing."""
        from mixgrv_app.core import models

        if not self.choose_models_folder():
            self.offer_models_if_missing()
        elif not models.generation_ready(self.models_root()):
            self.show_model_manager()

    @Slot(str)
    def _on_model_job_started(self, kind: str) -> None:
        from mixgrv_app.workers.models import DOWNLOAD, VERIFY

        if kind not in (DOWNLOAD, VERIFY):
            return  # removing a folder is quick; the sheet says when it is done
        self._model_status(self.tr("downloading…") if kind == DOWNLOAD else self.tr("checking…"), "busy")
        bar = self._download_bar()
        bar.setValue(0)
        bar.show()

    @Slot(object)
    def _on_model_job_progress(self, event) -> None:  # noqa: ANN001 - core.jobs.Progress
        if event.stage == "file" or event.total <= 0:
            return
        fraction = event.overall if event.overall is not None else event.done / event.total
        percent = int(100 * max(0.0, min(1.0, fraction)))
        self._download_bar().setValue(percent)
        verb = self.tr("downloading {percent}%") if event.stage == "download" else self.tr("checking {percent}%")
        self._model_status(verb.format(percent=percent), "busy")

    @Slot(str, str, object)
    def _on_model_job_finished(self, kind: str, outcome: str, detail) -> None:  # noqa: ANN001
        from mixgrv_app.workers.models import CANCELLED, DOWNLOAD, FAILED

        self._download_bar().hide()
        self._models_changed()
        if outcome == FAILED:
            from mixgrv_app.ui.messages import text_for_error

            self.show_message(text_for_error(detail), 12000)
        elif outcome == CANCELLED:
            self.show_message(self.tr("Model download stopped. It continues where it stopped when you download again."))
        elif kind == DOWNLOAD:
            self.show_message(self.tr("The models are ready."))

    def _model_status(self, text: str, state: str) -> None:
        self._status["model"] = (text, state)
        self._render_status()

    def _download_bar(self):  # noqa: ANN201 - ui.model_manager.StatusDownloadBar
        bar = self._status_download_bar
        if bar is None:
            from mixgrv_app.ui.model_manager import StatusDownloadBar

            bar = StatusDownloadBar()
            bar.clicked.connect(self.show_model_manager)
            self.statusBar().insertPermanentWidget(0, bar)
            bar.hide()
            self._status_download_bar = bar
        return bar

    def _stop_model_jobs(self) -> None:
        """Quitting stops a download at once; the next one resumes from what is on disk."""
        if self._model_jobs is not None:
            self._model_jobs.shutdown()
