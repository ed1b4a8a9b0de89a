"""A waveform overview with a playhead: draws a take's peaks, the played part in the accent colour.

The peaks come precomputed (``core.history.peaks_of``, done in the worker thread when the take
was made), so painting costs nothing and opening a long history stays instant. A click or drag
asks to seek there (``seek_requested`` with a 0..1 fraction); the owner moves the playhead with
``set_position`` as the player reports where it is.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget


class WaveformView(QWidget):
    """Mirrored peak bars, the part before the playhead in the accent colour, a playhead line."""

    seek_requested = Signal(float)  # 0..1 of the take's length
    default_accent = "#6C4CF1"      # set by the tab from ui/style.py for the colour scheme

    def __init__(self, peaks: list[float] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("waveform")
        self.setMinimumHeight(44)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMouseTracking(True)
        self._peaks: list[float] = list(peaks or [])
        self._position = 0.0          # 0..1
        self._show_playhead = False   # only the take being played shows one
        self._hover: float | None = None
        self.accent = QColor(self.default_accent)
        self.setFixedHeight(52)

    # -- state -----------------------------------------------------------------------------
    def set_peaks(self, peaks: list[float]) -> None:
        self._peaks = [max(0.0, min(1.0, float(p))) for p in peaks]
        self.update()

    def peaks(self) -> list[float]:
        return list(self._peaks)

    def has_waveform(self) -> bool:
        return bool(self._peaks) and max(self._peaks) > 0.0

    def set_position(self, fraction: float, visible: bool = True) -> None:
        fraction = max(0.0, min(1.0, fraction))
        if fraction != self._position or visible != self._show_playhead:
            self._position, self._show_playhead = fraction, visible
            self.update()

    def position(self) -> float:
        return self._position

    def playhead_visible(self) -> bool:
        return self._show_playhead

    def sizeHint(self) -> QSize:
        return QSize(360, 52)

    # -- mouse: click or drag to seek --------------------------------------------------------
    def _fraction_at(self, x: float) -> float:
        width = max(1, self.width())
        return max(0.0, min(1.0, x / width))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.seek_requested.emit(self._fraction_at(event.position().x()))
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._hover = self._fraction_at(event.position().x())
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.seek_requested.emit(self._hover)
        self.update()

    def leaveEvent(self, event) -> None:  # noqa: ANN001
        self._hover = None
        self.update()
        super().leaveEvent(event)

    # -- painting ----------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Window)
        dark = base.lightness() < 128
        background = QColor(255, 255, 255, 14) if dark else QColor(0, 0, 0, 9)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        painter.drawRoundedRect(rect, 7, 7)

        mid = rect.center().y()
        half = rect.height() / 2 - 5
        unplayed = QColor(palette.color(QPalette.ColorRole.Text))
        unplayed.setAlpha(70 if dark else 60)
        played = QColor(self.accent)
        peaks = self._peaks
        if not peaks:
            painter.setPen(unplayed)
            painter.drawLine(QPointF(rect.left() + 6, mid), QPointF(rect.right() - 6, mid))
            return
        inner_left, inner_width = rect.left() + 4, rect.width() - 8
        bar_step = 3.0  # px per bar: bars with gaps read better than a solid blob
        bars = max(1, int(inner_width / bar_step))
        head_x = inner_left + inner_width * self._position
        for i in range(bars):
            # the loudest peak among the columns that fall into this bar
            start = int(i * len(peaks) / bars)
            stop = max(start + 1, int((i + 1) * len(peaks) / bars))
            value = max(peaks[start:stop])
            height = max(1.0, value * half)
            x = inner_left + i * bar_step
            colour = played if (self._show_playhead and x < head_x) else unplayed
            painter.setBrush(colour)
            painter.drawRoundedRect(QRectF(x, mid - height, 2.0, height * 2), 1.0, 1.0)
        if self._hover is not None:
            hover = QColor(played)
            hover.setAlpha(90)
            painter.setPen(hover)
            x = inner_left + inner_width * self._hover
            painter.drawLine(QPointF(x, rect.top() + 3), QPointF(x, rect.bottom() - 3))
        if self._show_playhead:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(played)
            path = QPainterPath()
            path.addRoundedRect(QRectF(head_x - 1, rect.top() + 2, 2, rect.height() - 4), 1, 1)
            painter.drawPath(path)
