"""Small widgets shared by the tabs: a file drop zone, a placeholder page, a status pill.

Each is styled through its objectName / dynamic properties in resources/style.qss, so the
tabs look alike without repeating colours in Python.

A widget that wants file drops for itself (a reference-audio field, the training drop zone)
sets the property ``acceptsFileDrops`` to True; otherwise the main window takes file drops
that land on text fields and imports them as training audio.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import html

from PySide6.QtCore import QMimeData, Qt, QUrl, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

ACCEPTS_FILE_DROPS = "acceptsFileDrops"


def local_paths(mime: QMimeData | None) -> list[str]:
    """Local file/folder paths carried by a drag (URLs that are not local files are ignored)."""
    if mime is None or not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if isinstance(url, QUrl) and url.isLocalFile()]


def polish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


class DropZone(QFrame):
    """A rounded dashed area that takes files and folders dropped from Finder."""

    paths_dropped = Signal(list)

    def __init__(self, title: str, subtitle: str = "", symbol: str = "♫", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setProperty(ACCEPTS_FILE_DROPS, True)
        self.setProperty("hovering", False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(150)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(6)
        self.symbol = QLabel(symbol, objectName="dropZoneSymbol", alignment=Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel(title, objectName="dropZoneTitle", alignment=Qt.AlignmentFlag.AlignCenter)
        self.subtitle = QLabel(subtitle, objectName="dropZoneSubtitle", alignment=Qt.AlignmentFlag.AlignCenter)
        self.subtitle.setWordWrap(True)
        layout.addStretch(1)
        for label in (self.symbol, self.title, self.subtitle):
            layout.addWidget(label)
        layout.addStretch(1)

    def set_texts(self, title: str, subtitle: str = "") -> None:
        self.title.setText(title)
        self.subtitle.setText(subtitle)

    def _set_hovering(self, on: bool) -> None:
        self.setProperty("hovering", on)
        polish(self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
            self._set_hovering(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # noqa: ANN001
        self._set_hovering(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_hovering(False)
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.paths_dropped.emit(paths)


class PlaceholderPage(QWidget):
    """A calm page that says what will live here (used until a tab's real content exists)."""

    def __init__(self, title: str, body: str, items: list[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("placeholderPage")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 32, 32, 32)
        card = QFrame(objectName="card")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        card.setFixedWidth(560)  # a fixed width lets the wrapped text compute its height
        layout = QVBoxLayout(card)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(10)
        heading = QLabel(title, objectName="pageTitle")
        text = QLabel(body, objectName="secondaryText", wordWrap=True)
        layout.addWidget(heading)
        layout.addWidget(text)
        for item in items or []:
            layout.addWidget(QLabel(f"•  {item}", objectName="bulletText", wordWrap=True))


class StatusPill(QLabel):
    """A rounded status-bar label with a coloured dot: state is ok / busy / warning / error / off."""

    # Apple's system colours read well on light and dark backgrounds alike.
    DOT_COLOURS = {"ok": "#30b158", "busy": "#0a84ff", "warning": "#ff9f0a", "error": "#ff453a", "off": "#8e8e93"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusPill")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.state = "off"
        self.plain_text = ""

    def set_status(self, text: str, state: str = "ok", tooltip: str = "") -> None:
        self.state, self.plain_text = state, text
        colour = self.DOT_COLOURS.get(state, self.DOT_COLOURS["off"])
        self.setText(f'<span style="color:{colour}">●</span>&nbsp;{html.escape(text)}')
        self.setToolTip(tooltip)
