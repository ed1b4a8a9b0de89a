"""The look: a calm Mac-like style sheet, light and dark, over the native style where there is one.

resources/style.qss is written with ``@name`` colour tokens (``@accent``, ``@card``...), filled
from the palette below for the current colour scheme and re-applied when the system switches
between light and dark. On macOS the native style draws the controls and the sheet only styles
mixgrv's own pieces; elsewhere (Linux CI, screenshots) Fusion plus the part of the sheet after
the ``@fusion-only`` marker gives the same calm look.

Hooks for the tabs (no colours in Python):
  objectName ``card`` (a rounded panel), ``pageTitle``, ``sectionTitle``, ``secondaryText``,
  ``dropZone`` (widgets.DropZone), ``statusPill``; property ``primary=true`` on a QPushButton
  for the one accent button of a page.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import sys
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

QSS_FILE = "style.qss"
FUSION_MARKER = "/* @fusion-only */"

ACCENT = "#6C4CF1"  # mixgrv violet (the icon's colour); readable with white text

SCHEMES: dict[str, dict[str, str]] = {
    "light": {
        "accent": ACCENT,
        "accentText": "#ffffff",
        "accentSoft": "rgba(108, 76, 241, 0.10)",
        "window": "#f4f4f7",
        "header": "#ebebf0",
        "card": "#ffffff",
        "control": "#ffffff",
        "controlHover": "#f0f0f5",
        "border": "#d9d9e0",
        "borderStrong": "#c2c2cc",
        "text": "#1d1d1f",
        "secondary": "#6e6e78",
        "chip": "#e8e8ee",
        "dropBg": "#fafaff",
        "dropBorder": "#b9b3e6",
        "alternate": "#f7f7fa",
        "selection": "rgba(108, 76, 241, 0.18)",
    },
    "dark": {
        "accent": "#8B72FF",
        "accentText": "#ffffff",
        "accentSoft": "rgba(139, 114, 255, 0.16)",
        "window": "#1e1e22",
        "header": "#26262b",
        "card": "#2a2a30",
        "control": "#34343a",
        "controlHover": "#3d3d44",
        "border": "#3a3a42",
        "borderStrong": "#4a4a53",
        "text": "#f2f2f5",
        "secondary": "#a1a1aa",
        "chip": "#34343b",
        "dropBg": "#24242a",
        "dropBorder": "#5b5290",
        "alternate": "#2e2e34",
        "selection": "rgba(139, 114, 255, 0.30)",
    },
}

# Korean-capable UI fonts, best first; macOS keeps its system font (SF + Apple SD Gothic Neo).
LINUX_FONTS = ("Noto Sans CJK KR", "NanumBarunGothic", "NanumGothic", "NanumSquareRound")


def qss_path() -> Path:
    from mixgrv_app.app import resource_dir

    return resource_dir() / QSS_FILE


def current_scheme(app: QGuiApplication) -> str:
    """"dark" or "light", read from the platform palette.

    Not styleHints().colorScheme(): its Qt.ColorScheme result initialises the whole Qt
    namespace (~20 ms) on the start path; the palette says the same thing for free.
    """
    if getattr(app, "_mixgrv_scheme", None):
        return app._mixgrv_scheme  # our own palette is set: keep the scheme it was made for
    return "dark" if QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128 else "light"


def native_mac() -> bool:
    return sys.platform == "darwin"


def render_sheet(scheme: str, fusion: bool, source: str | None = None) -> str:
    text = source if source is not None else qss_path().read_text(encoding="utf-8")
    if not fusion:
        text = text.split(FUSION_MARKER, 1)[0]
    colours = SCHEMES[scheme]
    # Longest names first so "@accentSoft" is not eaten by "@accent".
    for name in sorted(colours, key=len, reverse=True):
        text = text.replace(f"@{name}", colours[name])
    return text


def _palette(scheme: str) -> QPalette:
    c = SCHEMES[scheme]
    palette = QPalette()
    role = QPalette.ColorRole
    solid = lambda name: QColor(c[name]) if c[name].startswith("#") else QColor(c["accent"])  # noqa: E731
    palette.setColor(role.Window, solid("window"))
    palette.setColor(role.WindowText, solid("text"))
    palette.setColor(role.Base, solid("card"))
    palette.setColor(role.AlternateBase, solid("alternate"))
    palette.setColor(role.Text, solid("text"))
    palette.setColor(role.Button, solid("control"))
    palette.setColor(role.ButtonText, solid("text"))
    palette.setColor(role.ToolTipBase, solid("card"))
    palette.setColor(role.ToolTipText, solid("text"))
    palette.setColor(role.PlaceholderText, solid("secondary"))
    palette.setColor(role.Highlight, solid("accent"))
    palette.setColor(role.HighlightedText, solid("accentText"))
    palette.setColor(role.Link, solid("accent"))
    palette.setColor(role.Mid, solid("border"))
    palette.setColor(role.Midlight, solid("controlHover"))
    palette.setColor(role.Dark, solid("borderStrong"))
    palette.setColor(role.Light, solid("control"))
    for group_role in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, group_role, solid("secondary"))
    return palette


def _ui_font(app: QApplication) -> QFont | None:
    if native_mac():
        return None
    # A family list: Qt takes the first one installed (no font enumeration on the start path).
    font = QFont(app.font())
    font.setFamilies([*LINUX_FONTS, font.family()])
    font.setPointSizeF(10.5)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


def apply(app: QApplication, scheme: str | None = None) -> str:
    """Style ``app`` for ``scheme`` (default: the current one). Returns the scheme.

    Call :func:`follow_system_scheme` once the window is up to restyle on light/dark switches.
    """
    fusion = not native_mac()
    if fusion and app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    scheme = scheme or current_scheme(app)
    if fusion:
        app.setPalette(_palette(scheme))
        app._mixgrv_scheme = scheme  # type: ignore[attr-defined]
        font = _ui_font(app)
        if font is not None:
            app.setFont(font)
    try:
        app.setStyleSheet(render_sheet(scheme, fusion))
    except OSError:
        pass  # a missing sheet leaves the native look: never a reason not to start
    return scheme


def follow_system_scheme(app: QApplication) -> None:
    """Restyle when the system switches between light and dark (after start-up: see current_scheme)."""
    if getattr(app, "_mixgrv_scheme_hooked", False):
        return
    app._mixgrv_scheme_hooked = True  # type: ignore[attr-defined]
    from PySide6.QtCore import Qt

    def on_change(value) -> None:  # noqa: ANN001
        apply(app, "dark" if value == Qt.ColorScheme.Dark else "light")

    try:
        app.styleHints().colorSchemeChanged.connect(on_change)
    except AttributeError:  # Qt < 6.5
        pass
