"""The live loss chart of the Training tab: raw loss per step and an exponential moving average.

QtCharts (PySide6-Addons) draws it. Points arrive from the training worker at whatever rate the
run produces them; the axes are rescaled lazily on a short timer so a fast run cannot flood the
GUI thread with relayouts.
"""

from __future__ import annotations

import math

from PySide6.QtCharts import QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QMargins, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget


class LossChart(QChartView):
    """Raw and smoothed training loss against the optimizer step."""

    #: weight of the newest point in the moving average (0.1 ≈ smoothing over ~10 steps)
    SMOOTHING = 0.1

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setBackgroundRoundness(8)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        super().__init__(chart, parent)
        self.setObjectName("lossChart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(180)

        self._raw = QLineSeries()
        self._raw.setName(self.tr("Loss (raw)"))
        raw_pen = QPen(QColor(150, 160, 175, 140))
        raw_pen.setWidthF(1.0)
        self._raw.setPen(raw_pen)
        self._smooth = QLineSeries()
        self._smooth.setName(self.tr("Loss (smoothed)"))
        smooth_pen = QPen(QColor(10, 132, 255))
        smooth_pen.setWidthF(2.2)
        self._smooth.setPen(smooth_pen)
        chart.addSeries(self._raw)
        chart.addSeries(self._smooth)

        self._x_axis = QValueAxis()
        self._x_axis.setTitleText(self.tr("Step"))
        self._x_axis.setLabelFormat("%d")
        self._y_axis = QValueAxis()
        self._y_axis.setTitleText(self.tr("Loss"))
        self._y_axis.setLabelFormat("%.3g")
        chart.addAxis(self._x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self._y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in (self._raw, self._smooth):
            series.attachAxis(self._x_axis)
            series.attachAxis(self._y_axis)

        self._ema: float | None = None
        self._min_y = math.inf
        self._max_y = -math.inf
        self._max_x = 0
        self._rescale_timer = QTimer(self)
        self._rescale_timer.setSingleShot(True)
        self._rescale_timer.setInterval(150)
        self._rescale_timer.timeout.connect(self._rescale)
        self.clear()

    # -- data ------------------------------------------------------------------------------
    def clear(self) -> None:
        self._raw.clear()
        self._smooth.clear()
        self._ema = None
        self._min_y, self._max_y, self._max_x = math.inf, -math.inf, 0
        self._x_axis.setRange(0, 10)
        self._y_axis.setRange(0, 1)

    def add_point(self, step: int, loss: float) -> None:
        """Append one loss value; non-finite values are skipped (the run reports them itself)."""
        if not math.isfinite(loss):
            return
        self._ema = loss if self._ema is None else (1 - self.SMOOTHING) * self._ema + self.SMOOTHING * loss
        self._raw.append(float(step), float(loss))
        self._smooth.append(float(step), float(self._ema))
        self._min_y = min(self._min_y, loss)
        self._max_y = max(self._max_y, loss)
        self._max_x = max(self._max_x, step)
        if not self._rescale_timer.isActive():
            self._rescale_timer.start()

    def point_count(self) -> int:
        return self._raw.count()

    def _rescale(self) -> None:
        if self._raw.count() == 0:
            return
        span = self._max_y - self._min_y
        pad = span * 0.08 if span > 0 else max(abs(self._max_y) * 0.1, 1e-3)
        self._y_axis.setRange(max(0.0, self._min_y - pad) if self._min_y >= 0 else self._min_y - pad, self._max_y + pad)
        self._x_axis.setRange(0, max(10, self._max_x))
