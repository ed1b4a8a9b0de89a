"""Draw the mixgrv app icon with QPainter and write resources/icon.png (1024 px) and icon.icns.

    .venv/bin/python resources/make_icon.py

A violet rounded square (the macOS icon grid: 824 px body on a 1024 canvas) with a white
vinyl groove and waveform bars. The .icns is assembled by hand (PNG entries; the format is a
header plus type/length/data records) so it builds on Linux too.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QImage, QLinearGradient, QPainter, QPainterPath, QPen  # noqa: E402

HERE = Path(__file__).resolve().parent
# icns type codes for PNG payloads: (type, pixel size)
ICNS_ENTRIES = [(b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256),
                (b"ic09", 512), (b"ic10", 1024), (b"ic11", 32), (b"ic12", 64), (b"ic13", 256), (b"ic14", 512)]


def draw(size: int = 1024) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 1024.0
    body = QRectF(100 * s, 100 * s, 824 * s, 824 * s)
    gradient = QLinearGradient(body.topLeft(), body.bottomRight())
    gradient.setColorAt(0.0, QColor("#8B6CFF"))
    gradient.setColorAt(0.55, QColor("#6C4CF1"))
    gradient.setColorAt(1.0, QColor("#3A1FA8"))
    path = QPainterPath()
    path.addRoundedRect(body, 185 * s, 185 * s)
    p.fillPath(path, QBrush(gradient))
    centre = body.center()
    # vinyl grooves
    for radius, alpha in ((300, 70), (250, 45), (200, 45), (150, 70)):
        pen = QPen(QColor(255, 255, 255, alpha))
        pen.setWidthF(10 * s)
        p.setPen(pen)
        p.drawEllipse(centre, radius * s, radius * s)
    # waveform bars across the centre
    heights = [70, 150, 240, 330, 250, 380, 260, 170, 300, 200, 120, 60]
    bar_w, gap = 30 * s, 20 * s
    total = len(heights) * bar_w + (len(heights) - 1) * gap
    x = centre.x() - total / 2
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#FFFFFF"))
    for h in heights:
        rect = QRectF(x, centre.y() - h * s / 2, bar_w, h * s)
        p.drawRoundedRect(rect, bar_w / 2, bar_w / 2)
        x += bar_w + gap
    p.end()
    return image


def png_bytes(image: QImage, size: int) -> bytes:
    scaled = image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    scaled.save(buffer, "PNG")
    return bytes(data.data())


def icns(image: QImage) -> bytes:
    records = b""
    for kind, size in ICNS_ENTRIES:
        payload = png_bytes(image, size)
        records += kind + struct.pack(">I", len(payload) + 8) + payload
    return b"icns" + struct.pack(">I", len(records) + 8) + records


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - QPainter needs it
    image = draw()
    (HERE / "icon.png").write_bytes(png_bytes(image, 1024))
    (HERE / "icon.icns").write_bytes(icns(image))
    print(f"wrote {HERE / 'icon.png'} and {HERE / 'icon.icns'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
