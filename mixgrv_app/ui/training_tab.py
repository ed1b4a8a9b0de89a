"""Training tab — placeholder until the Training tab issue lands (its owner replaces this file).

It says what the tab will hold and lists the audio paths that reach it through the main
window's one import entry point (drops, Dock, 파일 > 오디오 가져오기…, a second instance).
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QVBoxLayout, QWidget

from mixgrv_app.ui.widgets import DropZone


class TrainingTab(QWidget):
    """Placeholder: a drop zone and the list of paths received so far."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingTab")
        self.received: list[str] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 20, 28, 20)
        layout.setSpacing(14)
        self.heading = QLabel(objectName="pageTitle")
        self.intro = QLabel(objectName="secondaryText", wordWrap=True)
        self.drop_zone = DropZone("", "")
        self.drop_zone.paths_dropped.connect(self.import_audio_paths)
        self.list_title = QLabel(objectName="sectionTitle")
        self.list = QListWidget(objectName="pathList")
        self.list.setAlternatingRowColors(True)
        self.empty = QLabel(objectName="secondaryText", alignment=Qt.AlignmentFlag.AlignCenter)
        steps = QHBoxLayout()
        steps.setSpacing(10)
        self.steps = [QLabel(objectName="stepChip") for _ in range(4)]
        for chip in self.steps:
            steps.addWidget(chip)
        steps.addStretch(1)
        layout.addWidget(self.heading)
        layout.addWidget(self.intro)
        layout.addLayout(steps)
        layout.addWidget(self.drop_zone)
        layout.addWidget(self.list_title)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        self.retranslate_ui()
        self._refresh()

    def retranslate_ui(self) -> None:
        self.heading.setText(self.tr("Train your own style"))
        self.intro.setText(
            self.tr(
                "Drop your songs here to build a dataset. mixgrv will check and label them, "
                "prepare them for training, and train a LoRA adapter on this Mac."
            )
        )
        self.drop_zone.set_texts(
            self.tr("Drop songs or folders here"),
            self.tr("WAV, FLAC, MP3, AIFF, M4A and more — or choose File > Import Audio…"),
        )
        for chip, text in zip(
            self.steps, (self.tr("1  Dataset"), self.tr("2  Labels"), self.tr("3  Preprocess"), self.tr("4  Train"))
        ):
            chip.setText(text)
        self.list_title.setText(self.tr("Received files"))
        self.empty.setText(self.tr("No songs yet."))

    def changeEvent(self, event) -> None:  # noqa: ANN001
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)

    def import_audio_paths(self, paths: list[str]) -> None:
        """Receive files/folders to import (the dataset issue turns this into a real import)."""
        for path in paths:
            if path not in self.received:
                self.received.append(path)
                self.list.addItem(path)
        self._refresh()

    def _refresh(self) -> None:
        has = bool(self.received)
        self.list.setVisible(has)
        self.list_title.setVisible(has)
        self.empty.setVisible(not has)
