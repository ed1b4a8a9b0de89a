"""Real mouse input for widget tests: a left-button drag sent as press, moves and release."""

from __future__ import annotations


def drag(widget, x0: float, x1: float, steps: int = 5) -> None:  # noqa: ANN001 - any QWidget
    """A left-button drag across ``widget`` from x0 to x1 at half its height."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    y = widget.height() / 2
    left, none, mods = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier

    def send(kind, x, button, buttons):  # noqa: ANN001
        local = QPointF(x, y)
        QApplication.sendEvent(widget, QMouseEvent(kind, local, widget.mapToGlobal(local), button, buttons, mods))

    send(QEvent.Type.MouseButtonPress, x0, left, left)
    for i in range(1, steps + 1):
        send(QEvent.Type.MouseMove, x0 + (x1 - x0) * i / steps, none, left)
    send(QEvent.Type.MouseButtonRelease, x1, left, none)
