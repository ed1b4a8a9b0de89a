"""UI language: which one, loading it, and the two maintenance verbs.

Source strings in the code are English (the fallback); ``translations/mixgrv_ko.ts`` holds
the Korean and is the committed source of truth. The compiled ``.qm`` files are build products
in ``mixgrv_app/resources/i18n/`` (ignored by git), next to a copy of Qt's own ``qtbase_ko.qm``
so Qt's dialogs (file picker, message box buttons) speak Korean too, also inside the .app.

    python -m mixgrv_app.i18n update   # pyside6-lupdate over mixgrv_app/ -> .ts (keeps translations)
    python -m mixgrv_app.i18n build    # pyside6-lrelease .ts -> resources/i18n/*.qm

The language follows the system (Korean when the Mac's preferred language is Korean, English
otherwise) unless 설정 > 언어 overrides it. Running from a source checkout, a missing or stale
.qm is rebuilt on start so a fresh clone shows Korean without a manual step.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
TS_FILES = {"ko": REPO_ROOT / "translations" / "mixgrv_ko.ts"}
SUPPORTED = ("ko", "en")  # "en" is the source language: no translator needed
QT_CATALOGS = ("qtbase",)


def frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def qm_dir() -> Path:
    """Where compiled translations are loaded from (inside the bundle when frozen)."""
    if frozen():
        return Path(getattr(sys, "_MEIPASS", PACKAGE_DIR.parent)) / "mixgrv_app" / "resources" / "i18n"
    return PACKAGE_DIR / "resources" / "i18n"


def resolve_language(choice: str, locale: QLocale | None = None) -> str:
    """The effective language for a setting value ("system", "ko", "en")."""
    if choice in SUPPORTED:
        return choice
    locale = locale or QLocale.system()
    for tag in locale.uiLanguages() or [locale.name()]:
        lang = tag.replace("_", "-").split("-")[0].lower()
        if lang in SUPPORTED:
            return lang
    return "ko" if locale.language() == QLocale.Language.Korean else "en"


# -- loading -------------------------------------------------------------------------------
_installed: list[QTranslator] = []


def install(app: QCoreApplication, language: str) -> bool:
    """Replace the app's translators with ``language``'s. False when its catalog is missing."""
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    if language == "en":
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        return True
    if not frozen():
        ensure_compiled()
    ok = True
    own = QTranslator(app)
    if own.load(str(qm_dir() / f"mixgrv_{language}.qm")):
        app.installTranslator(own)
        _installed.append(own)
    else:
        log.warning("no compiled translation for %s in %s (run `make qm`)", language, qm_dir())
        ok = False
    for catalog in QT_CATALOGS:
        qt = QTranslator(app)
        name = f"{catalog}_{language}.qm"
        for folder in (qm_dir(), Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))):
            if qt.load(str(folder / name)):
                app.installTranslator(qt)
                _installed.append(qt)
                break
    QLocale.setDefault(QLocale(language))
    return ok


def ensure_compiled() -> None:
    """From a source checkout: rebuild a .qm that is missing or older than its .ts."""
    try:
        stale = any(
            ts.is_file() and (not (q := qm_dir() / f"mixgrv_{lang}.qm").is_file() or q.stat().st_mtime < ts.stat().st_mtime)
            for lang, ts in TS_FILES.items()
        )
        if stale:
            build(quiet=True)
    except Exception as exc:  # noqa: BLE001 - a missing tool must not stop the app
        log.warning("could not compile translations: %s", exc)


# -- maintenance verbs -----------------------------------------------------------------------
def _tool(name: str) -> str:
    import shutil

    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found (it ships with PySide6-Essentials)")
    return found


def source_files() -> list[Path]:
    """Every Python file lupdate reads (it does not scan folders for .py itself)."""
    return sorted(p for p in PACKAGE_DIR.rglob("*.py") if "__pycache__" not in p.parts)


def update(ts_files: dict[str, Path] | None = None) -> int:
    """Refresh the .ts files from the code; existing translations stay, vanished strings go."""
    import subprocess

    rc = 0
    for lang, ts in (ts_files or TS_FILES).items():
        ts.parent.mkdir(parents=True, exist_ok=True)
        cmd = [
            _tool("pyside6-lupdate"), *map(str, source_files()),
            "-locations", "none", "-no-obsolete", "-sort-messages",
            "-source-language", "en", "-target-language", lang, "-ts", str(ts),
        ]
        rc |= subprocess.run(cmd, check=False).returncode
    return rc


def build(quiet: bool = False) -> int:
    """Compile every .ts into qm_dir(), and copy Qt's own catalogs for those languages."""
    import shutil
    import subprocess

    out = qm_dir()
    out.mkdir(parents=True, exist_ok=True)
    rc = 0
    for lang, ts in TS_FILES.items():
        cmd = [_tool("pyside6-lrelease"), str(ts), "-qm", str(out / f"mixgrv_{lang}.qm")]
        if quiet:
            cmd.insert(1, "-silent")
        rc |= subprocess.run(cmd, check=False, capture_output=quiet).returncode
        qt_dir = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
        for catalog in QT_CATALOGS:
            source = qt_dir / f"{catalog}_{lang}.qm"
            if source.is_file():
                shutil.copy2(source, out / source.name)
    return rc


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["update"]:
        return update()
    if args == ["build"]:
        return build()
    print("usage: python -m mixgrv_app.i18n {update|build}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
