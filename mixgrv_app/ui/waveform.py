"""A waveform overview with a playhead: draws a take's peaks, the played part in the accent colour.

The peaks come precomputed (``core.history.peaks_of``, done in the model process when the take
was made), so painting costs nothing and opening a long history stays instant. A click or drag
asks to seek there (``seek_requested`` with a 0..1 fraction); the owner moves the playhead with
``set_position`` as the player reports where it is.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette, QPixmap
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
        self._cache_key: tuple | None = None
        self._cache: tuple[QPixmap, QPixmap] | None = None
        self.setFixedHeight(52)

    # -- state -----------------------------------------------------------------------------
    def set_peaks(self, peaks: list[float]) -> None:
        """A new waveform (0..1 per bar): the source panel shows a file chosen after the widget was made."""
        self._peaks = [max(0.0, min(1.0, float(p))) for p in peaks]
        self._cache_key = None
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
    # The bars are drawn once per size/colour into two pixmaps (unplayed and played colour);
    # a repaint — 30 a second while playing — only blits them, clipped at the playhead.
    def _render_bars(self, colour: QColor) -> QPixmap:
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(int(self.width() * ratio), int(self.height() * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        rect = QRectF(0, 0, self.width(), self.height()).adjusted(0.5, 0.5, -0.5, -0.5)
        mid, half = rect.center().y(), rect.height() / 2 - 5
        inner_left, inner_width = rect.left() + 4, rect.width() - 8
        bar_step = 3.0  # px per bar: bars with gaps read better than a solid blob
        peaks = self._peaks
        bars = max(1, int(inner_width / bar_step))
        rects = []
        for i in range(bars):
            # the loudest peak among the columns that fall into this bar
            start = int(i * len(peaks) / bars)
            stop = max(start + 1, int((i + 1) * len(peaks) / bars))
            height = max(1.0, max(peaks[start:stop]) * half)
            rects.append(QRectF(inner_left + i * bar_step, mid - height, 2.0, height * 2))
        painter.drawRects(rects)
        painter.end()
        return pixmap

    def _cached(self) -> tuple[QPixmap, QPixmap]:
        unplayed = QColor(self.palette().color(QPalette.ColorRole.Text))
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        unplayed.setAlpha(70 if dark else 60)
        key = (self.width(), self.height(), self.devicePixelRatioF(), unplayed.rgba(), self.accent.rgba(), id(self._peaks))
        if self._cache_key != key:
            self._cache_key = key
            self._cache = (self._render_bars(unplayed), self._render_bars(self.accent))
        return self._cache

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 14) if dark else QColor(0, 0, 0, 9))
        painter.drawRoundedRect(rect, 7, 7)
        played_colour = QColor(self.accent)
        if not self._peaks:
            line = QColor(self.palette().color(QPalette.ColorRole.Text))
            line.setAlpha(60)
            painter.setPen(line)
            painter.drawLine(QPointF(rect.left() + 6, rect.center().y()), QPointF(rect.right() - 6, rect.center().y()))
            return
        unplayed, played = self._cached()
        inner_left, inner_width = rect.left() + 4, rect.width() - 8
        head_x = inner_left + inner_width * self._position
        painter.drawPixmap(0, 0, unplayed)
        if self._show_playhead and head_x > 0:
            painter.save()
            painter.setClipRect(QRectF(0, 0, head_x, self.height()))
            painter.drawPixmap(0, 0, played)
            painter.restore()
        if self._hover is not None:
            hover = QColor(played_colour)
            hover.setAlpha(90)
            painter.setPen(hover)
            x = inner_left + inner_width * self._hover
            painter.drawLine(QPointF(x, rect.top() + 3), QPointF(x, rect.bottom() - 3))
        if self._show_playhead:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(played_colour)
            painter.drawRoundedRect(QRectF(head_x - 1, rect.top() + 2, 2, rect.height() - 4), 1, 1)
