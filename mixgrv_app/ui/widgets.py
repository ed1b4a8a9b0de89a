"""Small widgets shared by the tabs: a file drop zone, a placeholder page, a status pill, and
the :class:`Retranslating` mixin every widget with a ``retranslate_ui()`` uses.

Each is styled through its objectName / dynamic properties in resources/style.qss, so the
tabs look alike without repeating colours in Python.

A widget that wants file drops for itself (a reference-audio field, the training drop zone)
sets the property ``acceptsFileDrops`` to True; otherwise the main window takes file drops
that land on text fields and imports them as training audio.
"""

from __future__ import annotations

from pathlib import Path

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)


from PySide6.QtCore import QEvent, QMimeData, QUrl, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

ACCEPTS_FILE_DROPS = "acceptsFileDrops"


class Retranslating:
    """Mixin for a QWidget subclass that has ``retranslate_ui()``: runs it on every
    LanguageChange (Qt sends one to each widget when the translator changes). List it before
    the Qt base class: ``class Panel(Retranslating, QWidget)``."""

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)


def label(text: str = "", name: str = "", wrap: bool = False, center: bool = False) -> QLabel:
    """A QLabel set up with setters, not constructor keywords: in PySide6 6.12 the first
    keyword property builds ~150 enum types (~25 ms on the start path). (The reference to None
    that each keyword drops is harmless since mixgrv_app/pyside_fix.py.)"""
    widget = QLabel(text)
    if name:
        widget.setObjectName(name)
    if wrap:
        widget.setWordWrap(True)
    if center:
        from PySide6.QtCore import Qt  # not at import: the Qt namespace costs ~20 ms on the start path

        widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return widget


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


class AudioDrop:
    """Mixin for a frame (listed first among the bases) that takes ONE audio file dropped from
    Finder: it lights up while a song hovers and calls :meth:`audio_dropped` with its path.
    core.audio decides which files count as audio."""

    def audio_dropped(self, path: str) -> None:
        raise NotImplementedError

    def _audio(self, event) -> str:  # noqa: ANN001 - a drag or drop event
        from mixgrv_app.core.audio import AUDIO_EXTENSIONS

        for path in local_paths(event.mimeData()):
            if Path(path).suffix.lower() in AUDIO_EXTENSIONS:
                return path
        return ""

    def _hover(self, on: bool) -> None:
        self.setProperty("hovering", on)
        polish(self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._audio(event):
            event.acceptProposedAction()
            self._hover(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._audio(event):
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # noqa: ANN001
        self._hover(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._hover(False)
        path = self._audio(event)
        if path:
            event.acceptProposedAction()
            self.audio_dropped(path)


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
        self.symbol = label(symbol, "dropZoneSymbol", center=True)
        self.title = label(title, "dropZoneTitle", center=True)
        self.subtitle = label(subtitle, "dropZoneSubtitle", wrap=True, center=True)
        layout.addStretch(1)
        for part in (self.symbol, self.title, self.subtitle):
            layout.addWidget(part)
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
        card = QFrame()
        card.setObjectName("card")
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
        heading = label(title, "pageTitle")
        text = label(body, "secondaryText", wrap=True)
        layout.addWidget(heading)
        layout.addWidget(text)
        for item in items or []:
            layout.addWidget(label(f"•  {item}", "bulletText", wrap=True))


class StatusPill(QFrame):
    """A rounded status-bar pill: a coloured dot (state ok / busy / warning / error / off) and a text.

    Plain-text labels on purpose: a rich-text label costs ~30 ms on first use (PySide builds
    the text-document enums), which the start-up budget cannot afford.
    """

    # Apple's system colours read well on light and dark backgrounds alike.
    DOT_COLOURS = {"ok": "#30b158", "busy": "#0a84ff", "warning": "#ff9f0a", "error": "#ff453a", "off": "#8e8e93"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusPill")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(9, 1, 10, 1)
        layout.setSpacing(5)
        self.dot = label("●", "statusDot")
        self.label = label(name="statusText")
        layout.addWidget(self.dot)
        layout.addWidget(self.label)
        self.state = ""
        self.plain_text = ""
        self.set_status("—", "off")

    def set_status(self, text: str, state: str = "ok", tooltip: str = "") -> None:
        state = state if state in self.DOT_COLOURS else "off"
        self.plain_text = text
        self.label.setText(text)
        self.setToolTip(tooltip)
        if state != self.state:
            self.state = state
            # A per-widget sheet, not a property + style().polish(): polish's overload check
            # builds the Qt namespace (~20 ms) on the start path in PySide6 6.12.
            self.dot.setStyleSheet(f"color: {self.DOT_COLOURS[state]};")
