"""Results: the persistent history of takes, each with its waveform, and the transport under it.

The list (``resultsList``) shows every take from ``core.history.History``, newest first: a title
from the caption, chips for seed / model / LoRA strengths, the waveform with a moving playhead.
The bar under it acts on the selected take: play/pause (space), stop, time, "reuse these
settings", A/B, export (WAV 16/24/32f, FLAC, MP3 through a save dialog), reveal in Finder, delete
(undo for a few seconds, or ⌘Z).

Export asks ``core/export.py``: the formats, what the dialog's answer means (a typed ``.flac``
wins over the WAV filter) and the work itself, which runs through ``workers.base.JobRunner``
(reading and encoding an MP3 takes long enough to stall the window otherwise). An export is
listed in the job registry with ``on_quit="finish"``: quitting while it writes waits for it.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mixgrv_app.core.export import EXPORT_FORMATS, export_format, export_take, export_target
from mixgrv_app.core.history import History, Take
from mixgrv_app.ui.player import PLAYING, Player
from mixgrv_app.ui.waveform import WaveformView
from mixgrv_app.core.models import display_name
from mixgrv_app.ui.widgets import Retranslating

log = logging.getLogger(__name__)

UNDO_MS = 8000


def format_time(seconds: float) -> str:
    seconds = max(0.0, seconds)
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def reveal_in_file_manager(path: str) -> None:
    """Finder on macOS (selecting the file), the file manager on the folder elsewhere."""
    if sys.platform == "darwin":
        subprocess.Popen(["open", "-R", path])  # noqa: S603,S607
    elif sys.platform.startswith("win"):
        subprocess.Popen(["explorer", "/select,", os.path.normpath(path)])  # noqa: S603,S607
    else:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))


class TakeCard(QFrame):
    """One take in the list: title, chips, waveform."""

    seek_requested = Signal(str, float)  # take id, fraction
    lm_plan_copy_requested = Signal(object)  # issue 15: Take whose LM plan goes back into the form

    def __init__(self, take: Take, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("takeCard")
        self.setProperty("selected", False)
        self.take = take
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 9, 12, 10)
        layout.setSpacing(5)
        top = QHBoxLayout()
        top.setSpacing(6)
        self.title = QLabel(objectName="takeTitle")
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.when = QLabel(objectName="takeMeta")
        top.addWidget(self.title, 1)
        top.addWidget(self.when)
        self.chips = QHBoxLayout()
        self.chips.setSpacing(5)
        self.waveform = WaveformView(take.peaks)
        self.waveform.seek_requested.connect(lambda f: self.seek_requested.emit(self.take.id, f))
        layout.addLayout(top)
        layout.addLayout(self.chips)
        # ---- issue 15: what the LM chose, with a link that copies it back into the form ----
        self.lm_plan_label = QLabel(objectName="lmPlanLabel")
        self.lm_plan_label.setWordWrap(True)
        self.lm_plan_label.setTextFormat(Qt.TextFormat.RichText)
        self.lm_plan_label.linkActivated.connect(lambda _link: self.lm_plan_copy_requested.emit(self.take))
        self.lm_plan_label.setVisible(bool(take.lm_plan))
        layout.addWidget(self.lm_plan_label)
        # ---- end issue 15 ----
        layout.addWidget(self.waveform)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        take = self.take
        caption = (take.request.get("caption") or "").strip().replace("\n", " ")
        title = caption if len(caption) <= 70 else caption[:68] + "…"
        if take.ab_label:
            title = f"A/B · {self._ab_text(take.ab_label)} — {title}"
        self.title.setText(title or self.tr("Untitled take"))
        self.title.setToolTip(caption)
        stamp = time.strftime("%m-%d %H:%M", time.localtime(take.created_at))
        self.when.setText(f"{stamp} · {format_time(take.duration_s)}")
        while self.chips.count():
            item = self.chips.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        texts = [self.tr("seed {seed}").format(seed=take.seed), display_name(take.variant)]
        if take.request.get("instrumental"):
            texts.append(self.tr("instrumental"))
        active = [a for a in take.adapters if a.get("enabled", True) and float(a.get("scale", 0)) > 0]
        for adapter in active:
            texts.append(f"LoRA {adapter.get('name', '?')} {int(round(float(adapter.get('scale', 0)) * 100))}%")
        if not active:
            texts.append(self.tr("no LoRA"))
        # ---- issue 16: which task made the take, and from what ----
        from mixgrv_app.ui.source_panel import take_task, task_label

        task, origin = take_task(take)
        if task != "text2music":
            origin_text = self.tr("from codes") if origin == "codes" else origin
            texts.insert(0, f"{task_label(task)} · {origin_text}" if origin_text else task_label(task))
        # ---- end issue 16 ----
        if take.lm_plan:  # issue 15
            import html

            from mixgrv_app.ui.lm_panel import plan_text

            body = html.escape(plan_text(take.lm_plan)).replace("\n", "<br>")
            link = self.tr("Use these values")
            self.lm_plan_label.setText(f"{body} <a href='copy'>{html.escape(link)}</a>")
            self.lm_plan_label.setToolTip(self.tr("Copy the BPM, key, time signature, language, length and caption "
                                                  "the LM chose into the form"))
        for text in texts:
            chip = QLabel(text, objectName="metaChip")
            self.chips.addWidget(chip)
        self.chips.addStretch(1)

    def _ab_text(self, label: str) -> str:
        if label == "off":
            return self.tr("LoRA off")
        try:
            return self.tr("strength {n}%").format(n=int(round(float(label) * 100)))
        except ValueError:
            return label

    def set_selected(self, on: bool) -> None:
        if self.property("selected") != on:
            self.setProperty("selected", on)
            self.style().unpolish(self)
            self.style().polish(self)


class ResultsView(Retranslating, QWidget):
    """History list + transport. The tab connects ``reuse_requested`` and ``ab_requested``."""

    reuse_requested = Signal(object)   # Take
    lm_plan_copy_requested = Signal(object)  # Take (issue 15: the LM plan's values back into the form)
    send_to_source_requested = Signal(object)  # Take (issue 16: "소스로 보내기")
    ab_requested = Signal(object)      # Take
    message = Signal(str)              # translated status line
    export_finished = Signal(str)      # the written path (tests wait on it)
    export_failed = Signal(str)

    def __init__(self, history: History, player: Player, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultsView")
        self.history = history
        self.player = player
        self.cards: dict[str, TakeCard] = {}
        self._exports: list[Any] = []
        self._last_deleted: str | None = None
        self._build()
        self.reload()
        player.position_changed.connect(self._on_position)
        player.state_changed.connect(self._on_player_state)
        player.error.connect(self.message)
        self.retranslate_ui()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        head = QHBoxLayout()
        self.title = QLabel(objectName="sectionHeading")
        self.count = QLabel(objectName="hintText")
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.count)
        self.list = QListWidget(objectName="resultsList")
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.list.setSpacing(3)
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.list.itemDoubleClicked.connect(lambda _item: self.play_selected())
        self.empty = QLabel(objectName="emptyState", wordWrap=True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.undo_bar = QFrame(objectName="undoBar")
        undo_row = QHBoxLayout(self.undo_bar)
        undo_row.setContentsMargins(12, 6, 6, 6)
        self.undo_label = QLabel(objectName="undoText")
        self.undo_button = QPushButton(objectName="undoButton")
        self.undo_button.clicked.connect(self.undo_delete)
        undo_row.addWidget(self.undo_label, 1)
        undo_row.addWidget(self.undo_button)
        self.undo_bar.hide()
        self._undo_timer = QTimer(self, singleShot=True, interval=UNDO_MS)
        self._undo_timer.timeout.connect(self.undo_bar.hide)

        bar = QFrame(objectName="transportBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(10, 6, 10, 6)
        row.setSpacing(6)
        self.play_button = QToolButton(objectName="playButton")
        self.stop_button = QToolButton(objectName="stopButton")
        self.time_label = QLabel("0:00 / 0:00", objectName="timeLabel")
        self.reuse_button = QPushButton(objectName="reuseButton")
        self.ab_button = QPushButton(objectName="abButton")
        self.export_button = QPushButton(objectName="exportButton")
        self.send_to_source_button = QPushButton(objectName="sendToSourceButton")  # issue 16
        self.reveal_button = QToolButton(objectName="revealButton")
        self.delete_button = QToolButton(objectName="deleteButton")
        for button in (self.play_button, self.stop_button, self.reveal_button, self.delete_button):
            button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.play_button.setFixedSize(QSize(34, 34))
        self.stop_button.setFixedSize(QSize(30, 30))
        row.addWidget(self.play_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.time_label)
        row.addStretch(1)
        row.addWidget(self.reuse_button)
        row.addWidget(self.ab_button)
        row.addWidget(self.send_to_source_button)  # issue 16
        row.addWidget(self.export_button)
        row.addWidget(self.reveal_button)
        row.addWidget(self.delete_button)
        self.play_button.clicked.connect(self.toggle_playback)
        self.stop_button.clicked.connect(self.player.stop)
        self.reuse_button.clicked.connect(self._reuse)
        self.ab_button.clicked.connect(self._ab)
        self.send_to_source_button.clicked.connect(self._send_to_source)  # issue 16
        self.export_button.clicked.connect(self.choose_export)
        self.reveal_button.clicked.connect(self.reveal_selected)
        self.delete_button.clicked.connect(self.delete_selected)

        layout.addLayout(head)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.undo_bar)
        layout.addWidget(bar)

        self.undo_shortcut = QShortcut(QKeySequence.StandardKey.Undo, self, self.undo_delete)
        self.undo_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Backspace), self.list, self.delete_selected)
        self.delete_shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)

    def retranslate_ui(self) -> None:
        self.title.setText(self.tr("Results"))
        self.empty.setText(self.tr("Your takes will appear here.\nWrite a caption and press Generate (⌘↩)."))
        self.reuse_button.setText(self.tr("Reuse Settings"))
        self.reuse_button.setToolTip(self.tr("Put this take's settings and seed back into the form"))
        self.ab_button.setText(self.tr("A/B"))
        self.ab_button.setToolTip(self.tr("Render this take again with the same seed: without the LoRA and at two strengths"))
        self.export_button.setText(self.tr("Export…"))
        self.send_to_source_button.setText(self.tr("Send to Source"))  # issue 16
        self.send_to_source_button.setToolTip(self.tr("Use this take as the source of a cover, repaint, extend or instrument task"))
        self.reveal_button.setText(self.tr("Show"))
        self.reveal_button.setToolTip(self.tr("Show in Finder"))
        self.delete_button.setText(self.tr("Delete"))
        self.delete_button.setToolTip(self.tr("Delete this take (you can undo)"))
        self.stop_button.setText("■")
        self.stop_button.setToolTip(self.tr("Stop"))
        self.undo_button.setText(self.tr("Undo"))
        for card in self.cards.values():
            card.retranslate_ui()
        self._render_play_button()
        self._render_count()

    # -- list -----------------------------------------------------------------------------------
    def reload(self) -> None:
        self.list.clear()
        self.cards.clear()
        for take in self.history.takes():
            self._append_card(take, at_top=False)
        if self.list.count():
            self.list.setCurrentRow(0)
        self._render_count()

    def _append_card(self, take: Take, at_top: bool, position: int | None = None) -> QListWidgetItem:
        card = TakeCard(take)
        card.seek_requested.connect(self._on_card_seek)
        card.lm_plan_copy_requested.connect(self.lm_plan_copy_requested)  # issue 15
        item = QListWidgetItem()
        item.setData(Qt.ItemDataRole.UserRole, take.id)
        item.setSizeHint(QSize(300, card.sizeHint().height()))
        if position is not None:
            self.list.insertItem(position, item)
        elif at_top:
            self.list.insertItem(0, item)
        else:
            self.list.addItem(item)
        self.list.setItemWidget(item, card)
        self.cards[take.id] = card
        return item

    def add_takes(self, takes: list[Take]) -> None:
        """Show takes just recorded in the history (already there), first one selected."""
        for take in reversed(takes):
            self._append_card(take, at_top=True)
        if takes:
            self.list.setCurrentRow(0)
            self.list.scrollToTop()
        self._render_count()

    def _render_count(self) -> None:
        n = self.list.count()
        self.count.setText(self.tr("%n take(s)", "", n) if n else "")
        self.list.setVisible(n > 0)
        self.empty.setVisible(n == 0)
        has = self.selected_take() is not None
        for w in (self.play_button, self.stop_button, self.reuse_button, self.ab_button, self.export_button,
                  self.reveal_button, self.delete_button, self.send_to_source_button):
            w.setEnabled(has)

    def selected_take(self) -> Take | None:
        item = self.list.currentItem()
        if item is None:
            return None
        card = self.cards.get(item.data(Qt.ItemDataRole.UserRole))
        return card.take if card else None

    def select(self, take_id: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == take_id:
                self.list.setCurrentRow(i)
                return

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_current_changed(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        for item, on in ((previous, False), (current, True)):
            if item is not None:
                card = self.cards.get(item.data(Qt.ItemDataRole.UserRole))
                if card is not None:
                    card.set_selected(on)
        self._render_count()

    # -- playback -------------------------------------------------------------------------------
    def _ensure_loaded(self, take: Take) -> bool:
        if self.player.source == take.audio_path:
            return True
        return self.player.load(take.audio_path)

    @Slot()
    def play_selected(self) -> bool:
        take = self.selected_take()
        if take is None or not self._ensure_loaded(take):
            return False
        return self.player.play()

    @Slot()
    def toggle_playback(self) -> None:
        take = self.selected_take()
        if take is None:
            return
        if self.player.source == take.audio_path:
            self.player.toggle()
        else:
            self.play_selected()

    @Slot(str, float)
    def _on_card_seek(self, take_id: str, fraction: float) -> None:
        self.select(take_id)
        take = self.history.get(take_id) or (self.cards[take_id].take if take_id in self.cards else None)
        if take is None or not self._ensure_loaded(take):
            return
        self.player.seek_fraction(fraction)
        if self.player.state != PLAYING:
            self.player.play()

    @Slot(float)
    def _on_position(self, seconds: float) -> None:
        duration = self.player.duration()
        self.time_label.setText(f"{format_time(seconds)} / {format_time(duration)}")
        source = self.player.source
        for card in self.cards.values():
            if card.take.audio_path == source and duration > 0:
                card.waveform.set_position(seconds / duration, visible=True)
            elif card.waveform.playhead_visible():
                card.waveform.set_position(0.0, visible=False)

    @Slot(str)
    def _on_player_state(self, _state: str) -> None:
        self._render_play_button()

    def _render_play_button(self) -> None:
        playing = self.player.state == PLAYING
        self.play_button.setText("❚❚" if playing else "▶")
        self.play_button.setToolTip(self.tr("Pause (Space)") if playing else self.tr("Play (Space)"))
        self.play_button.setProperty("playing", playing)

    # -- actions -------------------------------------------------------------------------------------
    @Slot()
    def _reuse(self) -> None:
        take = self.selected_take()
        if take is not None:
            self.reuse_requested.emit(take)

    @Slot()
    def _send_to_source(self) -> None:  # issue 16
        take = self.selected_take()
        if take is not None:
            self.send_to_source_requested.emit(take)

    @Slot()
    def _ab(self) -> None:
        take = self.selected_take()
        if take is not None:
            self.ab_requested.emit(take)

    @Slot()
    def reveal_selected(self) -> None:
        take = self.selected_take()
        if take is not None:
            reveal_in_file_manager(take.audio_path)

    @Slot()
    def delete_selected(self) -> None:
        take = self.selected_take()
        if take is None:
            return
        if self.player.source == take.audio_path:
            self.player.stop()
            self.player.shutdown()
        row = self.list.currentRow()
        if not self.history.delete(take.id):
            return
        self.list.takeItem(row)
        self.cards.pop(take.id, None)
        self._last_deleted = take.id
        self.undo_label.setText(self.tr("Take deleted."))
        self.undo_bar.show()
        self._undo_timer.start()
        if self.list.count():
            self.list.setCurrentRow(min(row, self.list.count() - 1))
        self._render_count()

    @Slot()
    def undo_delete(self) -> Take | None:
        if self._last_deleted is None:
            return None
        take = self.history.undo_delete(self._last_deleted)
        self._last_deleted = None
        self.undo_bar.hide()
        if take is None:
            self.message.emit(self.tr("The deleted take could not be restored."))
            return None
        position = next((i for i, t in enumerate(self.history.takes()) if t.id == take.id), 0)
        self._append_card(take, at_top=False, position=position)
        self.list.setCurrentRow(position)
        self._render_count()
        return take

    # -- export -------------------------------------------------------------------------------------------
    def format_filters(self) -> list[tuple[str, str]]:
        """(format id, the save dialog's filter text), in the dialog's order."""
        names = {
            "wav16": self.tr("WAV, 16-bit (*.wav)"),
            "wav24": self.tr("WAV, 24-bit (*.wav)"),
            "wav32f": self.tr("WAV, 32-bit float (*.wav)"),
            "flac": self.tr("FLAC, lossless (*.flac)"),
            "mp3": self.tr("MP3 (*.mp3)"),
        }
        return [(f.id, names[f.id]) for f in EXPORT_FORMATS]

    @Slot()
    def choose_export(self) -> None:
        take = self.selected_take()
        if take is None:
            return
        filters = self.format_filters()
        caption = (take.request.get("caption") or "mixgrv").strip().split("\n")[0][:40].strip() or "mixgrv"
        safe = "".join(c if c.isalnum() or c in " -_" or ord(c) > 127 else "_" for c in caption).strip()
        start = str(Path.home() / "Music" / f"{safe} - {take.seed}.wav")
        path, chosen = QFileDialog.getSaveFileName(self, self.tr("Export Take"), start, ";;".join(f[1] for f in filters))
        if not path:
            return
        filter_format = next((fid for fid, text in filters if text == chosen), filters[0][0])
        target, fmt = export_target(path, filter_format)
        self.export(take, target, fmt.id)

    def export(self, take: Take, target: str, format_id: str) -> Any:
        """Write ``take`` to ``target`` in the background; ``export_finished``/``export_failed`` follow."""
        from mixgrv_app.workers.base import JobRunner

        export_format(format_id)  # an unknown id fails here, not in the job thread
        title = (take.request.get("caption") or "").strip()[:120]
        comment = f"mixgrv · seed {take.seed} · {take.variant}"
        runner = JobRunner(lambda _events, _cancel: export_take(take.audio_path, target, format_id, title, comment), self,
                           kind="export", on_quit="finish")
        runner.succeeded.connect(self._on_export_done)
        runner.failed.connect(self._on_export_failed)
        runner.finished.connect(self._forget_export)
        self._exports.append(runner)
        runner.start()
        self.message.emit(self.tr("Exporting {name}…").format(name=Path(target).name))
        return runner

    @Slot(object)
    def _on_export_done(self, path: object) -> None:
        self.message.emit(self.tr("Exported {name}.").format(name=Path(str(path)).name))
        self.export_finished.emit(str(path))

    @Slot(object)
    def _on_export_failed(self, exc: object) -> None:
        from mixgrv_app.ui.messages import text_for_error

        text = self.tr("Export failed: {reason}").format(reason=text_for_error(exc))  # type: ignore[arg-type]
        self.message.emit(text)
        self.export_failed.emit(text)

    @Slot()
    def _forget_export(self) -> None:
        self._exports = [r for r in self._exports if r.is_running()]
