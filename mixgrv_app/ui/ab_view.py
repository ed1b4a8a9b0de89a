"""A/B: the same request and seed rendered without the LoRA and at two strengths, side by side.

Each lane is one take (``ab_label`` "off", "0.5", "1.0"...). One transport plays whichever lane is
selected; switching lanes (click, or keys 1–4) keeps the playback position, so the listener
hears the same bar with and without the adapter — the quickest way to tell whether a LoRA does
anything at all.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from mixgrv_app.core.history import Take
from mixgrv_app.ui.player import PLAYING, Player
from mixgrv_app.ui.waveform import WaveformView
from mixgrv_app.ui.widgets import Retranslating


def lane_order(label: str) -> float:
    return -1.0 if label == "off" else float(label) if label.replace(".", "", 1).isdigit() else 99.0


class Lane(QFrame):
    chosen = Signal(int)
    seek_requested = Signal(int, float)

    def __init__(self, index: int, take: Take, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("abLane")
        self.setProperty("active", False)
        self.index, self.take = index, take
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.setSpacing(10)
        self.key = QLabel(str(index + 1), objectName="abKey")
        self.key.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.key.setFixedWidth(24)
        self.name = QLabel(objectName="abLaneName")
        self.name.setMinimumWidth(110)
        self.waveform = WaveformView(take.peaks)
        self.waveform.seek_requested.connect(lambda f: self.seek_requested.emit(self.index, f))
        row.addWidget(self.key)
        row.addWidget(self.name)
        row.addWidget(self.waveform, 1)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        label = self.take.ab_label
        if label in ("source", "take"):  # issue 16: a take against its source
            self.name.setText(self.tr("Source") if label == "source" else self.tr("This take"))
        elif label == "off":
            self.name.setText(self.tr("Without LoRA"))
        else:
            try:
                self.name.setText(self.tr("LoRA {n}%").format(n=int(round(float(label) * 100))))
            except ValueError:
                self.name.setText(label)

    def set_active(self, on: bool) -> None:
        if self.property("active") != on:
            self.setProperty("active", on)
            for w in (self, self.key, self.name):
                w.style().unpolish(w)
                w.style().polish(w)

    def mousePressEvent(self, event) -> None:  # noqa: ANN001
        self.chosen.emit(self.index)
        super().mousePressEvent(event)


class ABView(Retranslating, QFrame):
    """Lanes + one transport; ``closed`` when the user dismisses the comparison."""

    closed = Signal()

    def __init__(self, player: Player, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("abView")
        self.player = player
        self.lanes: list[Lane] = []
        self.active = 0
        outer = QVBoxLayout(self)
        outer.setContentsMargins(14, 10, 14, 12)
        outer.setSpacing(6)
        head = QHBoxLayout()
        self.title = QLabel(objectName="sectionHeading")
        self.subtitle = QLabel(objectName="hintText")
        self.close_button = QToolButton(objectName="abClose", text="✕")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self._close)
        head.addWidget(self.title)
        head.addWidget(self.subtitle, 1)
        head.addWidget(self.close_button)
        self.lanes_box = QVBoxLayout()
        self.lanes_box.setSpacing(4)
        transport = QHBoxLayout()
        self.play_button = QPushButton(objectName="abPlayButton")
        self.play_button.setProperty("primary", True)
        self.play_button.clicked.connect(self.toggle)
        self.hint = QLabel(objectName="hintText")
        transport.addWidget(self.play_button)
        transport.addWidget(self.hint, 1)
        outer.addLayout(head)
        outer.addLayout(self.lanes_box)
        outer.addLayout(transport)
        self.shortcuts = []
        for n in range(4):
            shortcut = QShortcut(QKeySequence(str(n + 1)), self, lambda i=n: self.switch_to(i))
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.shortcuts.append(shortcut)
        player.position_changed.connect(self._on_position)
        player.state_changed.connect(self._render_play)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.title.setText(self.tr("A/B comparison"))
        if self.lanes:
            take = self.lanes[0].take
            if take.ab_label == "source":  # issue 16: a take against its source
                self.subtitle.setText(self.tr("the source and the take · switch lanes while playing"))
            else:
                self.subtitle.setText(self.tr("same caption and seed {seed} · switch lanes while playing").format(seed=take.seed))
        self.hint.setText(self.tr("Click a lane or press 1–{n}: playback continues at the same position.").format(n=max(1, len(self.lanes))))
        self.close_button.setToolTip(self.tr("Close the comparison"))
        for lane in self.lanes:
            lane.retranslate_ui()
        self._render_play()

    def set_takes(self, takes: list[Take]) -> None:
        for lane in self.lanes:
            self.lanes_box.removeWidget(lane)
            lane.deleteLater()
        self.lanes = []
        for i, take in enumerate(sorted(takes, key=lambda t: lane_order(t.ab_label))):
            lane = Lane(i, take)
            lane.chosen.connect(self.switch_to)
            lane.seek_requested.connect(self._seek)
            self.lanes_box.addWidget(lane)
            self.lanes.append(lane)
        self.active = 0
        self._render_lanes()
        self.retranslate_ui()

    def takes(self) -> list[Take]:
        return [lane.take for lane in self.lanes]

    @Slot(int)
    def switch_to(self, index: int) -> bool:
        """Play lane ``index`` from where the current lane is (loads it when nothing plays yet)."""
        if not 0 <= index < len(self.lanes):
            return False
        self.active = index
        path = self.lanes[index].take.audio_path
        ok = self.player.switch_to(path) if self.player.source in self._paths() else self.player.load(path)
        self._render_lanes()
        return ok

    def _paths(self) -> list[str]:
        return [lane.take.audio_path for lane in self.lanes]

    @Slot()
    def toggle(self) -> None:
        if not self.lanes:
            return
        if self.player.source not in self._paths():
            self.switch_to(self.active)
        self.player.toggle()

    @Slot(int, float)
    def _seek(self, index: int, fraction: float) -> None:
        if index != self.active or self.player.source not in self._paths():
            self.switch_to(index)
        self.player.seek_fraction(fraction)

    def _render_lanes(self) -> None:
        for lane in self.lanes:
            lane.set_active(lane.index == self.active)

    @Slot(float)
    def _on_position(self, seconds: float) -> None:
        duration = self.player.duration()
        ours = self.player.source in self._paths()
        for lane in self.lanes:
            # every lane shows the shared position: that is what switching keeps
            lane.waveform.set_position(seconds / duration if (ours and duration) else 0.0, visible=ours)

    @Slot()
    def _render_play(self, *_args) -> None:  # noqa: ANN002
        playing = self.player.state == PLAYING and self.player.source in self._paths()
        self.play_button.setText(self.tr("❚❚  Pause") if playing else self.tr("▶  Play A/B"))

    @Slot()
    def _close(self) -> None:
        if self.player.source in self._paths():
            self.player.stop()
        self.hide()
        self.closed.emit()
